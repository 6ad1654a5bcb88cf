#!/usr/bin/env bash
# Accuracy and speed of `genoflow analyze` against minimap2 -ax sr | samtools sort and
# bcftools mpileup | bcftools call (haploid) restricted to the panel, on the same reads.
#
#   bash bench/analyze.sh               # the bundled tb-demo sample (tests/data/samples)
#   bash bench/analyze.sh sim [PAIRS]   # whole-genome ART simulation (default 1,000,000 pairs) of
#                                       # H37Rv carrying SNVs and indels in and outside the catalogue
#
# Prints wall time and peak RSS of both pipelines and TP/FP/FN of each against the truth
# (both sides normalised with bcftools norm, panel regions only). Data is cached in bench/work/.
# Recall and precision on hundreds of truth variants: bench/analyze-accuracy.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/bench/work/analyze
MODE=${1:-sample}
PAIRS=${2:-1000000}
REFERENCE_GZ=${REFERENCE_GZ:-$ROOT/../shared/data/tb/NC_000962.3.fa.gz}
THREADS=2

need() {
  local missing=()
  for tool in art_illumina bgzip tabix samtools bcftools minimap2 /usr/bin/time; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    echo "installing peer tools (missing: ${missing[*]})" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      art-nextgen-simulation-tools tabix samtools bcftools minimap2 time >/dev/null
  fi
}

need
mkdir -p "$WORK"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build --release --locked -p genoflow-cli >&2
GENOFLOW=${GENOFLOW_BIN:-$CARGO_TARGET_DIR/release/genoflow}
cd "$WORK"
[[ -s genome.fa ]] || gzip -dc "$REFERENCE_GZ" > genome.fa
[[ -s genome.fa.fai ]] || samtools faidx genome.fa
[[ -s genome.fa.mmi ]] || minimap2 -x sr -d genome.fa.mmi genome.fa 2>/dev/null
# Panel regions as BED, from the segment names of the built-in panel.
# The segments holding a gene or its promoter: those whose variants the report lists (the
# segments around the lineage barcode's sites serve the lineage call only).
genes_only() {
  awk -v OFS='\t' 'NR == FNR { if ($5 ~ /^[0-9]+$/) { n++; lo[n] = $5 - ($4 == "+" ? $7 : 0); hi[n] = $6 + ($4 == "-" ? $7 : 0) }; next }
    { for (i = 1; i <= n; i++) if (lo[i] <= $3 && $2 < hi[i]) { print; next } }' \
    "$ROOT/shared/genomics/panels/tb-who-2023/panel.tsv" -
}
gzip -dc "$ROOT/shared/genomics/panels/tb-who-2023/reference.fa.gz" \
  | sed -n 's/^>\(.*\):\([0-9]*\)-\([0-9]*\)$/\1\t\2\t\3/p' | awk -v OFS='\t' '{print $1, $2 - 1, $3}' \
  | genes_only > panel.bed

case $MODE in
  sample)
    R1=$ROOT/tests/data/samples/tb-demo_R1.fastq.gz
    R2=$ROOT/tests/data/samples/tb-demo_R2.fastq.gz
    cp "$ROOT/tests/data/samples/tb-demo.truth.vcf.gz" truth-sample.vcf.gz
    ;;
  sim)
    R1=$WORK/sim_${PAIRS}_R1.fq.gz
    R2=$WORK/sim_${PAIRS}_R2.fq.gz
    # Truth (deterministic, rewritten every run, so it matches the cached reads): catalogue SNVs,
    # SNVs outside the catalogue, and indels of 1-3 bp, REF from the genome.
    python3 - genome.fa > truth-sim.vcf <<'PY'
import sys
seq = "".join(l.strip() for l in open(sys.argv[1]) if not l.startswith(">"))
snvs = {7582: "G", 761155: "T", 1473246: "G", 2155168: "G", 2289073: "C", 4247429: "G",
        1673425: "T", 1918000: None, 3987000: None, 6000: None, 2715000: None}
