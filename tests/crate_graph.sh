#!/usr/bin/env bash
# What the binaries link, checked from `cargo tree` (normal dependencies only):
# - no function and not the CLI carries the test kit (the in-memory adapters);
# - the Stacks codec and the domain crate have no HTTP client (that is genoflow-node's job).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

failed=0
# The crate names `package` depends on, itself included; a failing `cargo tree` stops the script.
deps() {
  local tree
  tree=$(cargo tree --locked -e normal --prefix none -p "$1")
  awk '{print $1}' <<<"$tree" | sort -u
}

metadata=$(cargo metadata --locked --format-version 1 --no-deps)
binaries=$(python3 -c 'import json,sys; print(" ".join(p["name"] for p in json.load(sys.stdin)["packages"] if p["name"].startswith("genoflow-function-") or p["name"] == "genoflow-cli"))' <<<"$metadata")
[[ $(wc -w <<<"$binaries") -ge 8 ]] || { echo "crate graph: expected the CLI and seven functions, found: $binaries" >&2; exit 1; }

for package in $binaries; do
  names=$(deps "$package")
  if grep -qx 'genoflow-testkit' <<<"$names"; then
    echo "crate graph: $package links genoflow-testkit (in-memory adapters belong to tests)" >&2
    failed=1
  fi
done
for package in genoflow-stacks genoflow-core; do
  names=$(deps "$package")
  for http in reqwest hyper; do
    if grep -qx "$http" <<<"$names"; then
      echo "crate graph: $package depends on $http (HTTP belongs to genoflow-node)" >&2
      failed=1
    fi
  done
done
[[ $failed == 0 ]] && echo "crate graph: no binary links the test kit; stacks and core have no HTTP client"
exit "$failed"
