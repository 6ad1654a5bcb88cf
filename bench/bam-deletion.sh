#!/usr/bin/env bash
# A deletion longer than an aligner places as a gap, given as a BAM: does `genoflow analyze` call
# it? 400 bases are removed inside katG (a frameshift, so isoniazid resistance by the
# catalogue's katG loss-of-function rule). ART simulates 2x150 reads (HiSeq 2500, fragment
# 400±50, 60x) of the 14 kb around katG; minimap2 -ax sr aligns them to the whole H37Rv
# sequence, as a laboratory's pipeline would, and samtools sorts them into aligned.bam. The same
# reads are analysed as FASTQ too, for comparison.
#
#   bash bench/bam-deletion.sh                     # with target/release/genoflow (built here)
#   GENOFLOW=target/debug/genoflow bash bench/bam-deletion.sh   # with another build
#   BEFORE=/path/to/older/genoflow bash bench/bam-deletion.sh   # and an older one, to compare
#
# Prints, per run: the variants called in katG and the isoniazid call. Data is cached in
# bench/work/bam-deletion (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/bench/work/bam-deletion
REFERENCE_GZ=${REFERENCE_GZ:-$ROOT/../shared/data/tb/NC_000962.3.fa.gz}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

missing=()
for tool in art_illumina minimap2 samtools python3; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "installing tools (missing: ${missing[*]})" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    art-nextgen-simulation-tools minimap2 samtools python3 >/dev/null
fi
if [[ -z "${GENOFLOW:-}" ]]; then
  cargo build --release --locked --bin genoflow -q
  GENOFLOW=$CARGO_TARGET_DIR/release/genoflow
fi

# katG is 2153889-2156111 (panel.tsv); the deletion starts 300 bases into it.
REGION_START=2148000 REGION_END=2162000 DELETION_START=2154189 DELETION_LENGTH=400

mkdir -p "$WORK"
cd "$WORK"
[[ -s genome.fa ]] || gzip -dc "$REFERENCE_GZ" > genome.fa
[[ -s genome.fa.fai ]] || samtools faidx genome.fa
if [[ ! -s aligned.bam ]]; then
  samtools faidx genome.fa "NC_000962.3:$REGION_START-$REGION_END" > region.fa
  python3 - "$REGION_START" "$DELETION_START" "$DELETION_LENGTH" <<'PY'
import sys
region_start, start, length = map(int, sys.argv[1:])
bases = "".join(line.strip() for line in open("region.fa") if not line.startswith(">"))
cut = start - region_start
with open("mutant.fa", "w") as out:
    out.write(">katG_deleted\n" + bases[:cut] + bases[cut + length:] + "\n")
PY
  art_illumina -ss HS25 -p -l 150 -f 60 -m 400 -s 50 -rs 7 -na -q -i mutant.fa -o reads >/dev/null 2>&1
  minimap2 -t 2 -ax sr genome.fa reads1.fq reads2.fq 2>/dev/null | samtools sort -@ 2 -o aligned.bam - 2>/dev/null
fi
printf 'records: %s primary, %s supplementary; primary records clipped by 20 or more bases: %s\n' \
  "$(samtools view -c -F 0x904 aligned.bam)" "$(samtools view -c -f 0x800 aligned.bam)" \
  "$(samtools view -F 0x904 aligned.bam | awk '{ lead = 0; trail = 0
      if (match($6, /^[0-9]+S/)) lead = substr($6, 1, RLENGTH - 1) + 0
      if (match($6, /[0-9]+S$/)) trail = substr($6, RSTART, RLENGTH - 1) + 0
      if (lead >= 20 || trail >= 20) n++ } END { print n + 0 }')"

summarise() { # label, genoflow, inputs...
  local label=$1 binary=$2
  shift 2
  "$binary" analyze --json "$@" > "report-$label.json"
  python3 - "$label" "report-$label.json" <<'PY'
import json, sys
label, path = sys.argv[1:]
report = json.load(open(path))
katg = [f"{v['pos']} {len(v['ref'])}>{len(v['alt'])} bp {v['consequence']} (fraction {v['alt_fraction']})"
        for v in report["variants"] if v.get("gene") == "katG"]
isoniazid = next(d for d in report["resistance"] if d["drug"] == "Isoniazid")
evidence = ", ".join(e["variant"] for e in isoniazid["evidence"]) or "-"
print(f"{label:12} katG variants: {'; '.join(katg) or 'none'} | isoniazid: {isoniazid['call']} ({evidence})")
PY
}
summarise bam "$GENOFLOW" aligned.bam
summarise fastq "$GENOFLOW" reads1.fq reads2.fq
if [[ -n "${BEFORE:-}" ]]; then
  summarise bam-before "$BEFORE" aligned.bam
fi
