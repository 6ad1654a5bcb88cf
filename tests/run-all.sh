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

step "Rust: tests"
cargo test --workspace --locked

# Other suites (contracts, chain vectors) append their steps below.

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