indels = [(4326500, 2, ""), (762000, 0, "A"), (4407800, 1, ""), (779100, 0, "GG"),
          (1304000, 3, ""), (2859800, 0, "T"), (491200, 1, "")]
rows = []
for pos, alt in snvs.items():
    ref = seq[pos - 1]
    rows.append((pos, ref, alt or "ACGT"[("ACGT".index(ref) + 1) % 4]))
for pos, deleted, inserted in indels:
    ref = seq[pos - 1 : pos + deleted]
    rows.append((pos, ref, ref[0] + inserted))
print("##fileformat=VCFv4.2\n##contig=<ID=NC_000962.3,length=%d>" % len(seq))
print("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
for pos, ref, alt in sorted(rows):
    print(f"NC_000962.3\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.")
PY
    bgzip -f truth-sim.vcf && tabix -f truth-sim.vcf.gz
    if [[ ! -s $R2 ]]; then
      bcftools consensus -f genome.fa truth-sim.vcf.gz 2>/dev/null > mutant.fa
      echo "simulating $PAIRS pairs with ART (HiSeq 2500, 2x150, fragment 400±50)" >&2
      art_illumina -ss HS25 -i mutant.fa -p -l 150 -c "$PAIRS" -m 400 -s 50 -rs 13 -na -o "sim_${PAIRS}_R" >/dev/null
      gzip -f -1 "sim_${PAIRS}_R1.fq" "sim_${PAIRS}_R2.fq"
    fi
    ;;
  *) echo "usage: bash bench/analyze.sh [sample | sim [PAIRS]]" >&2; exit 2 ;;
esac

normalise() { # VCF → sorted "POS REF ALT" lines inside the panel
  bcftools norm -f genome.fa -m -any "$1" 2>/dev/null | bcftools view -H -T panel.bed 2>/dev/null \
    | awk '{print $2, $4, $5}' | sort -u
}
score() { # truth, calls → TP FP FN
  local tp fp fn
  tp=$(comm -12 "$1" "$2" | wc -l); fp=$(comm -13 "$1" "$2" | wc -l); fn=$(comm -23 "$1" "$2" | wc -l)
  echo "$tp $fp $fn"
}
measure() { # label, command... → "wall_s rss_mb" (GNU time: the largest process of the pipeline)
  /usr/bin/time -f "%e %M" -o time.txt "${@:2}" >/dev/null
  awk '{printf "%s %.0f\n", $1, $2 / 1024}' time.txt
}

normalise "truth-$MODE.vcf.gz" > truth.txt

rm -rf gf-out
read -r gf_wall gf_rss < <(measure genoflow "$GENOFLOW" analyze "$R1" "$R2" --out gf-out)
normalise gf-out/variants.vcf > genoflow.txt

read -r peer_wall peer_rss < <(measure peer bash -c "
  minimap2 -t $THREADS -ax sr genome.fa.mmi '$R1' '$R2' 2>/dev/null | samtools sort -@ $THREADS -o aln.bam - 2>/dev/null
  samtools index aln.bam
  bcftools mpileup -f genome.fa -R panel.bed aln.bam 2>/dev/null | bcftools call -m -v --ploidy 1 -Oz -o peer.vcf.gz 2>/dev/null")
normalise peer.vcf.gz > peer.txt

read -r gf_tp gf_fp gf_fn < <(score truth.txt genoflow.txt)
read -r peer_tp peer_fp peer_fn < <(score truth.txt peer.txt)
echo "| input | pipeline | wall (s) | peak RSS (MB) | TP | FP | FN |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
echo "| $MODE | genoflow analyze | $gf_wall | $gf_rss | $gf_tp | $gf_fp | $gf_fn |"
echo "| $MODE | minimap2 + samtools sort + bcftools mpileup/call (panel) | $peer_wall | $peer_rss | $peer_tp | $peer_fp | $peer_fn |"
if ! cmp -s genoflow.txt peer.txt; then
  echo
  echo "calls that differ (< genoflow only, > peers only):"
  diff genoflow.txt peer.txt | grep '^[<>]' || true
fi
