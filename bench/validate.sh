#!/usr/bin/env bash
# Benchmark of `genoflow validate` against the peer tools from Debian on a simulated
# whole-genome M. tuberculosis read set (about 650 MB of FASTQ).
#
#   bash bench/validate.sh            # prepare the data once (cached in bench/work/), then measure
#   bash bench/validate.sh prepare    # only simulate, compress, align and call
#   bash bench/validate.sh measure    # measure only
#   GENOFLOW_BIN=path/to/genoflow bash bench/validate.sh measure   # measure that binary, no build
#
# The release build goes to $CARGO_TARGET_DIR (default target/).
#
# Reports wall time, throughput (MB/s of decompressed data, or of stored data for BAM) and peak
# RSS of each command, best of RUNS runs, as a Markdown table on stdout. Run it on a quiet
# machine: the other core is part of what is measured.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
WORK=$ROOT/bench/work
RUNS=${RUNS:-3}
PAIRS=${PAIRS:-1000000}   # 1e6 pairs × 150 bp: R1 alone is ~330 MB, both mates ~660 MB
REFERENCE_GZ=${REFERENCE_GZ:-$ROOT/../shared/data/tb/NC_000962.3.fa.gz}

need() {
  local missing=()
  for tool in art_illumina bgzip bzip2 seqkit samtools bcftools minimap2 /usr/bin/time; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    echo "installing peer tools (missing: ${missing[*]})" >&2
    apt-get update -qq && apt-get install -y -qq art-nextgen-simulation-tools tabix bzip2 seqkit samtools bcftools minimap2 time >/dev/null
  fi
}

prepare() {
  mkdir -p "$WORK"
  cd "$WORK"
  if [[ ! -s reads.fq ]]; then
    [[ -s genome.fa ]] || gzip -dc "$REFERENCE_GZ" > genome.fa
    echo "simulating $PAIRS read pairs with ART (HiSeq 2500 profile)" >&2
    art_illumina -ss HS25 -i genome.fa -p -l 150 -c "$PAIRS" -m 400 -s 50 -rs 11 -na -o sim_R >/dev/null
    # Both mates in one file: one ~650 MB FASTQ.
    cat sim_R1.fq sim_R2.fq > reads.fq
    rm -f sim_R1.fq sim_R2.fq
  fi
  [[ -s reads.fq.gz ]] || gzip -6 -c reads.fq > reads.fq.gz
  [[ -s reads.fq.bgz ]] || bgzip -@ 2 -c reads.fq > reads.fq.bgz
  if [[ ! -s reads.bam ]]; then
    echo "aligning with minimap2 -ax sr for the BAM and VCF cases" >&2
    minimap2 -t 2 -ax sr genome.fa reads.fq 2>/dev/null | samtools sort -@ 2 -o reads.bam - 2>/dev/null
  fi
  if [[ ! -s calls.vcf ]]; then
    # All sites, not only variants: the simulated genome is the reference itself, and a VCF of
    # every position (a gVCF-like file of ~4.4 million records) is what stresses a validator.
    echo "calling every site with bcftools mpileup | call -m" >&2
    bcftools mpileup --threads 2 -f genome.fa -a AD,DP reads.bam 2>/dev/null \
      | bcftools call --threads 2 -m --ploidy 1 -o calls.vcf 2>/dev/null
  fi
  [[ -s calls.vcf.gz ]] || bgzip -c calls.vcf > calls.vcf.gz
  # bzip2 is the slowest decompression: it sets the throughput a time limit can count on.
  [[ -s reads.fq.bz2 ]] || bzip2 -9 -c reads.fq > reads.fq.bz2
  [[ -s reads.cram ]] || samtools view -@ 2 -C -T genome.fa -o reads.cram reads.bam
  cd "$ROOT"
}

