#!/usr/bin/env bash
# Runs every test of the repository on a fresh machine: installs what the tests need
# (Node packages, peer tools), then the Rust workspace, the contract suite and the
# cross-language vector checks. The README's test command; .ci/run calls it too.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "Test data from Debian (htslib-test, samtools-test) for the conformance suites"
if [[ ! -d /usr/share/htslib-test/test || ! -d /usr/share/samtools/test ]]; then
  if [[ $(id -u) == 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq htslib-test samtools-test >/dev/null
  else
    echo "not root: skipping Debian's htslib-test/samtools-test (their conformance rows are not measured)"
  fi
fi

step "Rust: format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust: what the binaries link (no test kit in a binary; no HTTP client in stacks or core)"
bash tests/crate_graph.sh

step "Rust: tests"
cargo test --workspace --locked

# Other suites (contracts, chain vectors) append their steps below.

# --- issue 19: untrusted files (fuzz/) ----------------------------------------
step "Fuzz smoke run: the four validate targets, a minute each (installs cargo-fuzz)"
# A fixed seed: the same mutations every run, so a red run means the change under test, not
# the luck of the draw (the long runs of fuzz/README.md explore).
FUZZ_SECONDS=${FUZZ_SECONDS:-60} FUZZ_ARGS=${FUZZ_ARGS:--seed=1} bash fuzz/smoke.sh
# --- end issue 19 -------------------------------------------------------------

# --- issue 4: Clarity contracts (contracts/) ---------------------------------
step "Contracts: clarinet simnet tests"
(cd contracts && npm ci --no-audit --no-fund && npm test)
# --- end issue 4 -------------------------------------------------------------

# --- issue 3: Stacks vectors (shared/stacks, tests/stacks-vectors) -----------
step "Stacks: vectors from @stacks/transactions"
(cd tests/stacks-vectors && npm ci --no-audit --no-fund)
stacks_vectors="$(mktemp)"
node tests/stacks-vectors/generate.mjs "$stacks_vectors"
STACKS_VECTORS="$stacks_vectors" cargo test -p genoflow-stacks --locked --test vectors
if ! cmp -s "$stacks_vectors" tests/vectors/stacks.json; then
  echo "tests/vectors/stacks.json is stale: regenerate it with (cd tests/stacks-vectors && npm run generate)" >&2
  rm -f "$stacks_vectors"
  exit 1
fi
rm -f "$stacks_vectors"
# --- end issue 3 -------------------------------------------------------------

# --- issue 5: AWS adapters (shared/aws) against moto's server -----------------
step "AWS adapters (S3, DynamoDB, SQS) and presign's Secrets Manager setting against moto's server"
# The sweeper crate's tests: stuck work and deletes through the functions on moto.
bash tests/with-moto.sh cargo test -p genoflow-aws -p genoflow-function-presign \
  -p genoflow-function-sweeper --locked -- --include-ignored
# --- end issue 5 -------------------------------------------------------------

# --- issue 5: SAM template (infra/) -------------------------------------------
step "SAM template: cfn-lint, the template rules (infra/check-template.py and its test on broken copies), sam validate --lint (no AWS account needed)"
infra_venv=target/infra-venv
[[ -x "$infra_venv/bin/pip" ]] || python3 -m venv "$infra_venv"
"$infra_venv/bin/pip" install --quiet --disable-pip-version-check 'cfn-lint==1.58.0' 'aws-sam-cli==1.170.0'
"$infra_venv/bin/cfn-lint" infra/template.yaml
"$infra_venv/bin/python" infra/check-template.py infra/template.yaml
"$infra_venv/bin/python" infra/test_check_template.py
# The lint runs locally; SAM only wants a region to be named.
env -u AWS_PROFILE AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 SAM_CLI_TELEMETRY=0 \
  "$infra_venv/bin/sam" validate --lint --template-file infra/template.yaml
# --- end issue 5 (SAM) --------------------------------------------------------

# --- issue 8: chain stand-in ---------------------------------------------------
step "Chain stand-in: its own tests, then shared/stacks end to end against it"
(cd tests/chain-standin && npm ci --no-audit --no-fund && npm test)
# A fresh stand-in for the Rust suite; the script prints how many transactions
# it executed and how long the suite took.
bash tests/chain-standin/with-standin.sh \
  cargo test -p genoflow-node --locked --test standin --test chain_scenarios -- --ignored
# --- end issue 8 (chain stand-in) ----------------------------------------------

# --- issue 5: end to end (functions over moto, anchoring on the stand-in) ------
step "End to end: login to confirmed anchor through the functions, on moto and the chain stand-in"
bash tests/with-moto.sh bash tests/chain-standin/with-standin.sh \
  cargo test -p genoflow-e2e -p genoflow-cli --locked -- --ignored
# --- end issue 5 (end to end) --------------------------------------------------

# --- issue 7: the web page (web/) ----------------------------------------------
step "Web page: its libraries against node:crypto and @stacks/transactions, then the page in Chromium against genoflow serve"
if [[ ! -x /usr/bin/chromium ]]; then
  if [[ $(id -u) == 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing and this is not root: install Debian's chromium package" >&2
    exit 1
  fi
fi
# pdftotext reads the text of Chromium's PDF of the report (the print test).
if ! command -v pdftotext >/dev/null; then
  if [[ $(id -u) == 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
  else
    echo "not root: pdftotext missing, the print test checks the print layout but not the PDF's text"
  fi
fi
(cd web && npm ci --no-audit --no-fund && npm test)
# The browser tests start the debug binary the Rust tests built.
cargo build --locked --bin genoflow
(cd web && GENOFLOW_BIN="$PWD/../target/debug/genoflow" npm run test:browser)
# --- end issue 7 (web) ---------------------------------------------------------
