#!/usr/bin/env python3
"""Derives the built-in `tb-who-2023` panel from the M. tuberculosis data beside the repo.

Inputs (a directory DATA holding them): the RefSeq GenBank record of H37Rv
(NC_000962.3.gbk.gz), the genome (NC_000962.3.fa.gz), the WHO 2023 catalogue joined to
genomic coordinates, grades 1 and 2 (who2023_resistance_panel_R_and_interim.tsv), and the
lineage barcode (lineage-barcode.bed: TB-Profiler's tbdb `barcode.bed`, see
panels/tb-who-2023/lineage-barcode_LICENSE_LGPL-3.0.md).

Outputs (panels/tb-who-2023/): panel.tsv (genes, with each gene's NCBI Gene id from the
`/db_xref="GeneID:..."` of its GenBank `gene` feature), reference.fa.gz (the panel's segments of
the genome: the genes and catalogue entries with their flanks, and BARCODE_FLANK bases either
side of every barcode site, overlapping stretches merged), catalogue.tsv.gz (the graded entries)
and lineage-barcode.bed (the barcode, copied byte for byte), and mtbc-sketch.bin (the species
check's sketch of the whole genome, written by mtbc_sketch.py beside this script). Deterministic:
gzip without timestamps.

    python3 shared/genomics/panels/build_tb_panel.py DATA shared/genomics/panels/tb-who-2023
"""

import gzip
import io
import re
import sys
from pathlib import Path

from genbank import qualifier, read_record
from mtbc_sketch import write_sketch

CHROM = "NC_000962.3"
# Every gene with a grade 1 or 2 entry in the WHO 2023 catalogue, plus fabG1 whose promoter carries
# the catalogue's inhA_c.-777C>T (annotation only).
GENES = [
    "rpoB", "katG", "inhA", "fabG1", "embB", "pncA", "gyrA", "gyrB", "rpsL", "gid", "rrs", "rrl",
    "eis", "ethA", "tlyA", "Rv0678", "pepQ", "atpE", "rplC", "ddn", "fgd1", "fbiA", "fbiB", "fbiC",
    "Rv2983",
]
# Upstream distance annotated as promoter when the catalogue has no entry further out.
MIN_PROMOTER = 100
# Sequence kept either side of every gene and catalogue entry, so reads overlapping them align whole.
FLANK = 300
# Sequence kept either side of each lineage barcode site: a read length (2x150 bp runs), so every
# 150-base read covering a site lies whole inside the segment and aligns gap-free.
BARCODE_FLANK = 150


def gzip_bytes(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9, filename="") as f:
        f.write(data)
    return out.getvalue()


def read_genes(gbk: Path) -> dict:
    genes = {}
    location = re.compile(r"^(complement\()?(\d+)\.\.(\d+)\)?$")
    _, _, _, features = read_record(gbk)
    # NCBI Gene ids of the `gene` features, by locus tag and location (the CDS or rRNA and its
    # gene feature share both).
    gene_ids = {}
    for kind, where, qualifiers in features:
        if kind != "gene":
            continue
        locus = qualifier(qualifiers, "locus_tag")
        ids = [v.split(":", 1)[1] for n, v in qualifiers if n == "db_xref" and v.startswith("GeneID:")]
        if locus and ids:
            gene_ids[(locus, where)] = ids[0]
    for kind, where, qualifiers in features:
        m = location.match(where)
        if kind not in ("CDS", "rRNA") or not m:
            continue
        names = [v for n, v in qualifiers if n in ("gene", "locus_tag")]
        locus = qualifier(qualifiers, "locus_tag")
        for name in names:
            if name in GENES and name not in genes:
                genes[name] = {
                    "kind": kind,
                    "strand": "-" if m.group(1) else "+",
                    "start": int(m.group(2)),
                    "end": int(m.group(3)),
                    "locus_tag": locus,
                    "ncbi_gene": gene_ids.get((locus, where), ""),
                }
    missing = [g for g in GENES if g not in genes]
    if missing:
        sys.exit(f"genes not found in {gbk}: {missing}")
    without_id = [g for g in GENES if not genes[g]["ncbi_gene"].isdigit()]
    if without_id:
        sys.exit(f"genes without a GeneID gene feature in {gbk}: {without_id}")
    return genes


