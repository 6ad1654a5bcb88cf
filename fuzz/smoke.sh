#!/usr/bin/env bash
# Smoke-fuzzes genoflow_genomics::validate: seeds the corpora from tests/data, builds the four
# genomics targets once, runs each for FUZZ_SECONDS and prints executions, speed and coverage.
# Exits non-zero, naming the reproducing input, if any target crashes, times out or runs out of
# memory.
#
#   bash fuzz/smoke.sh                         # 60 s per target
#   FUZZ_SECONDS=180 bash fuzz/smoke.sh cram   # some targets only
#
# Environment:
#   FUZZ_SECONDS     seconds per target (default 60)
#   FUZZ_KEEP_GOING  non-empty: go on past findings (libFuzzer fork mode) and list them all
#   FUZZ_SANITIZER   cargo fuzz --sanitizer (default address: it is what lets libFuzzer report a
#                    single huge allocation as out-of-memory)
#   FUZZ_BUILD_FLAGS extra cargo fuzz build/run flags, e.g. -a for overflow checks
#   FUZZ_JOBS        targets run at once (default 1)
#   FUZZ_ARGS        extra libFuzzer flags
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
seconds=${FUZZ_SECONDS:-60}
sanitizer=${FUZZ_SANITIZER:-address}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(validate validate_format cram bgzf)
# cargo-fuzz needs nightly flags (-Z); the stable toolchain takes them with RUSTC_BOOTSTRAP=1.
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked || exit 1
fi

echo "== seeding corpora"
python3 seed-validate.py || exit 1

echo "== building (cargo fuzz build -O, sanitizer $sanitizer)"
# shellcheck disable=SC2086 # FUZZ_BUILD_FLAGS is a list of flags
for target in "${targets[@]}"; do
  cargo fuzz build -O --sanitizer "$sanitizer" ${FUZZ_BUILD_FLAGS:-} "$target" || exit 1
done

logs=$(mktemp -d)
failed=()
# libFuzzer flags for every run. -timeout: seconds for one input. -rss_limit_mb also caps any
# single allocation (-malloc_limit_mb defaults to it) under the address sanitizer.
# -detect_leaks=0: validate leaves its read-ahead threads to finish on their own, and
# LeakSanitizer now and then reports the buffers of one still running as leaked.
flags=(-rss_limit_mb=2048 -timeout=10 -max_len=65536 -print_final_stats=1 -detect_leaks=0)
# libFuzzer's -detect_leaks=0 covers each input; AddressSanitizer still checks at exit, when a
# read-ahead thread may still hold its thread-locals (a 240-byte "leak" failed a CI run).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
if [ -n "${FUZZ_KEEP_GOING:-}" ]; then
  # Go on past crashes, timeouts and OOMs (each input is run in a child process), to collect
  # every finding of the run instead of stopping at the first.
  flags+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi

run_target() {
  local target=$1
  mkdir -p "artifacts/$target"
  ls "artifacts/$target" >"$logs/$target.before"
  # shellcheck disable=SC2086 # FUZZ_BUILD_FLAGS and FUZZ_ARGS are lists of flags
  cargo fuzz run -O --sanitizer "$sanitizer" ${FUZZ_BUILD_FLAGS:-} "$target" "corpus/$target" -- \
    -max_total_time="$seconds" "${flags[@]}" ${FUZZ_ARGS:-} >"$logs/$target.log" 2>&1
}

# What the target does on one artifact: the panic message, the allocation, or the timeout.
describe() {
  local target=$1 file=$2 out
  # shellcheck disable=SC2086 # FUZZ_BUILD_FLAGS is a list of flags
  out=$(timeout 300 cargo fuzz run -O --sanitizer "$sanitizer" ${FUZZ_BUILD_FLAGS:-} "$target" "$file" -- \
    -rss_limit_mb=2048 -timeout=10 -detect_leaks=0 2>&1)
  { echo "$out" | grep -A1 'panicked at' | sed -n 2p
    echo "$out" | grep -oE 'out-of-memory \(malloc\([0-9]+\)\)|allocator is trying to allocate [0-9a-fx]+ bytes|timeout after [0-9]+ seconds|ERROR: AddressSanitizer: [a-z-]+'
  } | head -1
}

summarise() {
  local target=$1 status=$2 log=$logs/$1.log
  local last execs speed stats found
  # The last status line: "#N DONE cov: …" (or "#N: cov: …" in fork mode).
  last=$(grep -E '^#[0-9]+:?[[:space:]]' "$log" | grep -E 'cov: ' | tail -1)
  execs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log" | tail -1)
  [ -n "$execs" ] || execs=$(echo "$last" | grep -oE '^#[0-9]+' | tr -d '#')
  speed=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$log" | tail -1)
  [ -n "$speed" ] || speed=$(echo "$last" | grep -oE 'exec/s: [0-9]+' | grep -oE '[0-9]+')
  stats=$(echo "$last" | grep -oE '(cov|ft|corp|rss|oom/timeout/crash): [^ ]+' | tr '\n' ' ')
  found=$(ls "artifacts/$target" | grep -vxFf "$logs/$target.before")
  printf '%-16s exit %-3s executions %-9s exec/s %-6s %s\n' "$target" "$status" "${execs:-?}" "${speed:-?}" "$stats"
  if [ "$status" -ne 0 ] || [ -n "$found" ]; then
    [ -n "$found" ] || grep -E '^==[0-9]+== ?ERROR|^SUMMARY|panicked at' "$log" -A1 | grep -vE '^--$|stack backtrace' | head -6 | sed 's/^/    /'
    for file in $found; do
      echo "    reproducer: fuzz/artifacts/$target/$file"
      echo "      $(describe "$target" "artifacts/$target/$file")"
    done
    echo "    full log: $log"
    failed+=("$target")
  fi
}

echo "== fuzzing ${targets[*]} for ${seconds}s each"
jobs_at_once=${FUZZ_JOBS:-1}
pending=("${targets[@]}")
while [ ${#pending[@]} -gt 0 ]; do
  batch=("${pending[@]:0:$jobs_at_once}")
  pending=("${pending[@]:$jobs_at_once}")
  declare -A pids=()
  for target in "${batch[@]}"; do
    run_target "$target" &
    pids[$target]=$!
  done
  for target in "${batch[@]}"; do
    wait "${pids[$target]}"
    summarise "$target" $?
  done
  unset pids
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]} (reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run -O ${FUZZ_BUILD_FLAGS:+$FUZZ_BUILD_FLAGS }TARGET FILE, from fuzz/)"
  exit 1
fi
echo "OK: no crash, timeout or out-of-memory in ${targets[*]}"
