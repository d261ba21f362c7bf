#!/usr/bin/env python3
"""The design rules of docs/architecture.md, checked on the real tree.

usage: layers.py SOURCE_DIR BUILD_DIR

- No two source files call each other: from the object files of the
  library and the CLI (nm), if a.c uses a symbol b.c defines, b.c uses none
  of a.c's.
- src/os never includes src/core; src/base includes neither; the CLI
  includes nothing of src/os but spawn.h (and base/).
- No function in src/ is longer than 60 lines (KNF: the body's braces at
  column 0).
Prints every breach and exits 1 if there is one.
"""
import os
import re
import subprocess
import sys
from collections import defaultdict

MAX_LINES = 60


def sources(src):
    for root, _, files in os.walk(os.path.join(src, "src")):
        for f in files:
            if f.endswith((".c", ".h")) and not f.endswith(".bpf.c"):
                yield os.path.join(root, f)


def objects(build, src):
    """Object files of the library and the CLI whose source still exists,
    by the source path relative to src/.."""
    out = {}
    for target in ("portalloc.dir", "portalloc_cli.dir"):
        top = os.path.join(build, "CMakeFiles", target)
        for root, _, files in os.walk(top):
            for f in files:
                if not f.endswith((".c.o", ".c.obj")):
                    continue
                rel = os.path.relpath(os.path.join(root, f), top)
                rel = rel[: rel.rindex(".c.") + 2]
                if os.path.exists(os.path.join(src, rel)):
                    out[rel] = os.path.join(root, f)
    return out


def mutual_calls(objs):
    defined, used = {}, defaultdict(set)
    for rel, obj in objs.items():
        nm = subprocess.run(["nm", obj], capture_output=True, text=True,
                            check=True).stdout
        for line in nm.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] == "T":
                defined[parts[2]] = rel
            elif len(parts) == 2 and parts[0] == "U":
                used[rel].add(parts[1])
    calls = defaultdict(set)
    for rel, syms in used.items():
        for sym in syms:
            if sym in defined and defined[sym] != rel:
                calls[rel].add(defined[sym])
    bad = []
    for a in sorted(calls):
        for b in sorted(calls[a]):
            if a < b and a in calls.get(b, ()):
                bad.append("%s and %s call each other" % (a, b))
    return bad, len(objs)


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def include_rules(src):
    bad = []
    for path in sources(src):
        rel = os.path.relpath(path, src)
        text = open(path, encoding="utf-8", errors="replace").read()
        for inc in INCLUDE.findall(text):
            if rel.startswith("src/os/") and inc.startswith("core/"):
                bad.append("%s includes %s (src/os must not see the core)"
                           % (rel, inc))
            if rel.startswith("src/base/") and inc.split("/")[0] in (
                    "core", "os", "cli"):
                bad.append("%s includes %s (base is below everything)"
                           % (rel, inc))
            if rel.startswith("src/cli/") and inc.startswith("os/") and \
                    inc != "os/spawn.h":
                bad.append("%s includes %s (the CLI sees the OS only "
                           "through os/spawn.h)" % (rel, inc))
            if rel.startswith("src/cli/") and inc.startswith("core/"):
                bad.append("%s includes %s (the CLI uses the public API)"
                           % (rel, inc))
    return bad


def long_functions(src):
    bad = []
    for path in sources(src):
        if not path.endswith(".c"):
            continue
        lines = open(path, encoding="utf-8", errors="replace").read() \
            .split("\n")
        start = None
        for i, line in enumerate(lines):
            if line == "{":
                start = i
            elif line == "}" and start is not None:
                n = i - start + 1
                if n > MAX_LINES:
                    bad.append("%s:%d: a function of %d lines (at most %d)"
                               % (os.path.relpath(path, src), start + 1, n,
                                  MAX_LINES))
                start = None
    return bad


def main():
    src, build = sys.argv[1], sys.argv[2]
    calls, nobj = mutual_calls(objects(build, src))
    if nobj < 10:
        print("layers: found only %d object files under %s" % (nobj, build))
        return 1
    bad = calls + include_rules(src) + long_functions(src)
    for b in bad:
        print("layers: " + b)
    print("layers: %d object files, %d breaches" % (nobj, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
