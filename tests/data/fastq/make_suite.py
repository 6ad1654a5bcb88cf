#!/usr/bin/env python3
"""Writes GenoFlow's FASTQ conformance suite: one small file per rule of the Sanger FASTQ
definition (Cock et al. 2010), and manifest.tsv with the expected outcome and error line.

Run from this folder: python3 make_suite.py (needs gzip and bgzip from Debian's tabix)."""
import gzip, os, subprocess

R1 = b"@r1 desc\nACGTN\n+\nIIII#\n"
R2 = b"@r2\nGGCCA\n+r2\n!!~~5\n"
cases = []  # (name, expected, line or '', rule, bytes)

def case(name, expected, line, rule, data):
    cases.append((name, expected, line, rule, data))

case("simple.fq", "valid", "", "plain four-line records", R1 + R2)
case("wrapped.fq", "valid", "", "sequence and quality wrapped over several lines",
     b"@w1\nACGT\nACGT\nAC\n+\nIIII\nIIII\nII\n" + R2)
case("crlf.fq", "valid", "", "CRLF line ends", (R1 + R2).replace(b"\n", b"\r\n"))
case("empty_sequence.fq", "valid", "", "a record with an empty sequence and empty quality line",
     b"@e1\n\n+\n\n" + R2)
case("at_first_quality.fq", "valid", "", "'@' as the first quality character",
     b"@q1\nACGT\n+\n@III\n" + R2)
case("plus_first_quality.fq", "valid", "", "'+' as the first quality character",
     b"@q1\nACGT\n+\n+III\n" + R2)
case("wrapped_at_quality.fq", "valid", "", "a wrapped quality line starting with '@'",
     b"@q1\nACGTAC\n+\nIII\n@II\n" + R2)
case("plus_repeats_title.fq", "valid", "", "'+' line repeating the title", b"@r1 x\nAC\n+r1 x\nII\n")
case("iupac_lowercase.fq", "valid", "", "IUPAC codes in either case",
     b"@i\nACGTURYSWKMBDHVNacgturyswkmbdhvn\n+\n" + b"I" * 32 + b"\n")
case("quality_range.fq", "valid", "", "every quality character '!'..'~'",
     b"@q\n" + b"A" * 94 + b"\n+\n" + bytes(range(33, 127)) + b"\n")
case("no_final_newline.fq", "valid", "", "last line without terminator", R1 + R2[:-1])
case("title_with_tabs.fq", "valid", "", "free text with tabs after the name", b"@r1\tBC:Z:AC\nAC\n+\nII\n")

case("plus_title_differs.fq", "invalid", 3, "'+' title differs from '@' title", b"@r1\nACGT\n+r2\nIIII\n")
case("plus_title_longer.fq", "invalid", 3, "'+' title longer than the '@' title", b"@r1\nACGT\n+r1x\nIIII\n")
case("plus_title_prefix.fq", "invalid", 3, "'+' title a prefix of the '@' title", b"@r12\nACGT\n+r1\nIIII\n")
case("quality_shorter.fq", "invalid", 8, "quality shorter than sequence", R1 + b"@r2\nACGT\n+\nIII\n")
case("quality_longer.fq", "invalid", 4, "quality longer than sequence", b"@r1\nACGT\n+\nIIIII\n" + R2)
case("cut_in_title.fq", "invalid", 5, "record cut in the title", R1 + b"@r2")
case("cut_after_title.fq", "invalid", 5, "record cut after the title", R1 + b"@r2\n")
case("cut_in_sequence.fq", "invalid", 6, "record cut in the sequence", R1 + b"@r2\nACG")
case("cut_at_plus.fq", "invalid", 7, "record cut at the '+' line", R1 + b"@r2\nACGT\n+")
case("cut_in_quality.fq", "invalid", 8, "record cut in the quality", R1 + b"@r2\nACGT\n+\nII")
case("cut_before_quality.fq", "invalid", 7, "record cut before the quality", R1 + b"@r2\nACGT\n+\n")
for name, byte in [("space", b" "), ("tab", b"\t"), ("nul", b"\x00"), ("del", b"\x7f"), ("esc", b"\x1b"),
                   ("bell", b"\x07"), ("high", b"\xc3")]:
    case(f"quality_{name}.fq", "invalid", 4, f"quality character {name}", b"@r1\nACGT\n+\nI" + byte + b"II\n")
for name, byte in [("space", b" "), ("tab", b"\t"), ("digit", b"1"), ("dot", b"."), ("dash", b"-"),
                   ("x", b"X"), ("nul", b"\x00")]:
    case(f"sequence_{name}.fq", "invalid", 2, f"sequence character {name}", b"@r1\nA" + byte + b"GT\n+\nIIII\n")
case("no_at.fq", "invalid", 1, "first record does not start with '@'", b"r1\nACGT\n+\nIIII\n")
case("second_no_at.fq", "invalid", 5, "later record does not start with '@'", R1 + b">r2\nACGT\n+\nIIII\n")
case("blank_between.fq", "invalid", 5, "blank line between records", R1 + b"\n" + R2)
case("blank_in_sequence.fq", "invalid", 3, "blank line inside the sequence", b"@r1\nAC\n\nGT\n+\nIIII\n")
case("cr_in_sequence.fq", "invalid", 2, "lone carriage return in the sequence", b"@r1\nAC\rGT\n+\nIIII\n")
case("empty_file.fq", "invalid", "", "empty file", b"")
case("empty_sequence_no_quality.fq", "invalid", 4, "empty sequence followed by the next title as quality",
     b"@e1\n\n+\n@r2\nACGT\n+\nIIII\n")

for name, expected, line, rule, data in cases:
    with open(os.path.join(expected, name), "wb") as f:
        f.write(data)

# Compressed variants of a valid file, and damaged streams.
plain = (R1 + R2) * 200
def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path
gz = gzip.compress(plain, mtime=0)
write("valid/simple.fq.gz", gz)
cases.append(("simple.fq.gz", "valid", "", "gzip", None))
write("valid/multi_member.fq.gz", gzip.compress(R1, mtime=0) + gzip.compress(R2, mtime=0))
cases.append(("multi_member.fq.gz", "valid", "", "gzip with several members", None))
subprocess.run(["bgzip", "-c", "valid/../valid/simple.fq"], check=True, stdout=open("valid/simple.fq.bgz", "wb"))
cases.append(("simple.fq.bgz", "valid", "", "BGZF", None))
write("invalid/truncated.fq.gz", gz[: len(gz) // 2])
cases.append(("truncated.fq.gz", "invalid", "", "gzip stream cut in half", None))
corrupt = bytearray(gz); corrupt[len(gz) // 2] ^= 0xFF
write("invalid/corrupt.fq.gz", bytes(corrupt))
cases.append(("corrupt.fq.gz", "invalid", "", "gzip stream with a flipped byte", None))
write("invalid/trailing_garbage.fq.gz", gz + b"garbage!")
cases.append(("trailing_garbage.fq.gz", "invalid", "", "bytes after the last gzip member", None))
write("invalid/binary_garbage.fq", bytes(range(256)) * 4)
cases.append(("binary_garbage.fq", "invalid", "", "binary garbage", None))
write("invalid/cut_record.fq.gz", gzip.compress(R1 + b"@r2\nAC", mtime=0))
cases.append(("cut_record.fq.gz", "invalid", 6, "record cut inside a complete gzip stream", None))

with open("manifest.tsv", "w") as f:
    f.write("file\texpected\tline\trule\n")
    for name, expected, line, rule, _ in cases:
        f.write(f"{expected}/{name}\t{expected}\t{line}\t{rule}\n")
