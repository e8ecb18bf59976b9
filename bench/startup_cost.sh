#!/usr/bin/env bash
# Measures what one process start costs on this machine (#16): CPUIDs executed
# by static glibc's start-up (and by our binaries' --version), the cost of one
# CPUID here, and spawn..wait of a static glibc no-op against a static binary
# with no C library. Usage: bench/startup_cost.sh [build/bin]
set -euo pipefail
bin=${1:-$(dirname "$0")/../build/bin}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
src=$(dirname "$0")/startup_cost.c
cc -O2 -o "$t/startup_cost" "$src"
echo 'int main(void) { return 0; }' >"$t/nop.c"
cc -O2 -static -o "$t/glibc-static-nop" "$t/nop.c"
printf 'void _start(void) { __asm__ volatile("mov $60, %%eax\\n xor %%edi, %%edi\\n syscall"); }\n' >"$t/raw.c"
cc -O2 -static -nostdlib -nostartfiles -o "$t/no-libc-nop" "$t/raw.c"
"$t/startup_cost" count "$t/glibc-static-nop"
for b in zos-ipam zos-nr; do
  if [ -x "$bin/$b" ]; then "$t/startup_cost" count "$bin/$b" --version; fi
done
"$t/startup_cost" time "$t/glibc-static-nop" "$t/no-libc-nop"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
