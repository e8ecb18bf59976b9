#!/usr/bin/env bash
# The test command: installs dependencies, builds, runs every test.
# Needs root for the [root] tests (network namespaces); CI runs it as root.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
echo "== unit and integration tests (ctest)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
(cd build && ctest --output-on-failure --timeout 600) 2>&1 | tee "$log"
# A skipped test is not a passed one. Tests skip (exit 77) only when the
# machine lacks root or a runtime; CI has both, so a skip there is a failure.
if [ "${CI:-}" = "true" ] && grep -q "(Skipped)" "$log"; then
  echo "test.sh: tests were skipped in CI (see 'The following tests did not run' above)" >&2
  exit 1
fi
echo "== fuzzing (bounded)"
./scripts/fuzz.sh
