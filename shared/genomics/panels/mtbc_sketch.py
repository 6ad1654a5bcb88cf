#!/usr/bin/env python3
"""The M. tuberculosis complex sketch of a panel: `mtbc-sketch.bin`.

A FracMinHash sketch of the canonical 21-mers of the whole H37Rv genome (NC_000962.3): every
k-mer is coded 2 bits a base (A=0, C=1, G=2, T=3, first base in the highest bits), the smaller of
its code and its reverse complement's code is hashed with SplitMix64's output function, and the
hashes below 2^64 / SCALE are kept, sorted. `genoflow analyze` hashes the k-mers of the reads the
same way (shared/genomics/src/analysis/species.rs) and counts how many of those below the same
bound are in the sketch. See docs/ANALYSIS.md, "Species and sample QC".

File layout (little-endian): the 8 bytes `GFSKETCH`, u32 format version (1), u32 k, u64 the
bound (hashes strictly below it are kept), u64 the number of hashes, then the hashes as u64,
strictly increasing. Deterministic: the same genome gives the same bytes.

    python3 shared/genomics/panels/mtbc_sketch.py GENOME.fa.gz OUT/mtbc-sketch.bin

build_tb_panel.py calls `write_sketch` for the built-in panel.
"""

import gzip
import struct
import sys
from pathlib import Path

K = 21
SCALE = 200
MASK64 = (1 << 64) - 1
BOUND = MASK64 // SCALE
MAGIC = b"GFSKETCH"
VERSION = 1
CODE = {"A": 0, "C": 1, "G": 2, "T": 3}


def mix(code: int) -> int:
    """SplitMix64's output function of `code + 0x9E3779B97F4A7C15` (never 0 for code 0)."""
    z = (code + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def canonical_codes(sequence: str, k: int = K):
    """The canonical code of every k-mer of `sequence` without a base other than ACGT."""
    mask = (1 << (2 * k)) - 1
    shift = 2 * (k - 1)
    forward = reverse = valid = 0
    for base in sequence:
        c = CODE.get(base)
        if c is None:
            valid = 0
            continue
        forward = ((forward << 2) | c) & mask
        reverse = (reverse >> 2) | ((3 - c) << shift)
        valid += 1
        if valid >= k:
            yield forward if forward < reverse else reverse


def sketch(sequence: str, k: int = K, bound: int = BOUND) -> list:
    """Sorted distinct hashes below `bound` of the canonical k-mers of `sequence`."""
    return sorted({h for h in map(mix, canonical_codes(sequence, k)) if h < bound})


def encode(hashes: list, k: int = K, bound: int = BOUND) -> bytes:
    header = MAGIC + struct.pack("<IIQQ", VERSION, k, bound, len(hashes))
    return header + struct.pack(f"<{len(hashes)}Q", *hashes)


def read_genome(fasta: Path) -> str:
    opener = gzip.open if str(fasta).endswith(".gz") else open
    with opener(fasta, "rt") as f:
        return "".join(line.strip() for line in f if not line.startswith(">")).upper()


def write_sketch(genome: str, out: Path) -> int:
    """Writes the sketch of `genome` to `out`; returns the number of hashes."""
    hashes = sketch(genome)
    out.write_bytes(encode(hashes))
    return len(hashes)


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    n = write_sketch(read_genome(Path(sys.argv[1])), Path(sys.argv[2]))
    print(f"{n} hashes (k={K}, scale {SCALE}) -> {sys.argv[2]}")


if __name__ == "__main__":
    main()
