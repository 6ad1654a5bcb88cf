#!/usr/bin/env bash
# Recall and precision of `genoflow analyze` inside the panel on ART simulations of H37Rv genomes
# carrying hundreds of truth variants (the issue's accuracy targets: >= 99 % of SNVs and indels at
# >= 30x, and no resistance call the truth does not support).
#
#   bash bench/analyze-accuracy.sh            # every simulation below
#   bash bench/analyze-accuracy.sh NAME...    # some of them: panel30 panel100 genome30 genome100 mixed
#
# Truth (seeded, bench/work/accuracy/truth-*.vcf.gz): in the panel's segments, catalogue SNVs,
# random SNVs, indels of 1-50 bp, adjacent SNV pairs/triples (multi-base substitutions, with the
# catalogue's ones among them) and the deletion of the whole katG gene body. Genomes are made with
# `bcftools consensus`, reads with ART (HiSeq 2500, 2x150, fragment 400±50). "panel" simulations
# sequence the panel's segments with 500 bp flanks (a targeted assay), "genome" ones the whole
# genome; "mixed" is 70 % of one genome and 30 % of another (panel-only, 100x in total).
# Both sides are normalised (bcftools norm, atomised, split) and compared inside the panel.
# Data is cached in bench/work/accuracy (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/bench/work/accuracy
REFERENCE_GZ=${REFERENCE_GZ:-$ROOT/../shared/data/tb/NC_000962.3.fa.gz}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
SIMULATIONS=("$@")
((${#SIMULATIONS[@]})) || SIMULATIONS=(panel30 panel100 genome30 genome100 mixed)

missing=()
for tool in art_illumina bgzip tabix samtools bcftools /usr/bin/time python3; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "installing tools (missing: ${missing[*]})" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    art-nextgen-simulation-tools tabix samtools bcftools time python3 >/dev/null
fi

mkdir -p "$WORK"
cd "$WORK"
[[ -s genome.fa ]] || gzip -dc "$REFERENCE_GZ" > genome.fa
[[ -s genome.fa.fai ]] || samtools faidx genome.fa
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
gzip -dc "$ROOT/shared/genomics/panels/tb-who-2023/catalogue.tsv.gz" > catalogue.tsv
awk -F'\t' '$1 == "katG" {print $5, $6}' "$ROOT/shared/genomics/panels/tb-who-2023/panel.tsv" > katg.txt

# truth SEED COUNT GENE_DELETION [AWAY_FROM.vcf.gz] → truth-SEED.vcf.gz (variants at least 110 bp
# from each other and from those of AWAY_FROM: the mixed sample's strains differ at distinct sites)
make_truth() {
  local seed=$1 count=$2 gene_deletion=$3 away=${4:-}
  [[ -s truth-$seed.vcf.gz ]] && return
  python3 - "$seed" "$count" "$gene_deletion" <(if [[ $away ]]; then gzip -dc "$away"; fi) \
    > "truth-$seed.vcf" <<'PY'
import random, sys
seed, count, gene_deletion = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "yes"
rng = random.Random(seed)
genome = "".join(l.strip() for l in open("genome.fa") if not l.startswith(">"))
segments = [tuple(map(int, l.split()[1:])) for l in open("panel.bed")]
katg_start, katg_end = map(int, open("katg.txt").read().split())
# Catalogue substitutions (single and multi-base), by position.
catalogue = {}
for line in open("catalogue.tsv"):
    chrom, pos, ref, alt, variant, *_ = line.rstrip("\n").split("\t")
    if chrom == "chrom" or len(ref) != len(alt) or variant.endswith("_LoF"):
        continue
    catalogue.setdefault(int(pos), []).append((ref, alt))
rows, taken = [], []
for line in open(sys.argv[4]):
    if not line.startswith("#"):
        f = line.split("\t"); taken.append((int(f[1]), int(f[1]) + len(f[3])))
def free(start, end, gap=110):
    if gene_deletion and start <= katg_end + 160 and end >= katg_start - 160:
        return False
    return all(end + gap < s or start > e + gap for s, e in taken)
def inside(start, end):
    # 80 bp from segment ends so deletions and their flanks stay in the panel.
    return any(s + 80 < start and end < e - 80 for s, e in segments)
def add(pos, ref, alt):
    rows.append((pos, ref, alt)); taken.append((pos, pos + len(ref)))
positions = sorted(catalogue)
kinds = ["catalogue"] * 30 + ["snv"] * 30 + ["indel"] * 30 + ["adjacent"] * 10
attempts = 0
while len(rows) < count and attempts < 200000:
    attempts += 1
    kind = rng.choice(kinds)
    if kind == "catalogue" or (kind == "adjacent" and rng.random() < 0.5):
        pos = rng.choice(positions)
        ref, alt = rng.choice(catalogue[pos])
        if (kind == "adjacent") != (len(ref) > 1):
            continue
    else:
        segment = rng.choice(segments)
        pos = rng.randint(segment[0] + 1, segment[1])
        if kind == "snv":
            ref = genome[pos - 1]; alt = rng.choice([b for b in "ACGT" if b != ref])
        elif kind == "adjacent":
            span = rng.choice([2, 2, 3])
            ref = genome[pos - 1 : pos - 1 + span]
            alt = "".join(rng.choice([b for b in "ACGT" if b != r]) for r in ref)
            if span == 3 and rng.random() < 0.5:
                alt = alt[0] + ref[1] + alt[2]  # first and third base of a codon
        else:
            length = rng.choice([rng.randint(1, 5), rng.randint(1, 5), rng.randint(6, 20), rng.randint(21, 50)])
            ref = genome[pos - 1]
            if rng.random() < 0.5:
                ref = genome[pos - 1 : pos + length]; alt = ref[0]
            else:
                alt = ref + "".join(rng.choice("ACGT") for _ in range(length))
    if "N" in ref or not inside(pos, pos + len(ref)) or not free(pos, pos + len(ref)):
        continue
    add(pos, ref, alt)
if gene_deletion:
    # The whole katG body: the catalogue's loss-of-function class for isoniazid.
    rows.append((katg_start - 1, genome[katg_start - 2 : katg_end], genome[katg_start - 2]))
print("##fileformat=VCFv4.2\n##contig=<ID=NC_000962.3,length=%d>" % len(genome))
print("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
for pos, ref, alt in sorted(rows):
    print(f"NC_000962.3\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.")
PY
  bgzip -f "truth-$seed.vcf" && tabix -f "truth-$seed.vcf.gz"
}

# mutant SEED → mutant-SEED.fa (whole genome) and mutant-SEED.panel.fa (panel segments ± 500 bp)
make_mutant() {
  local seed=$1
  [[ -s mutant-$seed.panel.fa ]] && return
  bcftools consensus -f genome.fa "truth-$seed.vcf.gz" 2>/dev/null > "mutant-$seed.fa"
  awk '{printf "%s:%d-%d\n", $1, ($2 - 500 < 1 ? 1 : $2 - 500), $3 + 500}' panel.bed > regions.txt
  samtools faidx genome.fa -r regions.txt | bcftools consensus "truth-$seed.vcf.gz" 2>/dev/null \
    > "mutant-$seed.panel.fa"
}

# reads NAME FASTA COVERAGE RANDOM_SEED → NAME_R1.fq.gz NAME_R2.fq.gz
make_reads() {
  local name=$1 fasta=$2 coverage=$3 seed=$4
  [[ -s ${name}_R2.fq.gz ]] && return
  art_illumina -ss HS25 -i "$fasta" -p -l 150 -f "$coverage" -m 400 -s 50 -rs "$seed" -na \
    -o "${name}_R" >/dev/null
  gzip -f -1 "${name}_R1.fq" "${name}_R2.fq"
}

normalise() { # VCF → sorted "POS REF ALT" lines inside the panel, indels ≤ 50 bp, atomised
  bcftools norm -f genome.fa -a -m -any "$1" 2>/dev/null | bcftools view -H -T panel.bed 2>/dev/null \
    | awk 'length($4) <= 51 && length($5) <= 51 {print $2, $4, $5}' | sort -u
}
count() { awk -v kind="$2" '(kind == "snv") == (length($2) == 1 && length($3) == 1)' "$1" | wc -l; }

make_truth 101 300 yes
make_truth 202 60 no truth-101.vcf.gz
make_mutant 101
make_mutant 202
GENOME_BP=$(awk '{s += $2} END {print s}' genome.fa.fai)

# Reads of every simulation first (ART takes minutes; cached), then the analyses.
for sim in "${SIMULATIONS[@]}"; do
  case $sim in
    panel30 | panel100) make_reads "$sim" mutant-101.panel.fa "${sim#panel}" 7 ;;
    genome30 | genome100) make_reads "$sim" mutant-101.fa "${sim#genome}" 7 ;;
    mixed)
      if [[ ! -s mixed_R2.fq.gz ]]; then
        make_reads mixed-a mutant-101.panel.fa 70 8
        make_reads mixed-b mutant-202.panel.fa 30 9
        cat mixed-a_R1.fq.gz mixed-b_R1.fq.gz > mixed_R1.fq.gz
        cat mixed-a_R2.fq.gz mixed-b_R2.fq.gz > mixed_R2.fq.gz
      fi ;;
    *) echo "unknown simulation $sim (panel30 panel100 genome30 genome100 mixed)" >&2; exit 2 ;;
  esac
