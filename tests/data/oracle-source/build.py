#!/usr/bin/env python3
"""Writes gene/{id}.json: one NCBI esummary-shaped answer per gene of the built-in panel.

Every value comes from the RefSeq GenBank record of M. tuberculosis H37Rv (NC_000962.3): for each
gene of panel.tsv, its `gene` feature (found by locus tag and coordinates, and carrying the
panel's `/db_xref="GeneID:..."`) and the CDS or rRNA feature at the same place. Deterministic:
sorted keys, indent 2, the same input gives the same bytes.

    python3 tests/data/oracle-source/build.py NC_000962.3.gbk.gz [PANEL_TSV]

PANEL_TSV defaults to shared/genomics/panels/tb-who-2023/panel.tsv of this repository.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PANELS = HERE.parents[2] / "shared/genomics/panels"
DEFAULT_PANEL = PANELS / "tb-who-2023/panel.tsv"
# The GenBank reader the panel build uses.
sys.path.insert(0, str(PANELS))
from genbank import read_record  # noqa: E402


def read_panel(path: Path) -> list:
    rows = [line.rstrip("\n").split("\t") for line in open(path) if not line.startswith("#")]
    header, genes = rows[0], rows[1:]
    if "ncbi_gene" not in header:
        sys.exit(f"{path} has no ncbi_gene column")
    return [dict(zip(header, gene)) for gene in genes]


def answer(gene: dict, version: str, organism: str, taxid: int, features: list) -> dict:
    start, end = int(gene["start"]), int(gene["end"])
    location = f"{start}..{end}" if gene["strand"] == "+" else f"complement({start}..{end})"
    here = [(kind, dict(q)) for kind, where, q in features if where == location]
    gene_feature = next(
        (q for kind, q in here if kind == "gene" and q.get("locus_tag") == gene["locus_tag"]), None
    )
    product = next(
        (q for kind, q in here if kind == gene["kind"] and q.get("locus_tag") == gene["locus_tag"]), None
    )
    if gene_feature is None or product is None:
        sys.exit(f"{gene['gene']}: no gene and {gene['kind']} feature {gene['locus_tag']} at {location}")
    if gene_feature.get("db_xref") != f"GeneID:{gene['ncbi_gene']}":
        # dict() keeps the last db_xref; the gene features of this record carry exactly one.
        sys.exit(f"{gene['gene']}: the gene feature is {gene_feature.get('db_xref')}, the panel says {gene['ncbi_gene']}")
    uid = gene["ncbi_gene"]
    # NCBI gives 0-based positions in the gene's orientation: on the minus strand chrstart is the
    # higher coordinate.
    first, last = (start - 1, end - 1) if gene["strand"] == "+" else (end - 1, start - 1)
    record = {
        "uid": uid,
        "name": gene_feature.get("gene", gene["locus_tag"]),
        "description": product["product"],
        "status": "",
        "chromosome": "",
        "organism": {"scientificname": organism, "commonname": "", "taxid": taxid},
        "genomicinfo": [
            {"chrloc": "", "chraccver": version, "chrstart": first, "chrstop": last, "exoncount": 1}
        ],
    }
    return {"header": {"type": "esummary", "version": "0.3"}, "result": {"uids": [uid], uid: record}}


def main() -> None:
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    version, organism, taxid, features = read_record(Path(sys.argv[1]))
    panel = read_panel(Path(sys.argv[2]) if len(sys.argv) == 3 else DEFAULT_PANEL)
    out = HERE / "gene"
    out.mkdir(exist_ok=True)
    for gene in panel:
        document = answer(gene, version, organism, taxid, features)
        text = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        (out / f"{gene['ncbi_gene']}.json").write_text(text)
    print(f"{len(panel)} genes written to {out}")


if __name__ == "__main__":
    main()