def read_genome(fasta: Path) -> str:
    with gzip.open(fasta, "rt") as f:
        return "".join(line.strip() for line in f if not line.startswith(">")).upper()


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    genes = read_genes(source / "NC_000962.3.gbk.gz")
    genome = read_genome(source / "NC_000962.3.fa.gz")

    rows = []
    with open(source / "who2023_resistance_panel_R_and_interim.tsv") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            gene = row["variant"].split("_")[0]
            if row["chrom"] != CHROM or gene not in genes:
                sys.exit(f"catalogue row outside the panel: {line!r}")
            pos = int(row["pos"])
            if genome[pos - 1 : pos - 1 + len(row["ref"])] != row["ref"]:
                sys.exit(f"catalogue REF differs from the genome: {line!r}")
            rows.append(row)

    # Promoter flank: the furthest upstream catalogue entry of the gene, at least MIN_PROMOTER.
    spans = {g: [v["start"], v["end"]] for g, v in genes.items()}
    promoter = {g: MIN_PROMOTER for g in genes}
    for row in rows:
        gene = row["variant"].split("_")[0]
        g = genes[gene]
        pos, end = int(row["pos"]), int(row["pos"]) + len(row["ref"]) - 1
        spans[gene][0] = min(spans[gene][0], pos)
        spans[gene][1] = max(spans[gene][1], end)
        upstream = g["start"] - pos if g["strand"] == "+" else end - g["end"]
        promoter[gene] = max(promoter[gene], upstream)
    for g, v in genes.items():
        if v["strand"] == "+":
            spans[g][0] = min(spans[g][0], v["start"] - promoter[g])
        else:
            spans[g][1] = max(spans[g][1], v["end"] + promoter[g])

    intervals = [(max(1, s - FLANK), min(len(genome), e + FLANK)) for s, e in spans.values()]
    barcode = (source / "lineage-barcode.bed").read_bytes()
    for line in barcode.decode().splitlines():
        fields = line.split("\t")
        if len(fields) != 8 or not fields[1].isdigit() or int(fields[2]) != int(fields[1]) + 1:
            sys.exit(f"lineage-barcode.bed: not a one-base BED line of 8 columns: {line!r}")
        site = int(fields[2])  # 1-based
        intervals.append((max(1, site - BARCODE_FLANK), min(len(genome), site + BARCODE_FLANK)))
    intervals.sort()
    segments = []
    for start, end in intervals:
        if segments and start <= segments[-1][1] + 1:
            segments[-1][1] = max(segments[-1][1], end)
        else:
            segments.append([start, end])

    out.mkdir(parents=True, exist_ok=True)
    with open(out / "panel.tsv", "w") as f:
        f.write("# genoflow panel: tb-who-2023\n")
        f.write(f"# reference\t{CHROM}\t{len(genome)}\n")
        f.write("# catalogue\tWHO 2023 2nd edition\n")
        f.write("gene\tlocus_tag\tkind\tstrand\tstart\tend\tpromoter\tncbi_gene\n")
        for name in sorted(genes, key=lambda n: genes[n]["start"]):
            g = genes[name]
            f.write(f"{name}\t{g['locus_tag']}\t{g['kind']}\t{g['strand']}\t{g['start']}\t{g['end']}\t{promoter[name]}\t{g['ncbi_gene']}\n")

    fasta = io.StringIO()
    for start, end in segments:
        fasta.write(f">{CHROM}:{start}-{end}\n")
        seq = genome[start - 1 : end]
        for i in range(0, len(seq), 80):
            fasta.write(seq[i : i + 80] + "\n")
    (out / "reference.fa.gz").write_bytes(gzip_bytes(fasta.getvalue().encode()))

    catalogue = io.StringIO()
    catalogue.write("chrom\tpos\tref\talt\tvariant\tdrug\tgrade\n")
    for row in rows:
        catalogue.write("\t".join(row[k] for k in ("chrom", "pos", "ref", "alt", "variant", "drug", "who_grade")) + "\n")
    (out / "catalogue.tsv.gz").write_bytes(gzip_bytes(catalogue.getvalue().encode()))
    # The species check's sketch of the whole genome (mtbc_sketch.py; docs/ANALYSIS.md).
    sketched = write_sketch(genome, out / "mtbc-sketch.bin")
    print(f"mtbc-sketch.bin: {sketched} hashes of the genome's 21-mers")
    (out / "lineage-barcode.bed").write_bytes(barcode)
    total = sum(e - s + 1 for s, e in segments)
    print(f"{len(genes)} genes, {len(segments)} segments, {total} bp, {len(rows)} catalogue rows, "
          f"{len(barcode.splitlines())} barcode sites")


if __name__ == "__main__":
    main()
