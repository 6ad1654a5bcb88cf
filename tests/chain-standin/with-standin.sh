#!/usr/bin/env bash
# Runs a command against a fresh chain stand-in:
#
#   tests/chain-standin/with-standin.sh COMMAND [ARGS...]
#
# starts server.mjs on a free 127.0.0.1 port (extra server options in
# STANDIN_ARGS, e.g. STANDIN_ARGS="--block-ms 100"), waits for its
# `listening URL` line, runs COMMAND with GENOFLOW_STANDIN_URL=URL, prints how
# many transactions the stand-in executed and how long COMMAND took, and stops
# the server whatever happens. Exits with COMMAND's status, or 3 when COMMAND
# passed but a contract call violated its post-conditions (the stand-in cannot
# abort those the way a node does; STANDIN_ALLOW_POST_CONDITION_VIOLATIONS=1
# accepts them).
# Needs `npm ci` in tests/chain-standin first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ $# -eq 0 ]]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi
if [[ ! -d "$here/node_modules/@stacks/clarinet-sdk" ]]; then
  echo "the stand-in's packages are missing: run (cd tests/chain-standin && npm ci) first" >&2
  exit 2
fi

logs="$(mktemp -d)"
read -r -a server_args <<<"${STANDIN_ARGS:-}"
node "$here/server.mjs" "${server_args[@]}" >"$logs/stdout" 2>"$logs/stderr" &
server_pid=$!
stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$logs"
}
trap stop_server EXIT

started=$SECONDS
url=""
# Loading the simnet takes several seconds; give it up to a minute.
for _ in $(seq 300); do
  url="$(sed -n 's/^listening //p' "$logs/stdout" | head -n 1)"
  [[ -n $url ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the chain stand-in exited before listening; its log:" >&2
    cat "$logs/stderr" >&2
    exit 1
  fi
  sleep 0.2
done
if [[ -z $url ]]; then
  echo "the chain stand-in did not start within 60 s; its log:" >&2
  cat "$logs/stderr" >&2
  exit 1
fi
echo "chain stand-in at $url (ready in $((SECONDS - started)) s)"

command_started=$(date +%s%N)
status=0
GENOFLOW_STANDIN_URL="$url" "$@" || status=$?
elapsed_ms=$((($(date +%s%N) - command_started) / 1000000))

node --input-type=module -e '
const [url, elapsedMs] = process.argv.slice(1);
const status = await (await fetch(`${url}/standin/status`)).json();
const { counts } = status;
const refused = Object.entries(counts.rejected).map(([reason, n]) => `${reason} ${n}`).join(", ") || "none";
console.log(
  `chain stand-in: ${counts.executed} transactions executed (${counts.success} success, ` +
    `${counts.abort_by_response} abort_by_response) in ${counts.blocks} mining rounds, ` +
    `${counts.dropped} dropped, ${counts.accepted} accepted, refused: ${refused}; ` +
    `${counts.post_condition_violations} post-condition violations; ` +
    `chain height ${status.block_height}; the command took ${(elapsedMs / 1000).toFixed(1)} s`,
);
if (counts.post_condition_violations > 0) {
  console.error(
    `chain stand-in: ${counts.post_condition_violations} contract call(s) violated their post-conditions: ` +
      "a node would have aborted them (abort_by_post_condition); see the log below",
  );
  process.exit(3);
}
' "$url" "$elapsed_ms" || {
  counters_status=$?
  # 3: post-condition violations fail the run unless explicitly allowed.
  if [[ $counters_status -eq 3 && ${STANDIN_ALLOW_POST_CONDITION_VIOLATIONS:-0} != 1 && $status -eq 0 ]]; then
    status=3
  elif [[ $counters_status -ne 3 ]]; then
    echo "could not read the stand-in's counters" >&2
  fi
}
if [[ $status -ne 0 ]]; then
  echo "failing ($status); the stand-in's log:" >&2
  cat "$logs/stderr" >&2
fi
exit "$status"
