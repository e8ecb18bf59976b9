#!/usr/bin/python3
"""Print the link order of zos-nr's hot functions (plugins/nr/hot-symbols.txt).

usage: bench/hot_symbols.py BINARY CALLGRIND.OUT...   (runs made with --demangle=no)
regenerate (root, after a change to the warm path):
  bench/warm_profile.sh build/bin /tmp/prof   (it makes its own netns)
  bench/hot_symbols.py build/bin/zos-nr /tmp/prof.*.cg > plugins/nr/hot-symbols.txt

The functions a warm ADD, CHECK and DEL run, as callgrind saw them, first the costliest,
plus what callgrind does not show as the machine runs it: every IFUNC resolver (a static
binary runs them all at start) and the other CPU variants of the string functions it saw
(valgrind's CPU has no AVX-512, the host may). lld places these first in .text, so the
warm path touches a few 64 KiB fault-around windows of the binary instead of most of them.
A name the binary no longer has is ignored by the link: a stale list costs page faults,
never correctness.
"""
import re
import subprocess
import sys

VARIANT = re.compile(r"^__(\w+?)_(avx2|avx|evex|avx512|sse2|sse4_2|ssse3)(_|$)")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    nm = subprocess.run(["nm", sys.argv[1]], capture_output=True, text=True, check=True).stdout
    code = {}
    for line in nm.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "tTwWi":
            code[f[2]] = f[1]
    cost = {}  # self instructions by function, over all the runs
    for path in sys.argv[2:]:
        names, cur, call = {}, None, False
        for line in open(path):
            m = re.match(r"^(c?fn)=\((\d+)\)(?: (\S+))?", line)
            if m:
                if m.group(3):
                    names[m.group(2)] = re.sub(r"'\d+$", "", m.group(3))
                    cost.setdefault(names[m.group(2)], 0)
                if m.group(1) == "fn":
                    cur = names.get(m.group(2))
            elif line.startswith("calls="):
                call = True  # the next cost line is the callee's, not cur's
            elif re.match(r"^[-+*\d]", line):
                if cur and not call:
                    cost[cur] += int(line.split()[1])
                call = False
    seen = sorted((n for n in cost if n in code), key=lambda n: -cost[n])
    bases = {m.group(1) for m in map(VARIANT.match, seen) if m}
    if bases & {"memcpy", "mempcpy"}:
        bases.add("memmove")
    extra = sorted(n for n in code if n.endswith("_ifunc") or code[n] == "i"
                   or ((m := VARIANT.match(n)) and m.group(1) in bases))
    out, done = [], set()
    for n in seen + extra + ["_start", "__libc_start_main_impl", "frame_dummy", "_dl_new_object", "_dl_setup_hash"]:
        if n in code and n not in done:
            done.add(n)
            out.append(n)
    print("\n".join(out))


main()
