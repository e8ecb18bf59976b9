"""The helpers every Python test and bench script shares: messages, the
failure a check raises, commands (optionally inside a named network
namespace), namespaces made and removed by name, a LIFO cleanup stack that
runs also on SIGTERM/SIGINT.

Where it lives and how it is found: here, next to the C++ helpers of
tests/support. Each folder whose scripts use it (tests/runtime, tests/agent,
tests/zbus, bench) holds a relative symlink zostest.py -> this file, so
`import zostest` works as a script's own sibling: by hand (`sudo
bench/compare.py`), from ctest, with no PYTHONPATH and no sys.path edits.
bench reaches tests/runtime's and tests/agent's helpers (rtlib, runtimes,
crilib, fleetlib) through symlinks the same way; a helper that finds files
from its own location uses os.path.realpath(__file__).
Debian's python3 only (no third-party module here).
"""

import os
import signal
import subprocess
import sys


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def die(msg, code=2):
    """The script cannot run at all (missing tool, bad flag): a message naming
    the script, exit 2."""
    prog = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    print(f"{prog}: {msg}", file=sys.stderr)
    sys.exit(code)


class Failed(Exception):
    pass


def check(cond, what):
    """A check of an end-to-end test: prints 'ok' or raises Failed(what)."""
    if not cond:
        raise Failed(what)
    print(f"ok   {what}", flush=True)


def nsenter(ns):
    return ["nsenter", f"--net=/run/netns/{ns}"]


def run(argv, ns=None, check_rc=True, **kw):
    """Runs argv (inside netns `ns` when given), text output captured; with
    check_rc a non-zero exit raises Failed with its stderr."""
    if ns:
        argv = nsenter(ns) + list(argv)
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    if check_rc and r.returncode != 0:
        raise Failed(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def netns_add(name, lo_up=True):
    """A named namespace (a leftover of that name is removed first)."""
    netns_del(name)
    run(["ip", "netns", "add", name])
    if lo_up:
        run(["ip", "link", "set", "lo", "up"], ns=name)


def netns_del(name):
    """Removes a named namespace, with every link in it; absent is fine."""
    subprocess.run(["ip", "netns", "delete", name], capture_output=True)


class Cleanup:
    """Steps run last-in first-out by run(); a failing step is reported and
    the next one still runs; SIGTERM/SIGINT cannot stop it half-way."""

    def __init__(self):
        self.steps = []

    def add(self, fn, *a, **kw):
        self.steps.append((fn, a, kw))

    def run(self):
        old = signal.signal(signal.SIGTERM, signal.SIG_IGN), signal.signal(signal.SIGINT, signal.SIG_IGN)
        while self.steps:
            fn, a, kw = self.steps.pop()
            try:
                fn(*a, **kw)
            except Exception as e:  # keep going: report, then the next step
                log(f"cleanup: {getattr(fn, '__name__', fn)}: {e}")
        signal.signal(signal.SIGTERM, old[0])
        signal.signal(signal.SIGINT, old[1])
