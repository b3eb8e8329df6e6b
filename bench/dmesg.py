#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/dmesg.py KEXDUMP DUMP... -- time `kexdump dmesg` against the peers
that extract the kernel log from a vmcore (makedumpfile --dump-dmesg,
vmcore-dmesg), alternating runs in one process, median of N runs; prints a
Markdown table with wall time, CPU time and peak RSS of each, and the
ratios against kexdump. Every tool's output is checked to contain the panic
line, so a fast failure cannot pass for a fast run."""
import os
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = int(os.environ.get("BENCH_RUNS", "7"))


def run(argv, out_path):
    """Run argv once; return (wall s, CPU s, peak RSS KiB). GNU time reports
    the peak RSS: it is a small parent, so the figure is the tool's own and
    not inherited from this Python process through fork. Wall and CPU time
    come from here (GNU time has only 10 ms resolution); wait4's usage of
    GNU time includes the tool it waited for."""
    if os.path.exists(out_path):
        os.unlink(out_path)
    stats = out_path + ".time"
    t0 = time.monotonic()
    with open(os.devnull, "wb") as null:
        p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", stats] + argv,
                             stdout=null, stderr=null)
        _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {' '.join(argv)} failed")
    with open(stats) as f:
        rss = int(f.read().split()[-1])
    return wall, ru.ru_utime + ru.ru_stime, rss


def main():
    kexdump, dumps = sys.argv[1], sys.argv[2:]
    tmp = tempfile.mkdtemp()
    out = os.path.join(tmp, "dmesg.txt")
    tools = {
        "kexdump dmesg": lambda d: ["sh", "-c", 'exec "$0" dmesg "$1" > "$2"', kexdump, d, out],
        "makedumpfile --dump-dmesg": lambda d: ["makedumpfile", "--dump-dmesg", d, out],
        "vmcore-dmesg": lambda d: ["sh", "-c", 'exec vmcore-dmesg "$1" > "$2"', "", d, out],
    }
    print("| dump | tool | wall (median) | CPU | peak RSS | wall vs kexdump |")
    print("|---|---|---|---|---|---|")
    for d in dumps:
        res = {t: [] for t in tools}
        for _ in range(RUNS):
            for t, argv in tools.items():
                res[t].append(run(argv(d), out))
                with open(out, "rb") as f:
                    if b"Kernel panic - not syncing" not in f.read():
                        sys.exit(f"bench: {t} on {d}: no panic line in its output")
        base = statistics.median(r[0] for r in res["kexdump dmesg"])
        name = os.path.basename(os.path.dirname(os.path.abspath(d)))
        for t, rs in res.items():
            wall = statistics.median(r[0] for r in rs)
            cpu = statistics.median(r[1] for r in rs)
            rss = statistics.median(r[2] for r in rs)
            print(f"| {name} | {t} | {wall * 1000:.1f} ms | {cpu * 1000:.1f} ms "
                  f"| {rss / 1024:.1f} MiB | {wall / base:.2f}x |")


if __name__ == "__main__":
    main()
