#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each for a
# bounded time on its seed corpus (fuzz/corpus/<target>). Exits non-zero when
# a target crashes, trips a sanitizer, or throws anything but cni::Error.
#   FUZZ_SECONDS=20 (per target)   FUZZ_JOBS=1   FUZZ_BUILD=build-fuzz
#   scripts/fuzz.sh [target...]    (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
secs=${FUZZ_SECONDS:-20}
build=${FUZZ_BUILD:-$root/build-fuzz}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_result fuzz_network fuzz_env fuzz_addr fuzz_zbus fuzz_cni fuzz_go_network fuzz_uapi fuzz_genl fuzz_bootstrap)

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ is missing (apt-get install clang)" >&2
  exit 1
fi

echo "== building fuzz targets in $build"
cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DZOS_FUZZ=ON -DZOS_STATIC=OFF -DZOS_TESTS=OFF >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log" >&2; exit 1; }
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

# Findings and the grown corpus stay out of the source tree.
work=$build/fuzz-work
mkdir -p "$work"
failed=()
for t in "${targets[@]}"; do
  echo "== $t: ${secs}s"
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  seeds=$root/fuzz/corpus/$t
  # UBSan/ASan abort on the first report; leaks are findings too.
  if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     "$build/fuzz/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$work/$t/artifacts/" "$work/$t/corpus" "$seeds" >"$work/$t/log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^#[0-9]+ +DONE' "$work/$t/log" | tr '\n' ' '
    echo
  else
    failed+=("$t")
    echo "!! $t FAILED: see $work/$t/log; reproducer(s):"
    ls "$work/$t/artifacts/" 2>/dev/null | sed "s|^|   $work/$t/artifacts/|"
    grep -m5 -E 'FINDING|ERROR: |runtime error' "$work/$t/log" || tail -20 "$work/$t/log"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: no findings"
