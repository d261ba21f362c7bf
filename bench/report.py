#!/usr/bin/env python3
"""Turns the files bench/run.sh left in one directory into a Markdown
report: the machine, every timing (median, min, max of the runs), the
duplicate counts, peak memory, the answers checked, and each target as
pass or fail with its ratio.  Standard library only."""
import json
import os
import re
import sys


def load(d, name):
    with open(os.path.join(d, name)) as f:
        return {r["command"]: r for r in json.load(f)["results"]}


def ms(s):
    return f"{s * 1000:.1f} ms"


def pairs(path):
    out = []
    with open(path) as f:
        for line in f:
            if "|" in line:
                k, v = line.rstrip("\n").split("|", 1)
                out.append((k, v))
    return out


def holders_ok(d):
    """Every tool named both processes holding port 17000."""
    with open(os.path.join(d, "answer-who.json")) as f:
        who = {h["pid"] for h in json.load(f) if h["pid"]}
    with open(os.path.join(d, "ss.txt")) as f:
        ss = {int(p) for p in re.findall(r"pid=(\d+)", f.read())}
    with open(os.path.join(d, "lsof.txt")) as f:
        lsof = {int(p) for p in f.read().split()}
    with open(os.path.join(d, "fuser.txt")) as f:
        fuser = {int(p) for p in re.findall(r"\d+", f.read())}
    return who, {"ss -p": ss, "lsof": lsof, "fuser": fuser}


def main():
    d = sys.argv[1]
    t = {}
    for name in ("alloc", "alloc-ps", "who", "check"):
        t.update(load(d, name + ".json"))
    out = []
    p = out.append
    p("# portalloc benchmark\n")
    p("| what | version |\n|---|---|")
    for k, v in pairs(os.path.join(d, "versions.txt")):
        p(f"| {k} | {v} |")
    with open(os.path.join(d, "sockets.txt")) as f:
        socks = f.read().strip()
    with open(os.path.join(d, "procs.txt")) as f:
        procs = f.read().strip()
    p("\n## Timings (whole process, wall clock)\n")
    p("| command | median | min | max | user+sys (mean) |")
    p("|---|---|---|---|---|")
    for name, r in t.items():
        p(f"| {name} | {ms(r['median'])} | {ms(r['min'])} | "
          f"{ms(r['max'])} | {ms(r['user'] + r['system'])} |")
    p(f"\nLoad during `who`/`check`: {socks} TCP sockets, {procs} "
      "processes (200 load processes with 10 listeners and 25 established "
      "pairs each; port 17000 held by two processes).")
    p("\n## Duplicates (64 callers released together, 5 ports each)\n")
    p("| allocator | result |\n|---|---|")
    dup = {}
    for k, v in pairs(os.path.join(d, "race.txt")):
        p(f"| {k} | {v} |")
        m = re.search(r"duplicates=(\d+) failed_binds=(\d+)", v)
        dup[k] = (int(m.group(1)), int(m.group(2))) if m else (-1, -1)
    p("\n## Peak memory (max RSS)\n")
    p("| command | KiB |\n|---|---|")
    for k, v in pairs(os.path.join(d, "mem.txt")):
        p(f"| {k} | {v} |")
    who, others = holders_ok(d)
    p("\n## Answers\n")
    p(f"- port 17000: portalloc who names pids {sorted(who)}")
    for k, v in others.items():
        p(f"- {k}: {sorted(v)}" + ("" if v == who else "  (differs)"))
    with open(os.path.join(d, "check.txt")) as f:
        p(f"- portalloc check -b load: {f.read().strip()}")

    med = {k: r["median"] for k, r in t.items()}
    targets = [
        ("get -n 5 <= 1/8 of portpicker's one-port CLI",
         med["portalloc get -n 5"] / med["python3 -m portpicker"], 1 / 8),
        ("no port handed out twice (portalloc)",
         sum(dup.get("portalloc get -n 5", (1, 1))), 0),
        ("who <= 1/3 of ss -p",
         med["portalloc who"] / med["ss -Htlnp (with -p)"], 1 / 3),
        ("check of 1000 ports <= 1.5x one who",
         med["portalloc check (1000 ports)"] / med["portalloc who"], 1.5),
        ("who names the same holders as ss -p, lsof, fuser",
         sum(v != who for v in others.values()) + (len(who) != 2), 0),
    ]
    p("\n## Targets\n")
    p("| target | measured | limit | result |\n|---|---|---|---|")
    for name, val, lim in targets:
        ok = val <= lim
        shown = f"{val:.3f}" if isinstance(val, float) else str(val)
        limit = f"{lim:.3f}" if isinstance(lim, float) else str(lim)
        p(f"| {name} | {shown} | {limit} | {'pass' if ok else 'FAIL'} |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
