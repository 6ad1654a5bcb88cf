#!/usr/bin/env bash
# Recall and precision of `genoflow analyze` inside the panel on ART simulations of H37Rv genomes
# carrying hundreds of truth variants (the issue's accuracy targets: >= 99 % of SNVs and indels at
# >= 30x, and no resistance call the truth does not support).
#
#   bash bench/analyze-accuracy.sh            # every simulation below
#   bash bench/analyze-accuracy.sh NAME...    # some of them: panel30 panel100 genome30 genome100 mixed lineage
#
# Truth (seeded, bench/work/accuracy/truth-*.vcf.gz): in the panel's segments, catalogue SNVs,
# random SNVs, indels of 1-50 bp, adjacent SNV pairs/triples (multi-base substitutions, with the
# catalogue's ones among them) and the deletion of the whole katG gene body. Genomes are made with
# `bcftools consensus`, reads with ART (HiSeq 2500, 2x150, fragment 400±50). "panel" simulations
# sequence the panel's segments with 500 bp flanks (a targeted assay), "genome" ones the whole
# genome; "mixed" is 70 % of one genome and 30 % of another (panel-only, 100x in total).
# Both sides are normalised (bcftools norm, atomised, split) and compared inside the panel.
#
# "lineage" checks the report's lineage, mixture and species blocks instead (own table): whole
# genomes (2x150, LINEAGE_COVERAGE, default 30x) of H37Rv carrying the derived alleles of one
# lineage and all its ancestors from the panel's lineage-barcode.bed (ancestors by the report's
# rule: the longest dotted prefix that is a lineage of the barcode), made with bcftools
# consensus; a 70/30 mixture of two of them (same total coverage); and a non-MTBC read set. H37Rv
# is lineage 4.9 and carries the derived base at the 10 lineage4 and 10 lineage4.9 sites, so a
# genome outside that lineage gets another base there, chosen as the next one in the order
# A>C>G>T>A after the derived base. There is no non-MTBC genome here: as in
# bench/species-qc.py, the stand-in is the H37Rv sequence reversed (not complemented).
# Data is cached in bench/work/accuracy (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/bench/work/accuracy
REFERENCE_GZ=${REFERENCE_GZ:-$ROOT/../shared/data/tb/NC_000962.3.fa.gz}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
SIMULATIONS=("$@")
((${#SIMULATIONS[@]})) || SIMULATIONS=(panel30 panel100 genome30 genome100 mixed lineage)
LINEAGE_COVERAGE=${LINEAGE_COVERAGE:-30}
# analyze's alignment threads (default: all cores)
THREADS=${THREADS:-}
# case → truth lineage (the genome's deepest lineage); "mix" and "non-mtbc" are built from these
LINEAGE_CASES=(lineage1.2.1.2.1 lineage2.2.1.1 lineage3.1.2.1 lineage4.3.4.2.1 La1.8.1 La1.2.BCG)
MIX_MAJOR=lineage2.2.1.1 MIX_MINOR=lineage4.3.4.2.1

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

# lineage_truths → truth-lineage-NAME.vcf.gz for every LINEAGE_CASES name
lineage_truths() {
  python3 - "$ROOT/shared/genomics/panels/tb-who-2023/lineage-barcode.bed" "${LINEAGE_CASES[@]}" <<'PY'
import sys
barcode, cases = sys.argv[1], sys.argv[2:]
genome = "".join(l.strip() for l in open("genome.fa") if not l.startswith(">"))
sites = []  # (pos 1-based, lineage, derived)
for line in open(barcode):
    f = line.rstrip("\n").split("\t")
    if len(f) >= 5:
        sites.append((int(f[2]), f[3], f[4].upper()))
names = {lineage for _, lineage, _ in sites}
def ancestors(name):  # name and its ancestors, by the longest dotted prefix that is a lineage
    path, parts = [name], name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in names:
            path.append(prefix)
    return set(path)
NEXT = {"A": "C", "C": "G", "G": "T", "T": "A"}
for case in cases:
    assert case in names, case
    path = ancestors(case)
    rows = []
    for pos, lineage, derived in sites:
        ref = genome[pos - 1].upper()
        if lineage in path and derived != ref:
            rows.append((pos, ref, derived))
        elif lineage not in path and derived == ref:
            # H37Rv's own derived base (lineage4, lineage4.9) on a genome outside that lineage
            rows.append((pos, ref, NEXT[derived]))
    with open(f"truth-lineage-{case}.vcf", "w") as out:
        out.write("##fileformat=VCFv4.2\n##contig=<ID=NC_000962.3,length=%d>\n" % len(genome))
        out.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        for pos, ref, alt in sorted(rows):
            out.write(f"NC_000962.3\t{pos}\t.\t{ref}\t{alt}\t.\tPASS\t.\n")
PY
  for case in "${LINEAGE_CASES[@]}"; do
    bgzip -f "truth-lineage-$case.vcf" && tabix -f "truth-lineage-$case.vcf.gz"
  done
}

# lineage_reads → lineage-CASE_R{1,2}.fq.gz for every case, lineage-mix and lineage-non-mtbc
# (two ART runs at a time)
lineage_reads() {
  local c=$LINEAGE_COVERAGE seed=20 case
  for case in "${LINEAGE_CASES[@]}"; do
    [[ -s lineage-$case.fa ]] \
      || bcftools consensus -f genome.fa "truth-lineage-$case.vcf.gz" 2>/dev/null > "lineage-$case.fa"
  done
  [[ -s reversed.fa ]] || python3 - > reversed.fa <<'PY'
seq = "".join(l.strip() for l in open("genome.fa") if not l.startswith(">"))
print(">reversed_NC_000962.3 (H37Rv reversed, not complemented: non-MTBC stand-in)")
rev = seq[::-1]
for i in range(0, len(rev), 80):
    print(rev[i : i + 80])
PY
  jobs=()
  for case in "${LINEAGE_CASES[@]}"; do
    jobs+=("lineage-$case lineage-$case.fa $c $((seed++))")
  done
  jobs+=("lineage-mix-a lineage-$MIX_MAJOR.fa $(awk -v c="$c" 'BEGIN {print c * 0.7}') $((seed++))")
  jobs+=("lineage-mix-b lineage-$MIX_MINOR.fa $(awk -v c="$c" 'BEGIN {print c * 0.3}') $((seed++))")
  jobs+=("lineage-non-mtbc reversed.fa $c $((seed++))")
  printf '%s\n' "${jobs[@]}" | tr ' ' '\n' \
    | xargs -n 4 -P 2 bash -c "$(declare -f make_reads); make_reads \"\$@\"" _
  if [[ ! -s lineage-mix_R2.fq.gz ]]; then
    cat lineage-mix-a_R1.fq.gz lineage-mix-b_R1.fq.gz > lineage-mix_R1.fq.gz
    cat lineage-mix-a_R2.fq.gz lineage-mix-b_R2.fq.gz > lineage-mix_R2.fq.gz
  fi
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
    lineage) lineage_truths; lineage_reads ;;
    *) echo "unknown simulation $sim (panel30 panel100 genome30 genome100 mixed lineage)" >&2; exit 2 ;;
  esac
done
[[ ${PREPARE_ONLY:-} ]] && exit 0
(cd "$ROOT" && cargo build --release --locked -p genoflow-cli >&2)
GENOFLOW=${GENOFLOW_BIN:-$CARGO_TARGET_DIR/release/genoflow}

VARIANT_SIMULATIONS=()
for sim in "${SIMULATIONS[@]}"; do [[ $sim == lineage ]] || VARIANT_SIMULATIONS+=("$sim"); done
if ((${#VARIANT_SIMULATIONS[@]})); then
echo "| simulation | truth SNVs | truth indels | SNV recall | SNV precision | indel recall | indel precision | unsupported resistance | katG deletion | wall (s) | peak RSS (MB) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |"
for sim in "${VARIANT_SIMULATIONS[@]}"; do
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
for sim in "${VARIANT_SIMULATIONS[@]}"; do
  for kind in fn fp; do
    [[ -s $kind-$sim.txt ]] && { echo "$sim $kind:"; head -20 "$kind-$sim.txt"; }
  done
done
fi

if [[ " ${SIMULATIONS[*]} " == *" lineage "* ]]; then
  echo "| case | truth lineage | called lineage | path | mixture (proportions) | species (mtbc_fraction) | wall (s) | result |"
  echo "| --- | --- | --- | --- | --- | --- | ---: | --- |"
  for case in "${LINEAGE_CASES[@]}" mix non-mtbc; do
    rm -rf "out-lineage-$case"
    /usr/bin/time -f "%e %M" -o time.txt "$GENOFLOW" analyze ${THREADS:+--threads "$THREADS"} \
      "lineage-${case}_R1.fq.gz" "lineage-${case}_R2.fq.gz" --out "out-lineage-$case" >/dev/null
    read -r wall _ < time.txt
    python3 - "$case" "out-lineage-$case/report.json" "$wall" "$MIX_MAJOR" "$MIX_MINOR" "$LINEAGE_COVERAGE" <<'PY'
import json, sys
case, report, wall, major, minor, coverage = sys.argv[1:]
r = json.load(open(report))
lineage, mixture, species = r["lineage"], r["mixture"], r["species"]
called, path = lineage["call"], lineage.get("path") or "-"
props = {p["lineage"]: p["fraction"] for p in mixture.get("proportions", [])}
why = []
if case == "mix":
    label, truth = "mix 70/30", f"{major} 0.7 + {minor} 0.3"
    if called != major: why.append(f"call {called}, not {major}")
    if mixture["verdict"] != "mixed": why.append(f"mixture {mixture['verdict']}")
    for name, share in ((major, 0.7), (minor, 0.3)):
        if abs(props.get(name, 0) - share) > 0.1: why.append(f"{name} share {props.get(name, 0)} (truth {share})")
    extra = sorted(set(props) - {major, minor})
    if extra: why.append("extra strains " + ", ".join(extra))
    if species["verdict"] != "mtbc": why.append(f"species {species['verdict']}")
elif case == "non-mtbc":
    label, truth = "non-MTBC (H37Rv reversed)", "none (not MTBC)"
    if species["verdict"] != "not_mtbc": why.append(f"species {species['verdict']}")
    if called != "unknown": why.append(f"call {called}")
    if mixture["verdict"] != "unknown": why.append(f"mixture {mixture['verdict']}")
else:
    label, truth = case, case
    if called != case: why.append(f"call {called}, not {case}")
    if mixture["verdict"] != "single": why.append(f"mixture {mixture['verdict']}")
    if species["verdict"] != "mtbc": why.append(f"species {species['verdict']}")
proportions = ", ".join(f"{k} {v}" for k, v in props.items())
mix = mixture["verdict"] + (f" ({proportions})" if proportions else "")
if called == "unknown" and lineage.get("reason"):
    called = f"unknown ({lineage['reason'].split(':')[0]})"
sp = f"{species['verdict']} ({species.get('mtbc_fraction')})"
result = "pass" if not why else "FAIL: " + "; ".join(why)
print(f"| {label} | {truth} | {called} | {path} | {mix} | {sp} | {wall} | {result} |")
PY
  done
  echo
  echo "(whole genome, 2x150, ${LINEAGE_COVERAGE}x per case; the mixture ${LINEAGE_COVERAGE}x in total)"
fi
true
