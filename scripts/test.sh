#!/usr/bin/env bash
# The test command: installs dependencies, builds, runs every test.
# Needs root for the [root] tests (network namespaces); CI runs it as root.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
echo "== unit and integration tests (ctest)"
(cd build && ctest --output-on-failure --timeout 600)
echo "== fuzzing (bounded)"
./scripts/fuzz.sh
