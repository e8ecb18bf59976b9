#!/usr/bin/env bash
# Configures and builds zos-cni into build/ (binaries in build/bin).
#   scripts/build.sh            everything (plugins, helpers, tests)
#   scripts/build.sh --plugins  only the binaries (what the demo needs)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
if [ "${1:-}" = "--plugins" ]; then
  targets=(zos-nr zos-ipam zos-nft)
  [ -f plugins/bootstrap/main.cpp ] && targets+=(zos-bootstrap)
  cmake --build build -j"$(nproc)" --target "${targets[@]}"
else
  cmake --build build -j"$(nproc)"
fi
