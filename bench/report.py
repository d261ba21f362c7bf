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


def herd(d, name):
    """The rounds of one herd run: (median ms, min, max, failed calls)."""
    with open(os.path.join(d, name)) as f:
        rows = [line.split() for line in f if line.strip()]
    ms_ = sorted(float(r[0]) for r in rows)
    return (ms_[len(ms_) // 2], ms_[0], ms_[-1],
            sum(int(r[1]) for r in rows))


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
    for name in ("alloc", "alloc-ps", "who", "check", "check10k",
                 "leases-0", "leases-10k", "leases-50k"):
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
    p("\n## 64 callers at once (`get -n 5` each; ms until the last "
      "one finished)\n")
    p("| how | median | min | max | failed calls |\n|---|---|---|---|---|")
    hd = {}
    for k, f in (("portalloc, 64 released together", "herd-together.txt"),
                 ("portalloc, the same 64 in sequence",
                  "herd-sequence.txt"),
                 ("portpicker via portserver, 64 released together",
                  "herd-portserver.txt")):
        hd[k] = herd(d, f)
        m, lo, hi, fails = hd[k]
        p(f"| {k} | {m:.0f} ms | {lo:.0f} ms | {hi:.0f} ms | {fails} |")
    with open(os.path.join(d, "leases-count.txt")) as f:
        nlines = f.read().strip()
    p(f"\nThe store of the 50,000-lease row held {nlines} leases.")
    p("\n## Peak memory (max RSS, wait4 from a small C parent)\n")
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
    pair = {k: float(v.split("|")[0]) / 1000
            for k, v in pairs(os.path.join(d, "pairs.txt"))}
    b0 = pair["bind(0) in C (floor)"]
    mem = {k: int(v) for k, v in pairs(os.path.join(d, "mem.txt"))
           if v.strip().isdigit()}
    pa_mem = {k: v for k, v in mem.items() if k.startswith("portalloc")}
    worst = max(pa_mem, key=pa_mem.get)
    tog = hd["portalloc, 64 released together"][0]
    targets = [
        ("64 together <= the same 64 in sequence",
         tog / hd["portalloc, the same 64 in sequence"][0], 1.0),
        ("64 together <= portserver's 64 together",
         tog / hd["portpicker via portserver, 64 released together"][0],
         1.0),
        ("get -n 5 with 50,000 leases <= 2x an empty store",
         med["portalloc get -n 5, 50000 live leases"]
         / med["portalloc get -n 5, empty store"], 2.0),
        ("get -n 5 <= 2x the bind(0) process (interleaved runs)",
         pair["portalloc get -n 5"] / b0, 2.0),
        ("check of 10,000 ports <= 2x check of 1,000 (under load)",
         med["portalloc check (10000 ports)"]
         / med["portalloc check (1000 ports)"], 2.0),
        (f"peak RSS of every command < 4 MiB (largest: {worst})",
         pa_mem[worst] / 4096, 1.0),
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
    floor = pair["SQLite alone: open a WAL store, commit 5 rows"]
    p("\n## Where get's time goes (interleaved runs, medians)\n")
    p("bench/pairs.c runs the three in turn, round after round (each "
      "round in a shuffled order), so that a noisy moment of the machine "
      "falls on all of them; the ratios below come from these runs.\n")
    p("| | ms | x bind(0) |\n|---|---|---|")
    for k, v in pair.items():
        p(f"| {k} | {v * 1000:.2f} | {v / b0:.2f} |")
    p(f"\nportalloc adds {(pair['portalloc get -n 5'] - floor) * 1000:.2f} "
      "ms to what a new process pays SQLite alone to open the store in WAL "
      "mode and commit five rows (bench/sqlite_floor.c, linked like the "
      "CLI).")
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
