#!/usr/bin/env bash
# The first-deploy check of a GenoFlow stack (infra/README.md, "First deploy"): signs in with a
# SIP-018 signature, uploads the tb-demo read pair through the presigned URLs the API answers,
# and waits for its report; with a stack name it then checks that every dead-letter queue is
# empty.
#
#   infra/smoke-test.sh STACK [OPTIONS...]          the stack's outputs, read with the AWS CLI
#   infra/smoke-test.sh --outputs FILE [OPTIONS...] outputs saved as JSON (describe-stacks'
#                                                   Outputs, or `sam list stack-outputs --output json`)
#   infra/smoke-test.sh --api-url URL [OPTIONS...]  any GenoFlow API (`genoflow serve` too)
#
# OPTIONS go to `genoflow smoke-test` (`genoflow smoke-test --help`): --key-file FILE (a
# subscriber's key when the upload gate is on; default a fresh random key), --until confirmed
# (wait for the anchor's block too), --timeout SECONDS (default 1800).
#
# GENOFLOW_BIN names the genoflow binary; default: `genoflow` on PATH, else target/release/ or
# target/debug/genoflow, else `cargo run --release`. The AWS CLI uses the usual AWS_PROFILE /
# AWS_REGION. Exit status: 0 passed, 1 a step failed (printed), 2 usage.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -eq 0 || $1 == -h || $1 == --help ]]; then
  sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi

if [[ -n ${GENOFLOW_BIN:-} ]]; then
  genoflow=("$GENOFLOW_BIN")
elif command -v genoflow >/dev/null; then
  genoflow=(genoflow)
elif [[ -x target/release/genoflow ]]; then
  genoflow=(target/release/genoflow)
elif [[ -x target/debug/genoflow ]]; then
  genoflow=(target/debug/genoflow)
else
  genoflow=(cargo run --quiet --release --bin genoflow --)
fi

stack=""
if [[ $1 != -* ]]; then
  stack=$1
  shift
  command -v aws >/dev/null || { echo "the AWS CLI is needed to read the stack's outputs (or pass --outputs FILE)" >&2; exit 2; }
  outputs=$(mktemp)
  trap 'rm -f "$outputs"' EXIT
  aws cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].Outputs' --output json >"$outputs"
  set -- --outputs "$outputs" "$@"
fi

status=0
"${genoflow[@]}" smoke-test "$@" || status=$?
if [[ $status -ne 0 || -z $stack ]]; then
  exit "$status"
fi

# Nothing of this run, or of an earlier one, is waiting in a dead-letter queue.
dead=0
while read -r key url; do
  count=$(aws sqs get-queue-attributes --queue-url "$url" --attribute-names ApproximateNumberOfMessages \
    --query 'Attributes.ApproximateNumberOfMessages' --output text)
  if [[ $count != 0 ]]; then
    echo "FAIL $key holds $count message(s): docs/OPERATIONS.md has its runbook"
    dead=1
  else
    echo "ok   $key is empty"
  fi
done < <(aws cloudformation describe-stacks --stack-name "$stack" \
  --query 'Stacks[0].Outputs[?ends_with(OutputKey, `DeadLetterQueueUrl`)].[OutputKey, OutputValue]' --output text)
exit "$dead"
