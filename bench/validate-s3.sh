#!/usr/bin/env bash
# Validation throughput through the S3 adapter (parallel ranged GETs into the validator, as the
# validate function reads an object) from moto's server on 127.0.0.1, next to the same file read
# from disk. Needs bench/work/ from `bash bench/validate.sh prepare`.
#
#   RUNS=3 bash bench/validate-s3.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-3}"
files=(bench/work/reads.fq.gz bench/work/reads.fq.bgz bench/work/reads.bam)
for file in "${files[@]}"; do
  [[ -f $file ]] || { echo "missing $file: run bash bench/validate.sh prepare" >&2; exit 2; }
done
cargo build --release --locked -p genoflow-aws --example validate-object -p genoflow-cli >/dev/null
bash tests/with-moto.sh bash -c '
  set -euo pipefail
  runs=$1; shift
  bucket="bench-$(date +%s)"
  python3 - "$bucket" <<PY
import sys, urllib.request, os
req = urllib.request.Request(os.environ["AWS_ENDPOINT_URL"] + "/" + sys.argv[1], method="PUT")
urllib.request.urlopen(req)
PY
  echo "| file | MB stored | via S3 adapter (best of $runs) MB/s | from disk MB/s |"
  echo "| --- | ---: | ---: | ---: |"
  for file in "$@"; do
    key="$(basename "$file")"
    target/release/examples/validate-object "$bucket" "$key" --upload "$file" >/dev/null
    best_s3=0
    for _ in $(seq "$runs"); do
      line="$(target/release/examples/validate-object "$bucket" "$key")"
      mbps="$(python3 -c "import json,sys; print(json.loads(sys.argv[1])[\"stored_mb_per_s\"])" "$line")"
      best_s3="$(python3 -c "print(max($best_s3, $mbps))")"
    done
    best_disk=0
    for _ in $(seq "$runs"); do
      start=$(date +%s%N)
      target/release/genoflow validate "$file" >/dev/null
      ns=$(( $(date +%s%N) - start ))
      mbps="$(python3 -c "import os; print(round(os.path.getsize(\"$file\") / 1e6 / ($ns / 1e9), 1))")"
      best_disk="$(python3 -c "print(max($best_disk, $mbps))")"
    done
    size="$(python3 -c "import os; print(round(os.path.getsize(\"$file\") / 1e6))")"
    echo "| $key | $size | $best_s3 | $best_disk |"
  done
' _ "$runs" "${files[@]}"
