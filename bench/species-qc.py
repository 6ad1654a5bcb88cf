#!/usr/bin/env python3
"""Measures the species check of `genoflow analyze` (docs/ANALYSIS.md, "Species and sample QC").

    python3 bench/species-qc.py GENOME.fa.gz [PAIRS]

GENOME is the H37Rv genome (RefSeq NC_000962.3, FASTA, plain or gzip). PAIRS (default 50,000)
read pairs of 2x150 bp, fragment 400, are simulated per case, deterministically (fixed seeds):

- genomes: H37Rv itself; H37Rv with 1,000 random SNVs (another lineage differs by about as
  many); with 1 % and 2 % of its bases changed (more divergent than any MTBC lineage: how
  fast the fraction falls with divergence, M. canettii being the most divergent member);
  H37Rv reversed, not complemented: the stand-in for a non-MTBC organism (no other genome is
  at hand here; it has the same base composition and shares no 21-mer beyond chance);
- mixtures of H37Rv and the reversed genome, read pairs shuffled together: 70/30, 50/50,
  30/70, 20/80, 5/95 (MTBC first);
- error models: error-free (quality 40); 0.5 % substitutions with honest qualities (Q23);
  0.5 % substitutions written as Q17 (qualities claiming 2 %: what a simulator with constant
  qualities like wgsim gives); ART HiSeq 2500 profiles (`art_illumina`, when installed;
  only H37Rv and the reversed genome, then the same mixtures).

Prints one Markdown row per case: the verdict, the MTBC fraction (hits over the hits expected
from the qualities), the raw k-mer containment, the read fraction and the sampled k-mers.
The binary is target/release/genoflow or GENOFLOW_BIN.
"""

import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENOFLOW = os.environ.get("GENOFLOW_BIN", str(ROOT / "target/release/genoflow"))
LENGTH, FRAGMENT = 150, 400
COMPLEMENT = str.maketrans("ACGT", "TGCA")


def read_genome(path: str) -> str:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return "".join(line.strip() for line in f if not line.startswith(">")).upper()


def mutate(genome: str, count: int, seed: int) -> str:
    rng = random.Random(seed)
    bases = list(genome)
    for pos in rng.sample(range(len(bases)), count):
        bases[pos] = rng.choice([b for b in "ACGT" if b != bases[pos]])
    return "".join(bases)


def simulate(genome: str, pairs: int, seed: int, error: float, quality: int) -> list:
    """Read pairs (r1, r2, qualities) with substitutions at rate `error`."""
    rng = random.Random(seed)
    q = chr(33 + quality) * LENGTH
    out = []
    for _ in range(pairs):
        start = rng.randrange(len(genome) - FRAGMENT)
        fragment = genome[start : start + FRAGMENT]
        if rng.random() < 0.5:
            fragment = fragment.translate(COMPLEMENT)[::-1]
        ends = []
        for read in (fragment[:LENGTH], fragment[::-1][:LENGTH].translate(COMPLEMENT)):
            if error:
                read = "".join(
                    rng.choice([x for x in "ACGT" if x != b]) if rng.random() < error else b for b in read
                )
            ends.append(read)
        out.append((ends[0], ends[1], q, q))
    return out


def art(genome: str, pairs: int, seed: int, work: Path) -> list:
    fasta = work / f"art{seed}.fa"
    fasta.write_text(">g\n" + genome + "\n")
    prefix = work / f"art{seed}_R"
    coverage = pairs * 2 * LENGTH / len(genome)
    subprocess.run(
        ["art_illumina", "-ss", "HS25", "-i", fasta, "-p", "-l", str(LENGTH), "-f", f"{coverage:.4f}",
         "-m", str(FRAGMENT), "-s", "50", "-rs", str(seed), "-na", "-o", prefix],
        check=True, stdout=subprocess.DEVNULL,
    )
    def records(path):
        lines = Path(path).read_text().split("\n")
        return [(lines[i + 1], lines[i + 3]) for i in range(0, len(lines) - 3, 4)]
    r1, r2 = records(f"{prefix}1.fq"), records(f"{prefix}2.fq")
    return [(a[0], b[0], a[1], b[1]) for a, b in zip(r1, r2)][:pairs]


def run(name: str, pairs: list, work: Path) -> str:
    paths = [work / "R1.fq", work / "R2.fq"]
    with open(paths[0], "w") as one, open(paths[1], "w") as two:
        for i, (r1, r2, q1, q2) in enumerate(pairs):
            one.write(f"@p{i}/1\n{r1}\n+\n{q1}\n")
            two.write(f"@p{i}/2\n{r2}\n+\n{q2}\n")
    result = subprocess.run([GENOFLOW, "analyze", *map(str, paths), "--json"], check=True,
                            capture_output=True, text=True)
    s = json.loads(result.stdout)["species"]
    return (f"| {name} | {s['verdict']} | {s['mtbc_fraction']} | {s['kmer_containment']} | "
            f"{s['read_fraction']} | {s['kmers_sampled']:,} |")


def mix(mtbc: list, other: list, share: float, pairs: int, seed: int) -> list:
    n = round(share * pairs)
    mixed = mtbc[:n] + other[: pairs - n]
    random.Random(seed).shuffle(mixed)
    return mixed


def main() -> None:
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    genome = read_genome(sys.argv[1])
    pairs = int(sys.argv[2]) if len(sys.argv) == 3 else 50_000
    genomes = {
        "H37Rv": genome,
        "H37Rv + 1,000 SNVs": mutate(genome, 1000, 1),
        "H37Rv, 1 % of bases changed": mutate(genome, len(genome) // 100, 2),
        "H37Rv, 2 % of bases changed": mutate(genome, len(genome) // 50, 3),
        "non-MTBC proxy (H37Rv reversed)": genome[::-1],
    }
    models = [("error-free", 0.0, 40), ("0.5 % errors, Q23", 0.005, 23),
              ("0.5 % errors written as Q17", 0.005, 17)]
    print("| reads | verdict | mtbc_fraction | kmer_containment | read_fraction | k-mers sampled |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for model, error, quality in models:
            sets = {}
            for seed, (name, sequence) in enumerate(genomes.items(), start=11):
                if name != "H37Rv" and name != "non-MTBC proxy (H37Rv reversed)" and error and quality != 23:
                    continue
                sets[name] = simulate(sequence, pairs, seed, error, quality)
                print(run(f"{name}, {model}", sets[name], work), flush=True)
            for share in (0.7, 0.5, 0.3, 0.2, 0.05):
                mixed = mix(sets["H37Rv"], sets["non-MTBC proxy (H37Rv reversed)"], share, pairs, 99)
                label = f"mix {round(100 * share)}/{round(100 - 100 * share)} MTBC/proxy, {model}"
                print(run(label, mixed, work), flush=True)
        if shutil.which("art_illumina"):
            mtbc = art(genome, pairs, 21, work)
            other = art(genome[::-1], pairs, 22, work)
            print(run("H37Rv, ART HiSeq 2500", mtbc, work), flush=True)
            print(run("non-MTBC proxy, ART HiSeq 2500", other, work), flush=True)
            for share in (0.7, 0.5, 0.3, 0.2, 0.05):
                label = f"mix {round(100 * share)}/{round(100 - 100 * share)} MTBC/proxy, ART HiSeq 2500"
                print(run(label, mix(mtbc, other, share, pairs, 99), work), flush=True)


if __name__ == "__main__":
    main()
