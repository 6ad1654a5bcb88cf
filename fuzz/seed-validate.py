"""Seeds fuzz/corpus/{validate,validate_format,cram,bgzf} from tests/data.

Takes files under 64 KiB (FASTQ suite, SAM, VCF and CRAM conformance suites, compressed
variants), adds what tests/data has no small file of (BAM, FASTA, BGZF-wrapped text), and writes
at most MAX_SEEDS files per target. validate_format seeds carry the format byte first (its index
in FORMATS). Deterministic: the same tests/data gives the same corpora. The corpora are
generated, not committed (fuzz/corpus is gitignored).

    python3 fuzz/seed-validate.py
"""
import gzip
import hashlib
import pathlib
import struct
import zlib

ROOT = pathlib.Path(__file__).resolve().parent
DATA = ROOT.parent / "tests" / "data"
CORPUS = ROOT / "corpus"
MAX_SEED_BYTES = 64 * 1024
MAX_SEEDS = 200
# The first byte of a validate_format input selects the format by this index (modulo 6); keep in
# step with FORMATS in fuzz/src/lib.rs.
FORMATS = ["fastq", "fasta", "sam", "bam", "cram", "vcf"]
EXTENSIONS = {
    ".fq": "fastq", ".fastq": "fastq",
    ".fa": "fasta", ".fasta": "fasta",
    ".sam": "sam", ".bam": "bam", ".cram": "cram", ".vcf": "vcf",
}
COMPRESSED = {".gz", ".bgz", ".bz2"}


def format_of(path):
    """The format a file name says, through one compression suffix; None if it says none."""
    suffixes = path.suffixes
    if suffixes and suffixes[-1] in COMPRESSED:
        suffixes = suffixes[:-1]
    return EXTENSIONS.get(suffixes[-1]) if suffixes else None


def spread(items, count):
    """`count` items spread evenly over `items` (all of them if there are not more)."""
    if len(items) <= count:
        return list(items)
    return [items[i * len(items) // count] for i in range(count)]


def bgzf(data, block=16 * 1024):
    """BGZF-compresses `data` in blocks of `block` bytes, with the end-of-file block."""
    out = bytearray()
    for start in range(0, len(data), block) or [0]:
        chunk = data[start:start + block]
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        cdata = packer.compress(chunk) + packer.flush()
        header = struct.pack("<4BIBBH2sHH", 0x1F, 0x8B, 8, 4, 0, 0, 0xFF, 6, b"BC", 2,
                             len(cdata) + 25)
        out += header + cdata + struct.pack("<II", zlib.crc32(chunk), len(chunk))
    out += bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
    return bytes(out)


def small_bams():
    """BAMs of the first 0, 1, 3, 10 and 40 records of the hts-specs BAM (none under 64 KiB)."""
    source = DATA / "conformance" / "hts-specs" / "test" / "bam" / "passed" / "level-1.bam"
    if not source.exists():
        return []
    raw = gzip.decompress(source.read_bytes())
    (l_text,) = struct.unpack_from("<i", raw, 4)
    pos = 8 + l_text
    (n_ref,) = struct.unpack_from("<i", raw, pos)
    pos += 4
    for _ in range(n_ref):
        (l_name,) = struct.unpack_from("<i", raw, pos)
        pos += 4 + l_name + 4
    header, records = raw[:pos], []
    while pos + 4 <= len(raw) and len(records) < 40:
        (size,) = struct.unpack_from("<i", raw, pos)
        records.append(raw[pos:pos + 4 + size])
        pos += 4 + size
    seeds = []
    for count in (0, 1, 3, 10, 40):
        data = bgzf(header + b"".join(records[:count]), block=4096)
        if len(data) < MAX_SEED_BYTES:
            seeds.append((f"bam-{count}-records.bam", "bam", data))
    return seeds


FASTA = [
    ("simple.fa", b">chr1 test\nACGTN\nacgtn\n>chr2\nNNNNACGT\n"),
    ("wrapped.fa", b">seq1\n" + b"ACGT" * 15 + b"\n" + b"ACGT" * 15 + b"\nAC\n"),
    ("semicolon.fa", b";comment\n>seq1\nACGTRYKMSWBDHVN\n"),
    ("protein.fa", b">sp|P1\nMKTAYIAKQRQISFVKSHFSRQ*\n"),
    ("empty_sequence.fa", b">a\n>b\nACGT\n"),
]


def gather():
    """(name, format, bytes) for every candidate seed, sorted by name."""
    seeds = []
    for path in sorted(DATA.rglob("*")):
        if not path.is_file() or path.stat().st_size >= MAX_SEED_BYTES:
            continue
        fmt = format_of(path)
        if fmt is None:
            continue
        name = str(path.relative_to(DATA)).replace("/", "_")
        seeds.append((name, fmt, path.read_bytes()))
    seeds += small_bams()
    seeds += [(name, "fasta", data) for name, data in FASTA]
    return seeds


def is_bgzf(data):
    return len(data) >= 18 and data[:4] == b"\x1f\x8b\x08\x04" and data[12:14] == b"BC"


def is_plain(data):
    return data[:2] != b"\x1f\x8b" and data[:3] != b"BZh"


def write(target, seeds):
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in seeds:
        digest = hashlib.sha1(data).hexdigest()[:12]
        (directory / f"{digest}-{name}"[:120]).write_bytes(data)
    print(f"{target}: {len(seeds)} seeds in {directory}")


def main():
    seeds = gather()
    by_format = {fmt: [s for s in seeds if s[1] == fmt] for fmt in FORMATS}
    # An even share for each format, the unused share of small formats going to the large ones.
    mixed, budget = [], MAX_SEEDS
    for index, fmt in enumerate(sorted(FORMATS, key=lambda f: len(by_format[f]))):
        share = budget // (len(FORMATS) - index)
        chosen = spread(by_format[fmt], share)
        mixed += chosen
        budget -= len(chosen)
    write("validate", [(name, data) for name, _, data in mixed])
    write("validate_format",
          [(name, bytes([FORMATS.index(fmt)]) + data) for name, fmt, data in mixed])
    write("cram", [(name, data) for name, _, data in spread(by_format["cram"], MAX_SEEDS)])
    # BGZF: what is already BGZF, then BGZF-wrapped plain text seeds of each text format.
    wrapped = [(name, data) for name, _, data in seeds if is_bgzf(data)]
    for fmt in ("fastq", "sam", "vcf", "fasta"):
        plain = [(name, data) for name, f, data in by_format[fmt] if is_plain(data)]
        wrapped += [(name + ".bgz", bgzf(data, block=2048)) for name, data in spread(plain, 40)]
    write("bgzf", wrapped[:MAX_SEEDS])


if __name__ == "__main__":
    main()