done
[[ ${PREPARE_ONLY:-} ]] && exit 0
(cd "$ROOT" && cargo build --release --locked -p genoflow-cli >&2)
GENOFLOW=${GENOFLOW_BIN:-$CARGO_TARGET_DIR/release/genoflow}

echo "| simulation | truth SNVs | truth indels | SNV recall | SNV precision | indel recall | indel precision | unsupported resistance | katG deletion | wall (s) | peak RSS (MB) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"
for sim in "${SIMULATIONS[@]}"; do
  case $sim in
    panel30 | panel100 | genome30 | genome100) truth=truth-101.vcf.gz ;;
    mixed)
      bcftools concat -a -D truth-101.vcf.gz truth-202.vcf.gz 2>/dev/null | bcftools sort -Oz -o truth-mixed.vcf.gz 2>/dev/null
      tabix -f truth-mixed.vcf.gz
      truth=truth-mixed.vcf.gz ;;
  esac
  rm -rf "out-$sim"
  /usr/bin/time -f "%e %M" -o time.txt "$GENOFLOW" analyze "${sim}_R1.fq.gz" "${sim}_R2.fq.gz" \
    --out "out-$sim" >/dev/null
  read -r wall rss_kb < time.txt
  normalise "$truth" > "truth-$sim.txt"
  normalise "out-$sim/variants.vcf" > "calls-$sim.txt"
  comm -12 "truth-$sim.txt" "calls-$sim.txt" > "tp-$sim.txt"
  comm -13 "truth-$sim.txt" "calls-$sim.txt" > "fp-$sim.txt"
  comm -23 "truth-$sim.txt" "calls-$sim.txt" > "fn-$sim.txt"
  # Resistance evidence must sit on a truth variant (its position or inside a truth deletion).
  bcftools norm -f genome.fa -m -any "$truth" 2>/dev/null > "truth-$sim.norm.vcf"
  unsupported=$(python3 - "out-$sim/report.json" "truth-$sim.norm.vcf" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
spans = []
for line in open(sys.argv[2]):
    if not line.startswith("#"):
        f = line.split("\t"); pos = int(f[1]); spans.append((pos, pos + len(f[3])))
bad = [e["variant"] for d in report["resistance"] for e in d["evidence"]
       if not any(s <= e["pos"] <= t for s, t in spans)]
print(len(bad), *sorted(set(bad)))
PY
)
  katg=$(python3 -c '
import json, sys
report = json.load(open(sys.argv[1]))
hits = [v for v in report["variants"] if v["gene"] == "katG" and len(v["ref"]) > 1000]
print(hits[0]["consequence"] if hits else "not found")' "out-$sim/report.json")
  percent() { awk -v a="$1" -v b="$2" 'BEGIN {printf (b ? "%.1f %%" : "-"), b ? 100 * a / b : 0}'; }
  ts=$(count "tp-$sim.txt" snv); ti=$(count "tp-$sim.txt" indel)
  fs=$(count "fp-$sim.txt" snv); fi_=$(count "fp-$sim.txt" indel)
  ns=$(count "truth-$sim.txt" snv); ni=$(count "truth-$sim.txt" indel)
  echo "| $sim | $ns | $ni | $(percent "$ts" "$ns") | $(percent "$ts" $((ts + fs))) | $(percent "$ti" "$ni") | $(percent "$ti" $((ti + fi_))) | $unsupported | $katg | $wall | $((rss_kb / 1024)) |"
done
echo
for sim in "${SIMULATIONS[@]}"; do
  for kind in fn fp; do
    [[ -s $kind-$sim.txt ]] && { echo "$sim $kind:"; head -20 "$kind-$sim.txt"; }
  done
done
true