# Runs a command RUNS times; prints "best_seconds peak_rss_kib" of the fastest run.
measure_cmd() {
  local best="" rss="" out timing
  timing=$(mktemp)
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f '%e %M' -o "$timing" "$@" >/dev/null 2>&1 || true
    out=$(tail -1 "$timing")
    local seconds=${out% *} kib=${out#* }
    if [[ -z $best ]] || awk -v a="$seconds" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$seconds; rss=$kib; fi
  done
  rm -f "$timing"
  echo "$best $rss"
}

row() { # label, megabytes processed, command...
  local label=$1 megabytes=$2; shift 2
  read -r seconds kib < <(measure_cmd "$@")
  awk -v l="$label" -v s="$seconds" -v mb="$megabytes" -v k="$kib" -v c="$*" \
    'BEGIN{ printf "| %s | %.2f | %.0f | %.1f | `%s` |\n", l, s, (s>0? mb/s : 0), k/1024, c }'
}

run() {
  local genoflow=${GENOFLOW_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/genoflow}
  local fq=$WORK/reads.fq gz=$WORK/reads.fq.gz bgz=$WORK/reads.fq.bgz bam=$WORK/reads.bam vcf=$WORK/calls.vcf vcfgz=$WORK/calls.vcf.gz
  local fq_mb bam_mb vcf_mb
  fq_mb=$(( $(stat -c %s "$fq") / 1000000 ))
  bam_mb=$(( $(stat -c %s "$bam") / 1000000 ))
  vcf_mb=$(( $(stat -c %s "$vcf") / 1000000 ))
  echo "Inputs: FASTQ $fq_mb MB ($(wc -l < "$fq" | awk '{print $1/4}') reads), gzip $(( $(stat -c %s "$gz") / 1000000 )) MB, BGZF $(( $(stat -c %s "$bgz") / 1000000 )) MB, BAM $bam_mb MB, VCF $vcf_mb MB. Throughput is of decompressed FASTQ/VCF bytes, of the BAM's stored bytes for BAM and CRAM. Best of $RUNS runs; $(nproc) cores."
  echo
  echo "| case | seconds | MB/s | peak RSS (MiB) | command |"
  echo "| --- | ---: | ---: | ---: | --- |"
  row "FASTQ plain: genoflow validate (+stats, SHA-256)" "$fq_mb" "$genoflow" validate "$fq"
  row "FASTQ plain: seqkit stats -a" "$fq_mb" seqkit stats -a -j 2 "$fq"
  row "FASTQ plain: sha256sum alone" "$fq_mb" sha256sum "$fq"
  row "FASTQ gzip: genoflow validate" "$fq_mb" "$genoflow" validate "$gz"
  row "FASTQ gzip: seqkit stats -a" "$fq_mb" seqkit stats -a -j 2 "$gz"
  row "FASTQ BGZF: genoflow validate" "$fq_mb" "$genoflow" validate "$bgz"
  row "FASTQ BGZF: seqkit stats -a" "$fq_mb" seqkit stats -a -j 2 "$bgz"
  row "FASTQ bzip2: genoflow validate" "$fq_mb" "$genoflow" validate "$WORK/reads.fq.bz2"
  row "FASTQ bzip2: seqkit stats -a" "$fq_mb" seqkit stats -a -j 2 "$WORK/reads.fq.bz2"
  row "BAM: genoflow validate" "$bam_mb" "$genoflow" validate "$bam"
  row "BAM: samtools quickcheck" "$bam_mb" samtools quickcheck "$bam"
  row "BAM: samtools flagstat" "$bam_mb" samtools flagstat -@ 2 "$bam"
  row "CRAM: genoflow validate --reference" "$bam_mb" "$genoflow" validate --reference "$WORK/genome.fa" "$WORK/reads.cram"
  row "CRAM: samtools view -c" "$bam_mb" samtools view -@ 2 -c -T "$WORK/genome.fa" "$WORK/reads.cram"
  row "VCF: genoflow validate" "$vcf_mb" "$genoflow" validate "$vcf"
  row "VCF: bcftools view" "$vcf_mb" bcftools view -Ou -o /dev/null "$vcf"
  row "VCF bgzip: genoflow validate" "$vcf_mb" "$genoflow" validate "$vcfgz"
  row "VCF bgzip: bcftools view" "$vcf_mb" bcftools view -Ou -o /dev/null "$vcfgz"
}

build() {
  [[ -n ${GENOFLOW_BIN:-} ]] || cargo build --release --locked -p genoflow-cli >&2
}

need
case ${1:-all} in
  prepare) prepare ;;
  measure) build && run ;;
  all) prepare && build && run ;;
  *) echo "usage: bash bench/validate.sh [prepare|measure|all]" >&2; exit 2 ;;
esac
