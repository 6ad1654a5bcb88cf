#!/usr/bin/env bash
# Runs a command against a fresh moto server (S3, DynamoDB, SQS on 127.0.0.1):
#
#   tests/with-moto.sh COMMAND [ARGS...]
#
# installs moto[server] (pinned) into target/moto-venv if needed, starts it on a free port,
# runs COMMAND with AWS_ENDPOINT_URL pointing at it and dummy credentials (no AWS profile or
# session token leaks in), and stops the server whatever happens. Exits with COMMAND's status.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -eq 0 ]]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi
moto_venv=target/moto-venv
[[ -x "$moto_venv/bin/pip" ]] || python3 -m venv "$moto_venv"
"$moto_venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.5'
moto_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$moto_venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$moto_venv/server.log" 2>&1 &
moto_pid=$!
stop_moto() {
  kill "$moto_pid" 2>/dev/null || true
  wait "$moto_pid" 2>/dev/null || true
}
trap stop_moto EXIT
moto_ready=false
for _ in $(seq 100); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$moto_port/', timeout=1)" 2>/dev/null; then
    moto_ready=true
    break
  fi
  sleep 0.2
done
if [[ $moto_ready != true ]]; then
  echo "moto_server did not start on 127.0.0.1:$moto_port; its log:" >&2
  cat "$moto_venv/server.log" >&2
  exit 1
fi
status=0
env -u AWS_PROFILE -u AWS_SESSION_TOKEN AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" \
  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 "$@" || status=$?
exit "$status"
