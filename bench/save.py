#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench/save.py [--runs N] [--doc FILE] KEXDUMP DUMP... -- time
`kexdump save` against makedumpfile 1.7.2 writing a kdump-compressed file
from the same ELF vmcore (bench/mkfilled.sh makes large, realistic ones).

Configurations, all run alternately in one process (one round runs each
once, in the order below), median of N runs (BENCH_RUNS, default 5):
  -d 31: kexdump save (defaults: --compress auto, here zstd level -1),
         makedumpfile -l (its fastest codec), makedumpfile -c (its
         smallest), kexdump -j 1, --compress zstd:1 / lzo / lz4 / zlib, and
         none (what filtering and writing alone cost);
  -d 1:  kexdump save (defaults: auto, here lzo), makedumpfile -l, kexdump
         -j 1, --compress zstd (level -1) / zstd:1.
Each run writes a fresh file next to the dump (same file system for every
tool), which is checked, measured and deleted; `sync` runs untimed after
each so one run's writeback does not land in the next. The dump is read
once untimed first: every run is warm-cache (the host's RAM holds it).

Wall time is measured here; CPU (user+sys) is GNU time's rusage as seen by
wait4 (it includes the tool); peak RSS is GNU time's %M, the tool's own.
Prints a Markdown section (machine, commands, dumps, tables, bars) on
stdout; with --doc FILE it also replaces the section between the
`<!-- bench-save -->` markers of FILE (appending it when absent). The bars
print PASS or FAIL but never change the exit status: benchmarks are not
tests. If KEXDUMP has no `save` command yet, only makedumpfile runs."""
import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time

BEGIN, END = "<!-- bench-save begin -->", "<!-- bench-save end -->"
MIB = 1 << 20


def has_save(kexdump):
    """Does KEXDUMP have a `save` command? Its usage line lists it."""
    if not os.access(kexdump, os.X_OK):
        return False
    p = subprocess.run([kexdump], capture_output=True, text=True)
    return re.search(r"^\s+save\s", p.stdout + p.stderr, re.M) is not None


def configs(kexdump, with_kexdump):
    """(label, level, tool, argv(src, dst)) in run order."""
    k = lambda *opts: lambda s, d: [kexdump, "save", *opts, s, d]
    m = lambda *opts: lambda s, d: ["makedumpfile", *opts, s, d]
    c = [
        ("kexdump save -d 31", 31, "kexdump", k("-d", "31")),
        ("makedumpfile -d 31 -l", 31, "makedumpfile", m("-d", "31", "-l")),
        ("makedumpfile -d 31 -c", 31, "makedumpfile", m("-d", "31", "-c")),
        ("kexdump save -d 31 -j 1", 31, "kexdump", k("-d", "31", "-j", "1")),
        ("kexdump save -d 31 --compress zstd:1", 31, "kexdump", k("-d", "31", "--compress", "zstd:1")),
        ("kexdump save -d 31 --compress lzo", 31, "kexdump", k("-d", "31", "--compress", "lzo")),
        ("kexdump save -d 31 --compress lz4", 31, "kexdump", k("-d", "31", "--compress", "lz4")),
        ("kexdump save -d 31 --compress zlib", 31, "kexdump", k("-d", "31", "--compress", "zlib")),
        ("kexdump save -d 31 --compress none", 31, "kexdump", k("-d", "31", "--compress", "none")),
        ("kexdump save -d 1", 1, "kexdump", k("-d", "1")),
        ("makedumpfile -d 1 -l", 1, "makedumpfile", m("-d", "1", "-l")),
        ("kexdump save -d 1 -j 1", 1, "kexdump", k("-d", "1", "-j", "1")),
        ("kexdump save -d 1 --compress zstd", 1, "kexdump", k("-d", "1", "--compress", "zstd")),
        ("kexdump save -d 1 --compress zstd:1", 1, "kexdump", k("-d", "1", "--compress", "zstd:1")),
    ]
    return [x for x in c if with_kexdump or x[2] != "kexdump"]


def run(argv, out):
    """Run argv once writing OUT; return (wall s, CPU s, peak RSS KiB,
    output bytes). OUT is left for the caller to check and delete."""
    stats = out + ".time"
    for p in (out, stats):
        if os.path.exists(p):
            os.unlink(p)
    t0 = time.monotonic()
    with open(os.devnull, "wb") as null, open(out + ".err", "wb") as err:
        p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", stats] + argv,
                             stdout=null, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    with open(out + ".err", "rb") as f:
        errtext = f.read().decode(errors="replace").strip()
    os.unlink(out + ".err")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: {' '.join(argv)} failed: {errtext[-500:]}")
    with open(stats) as f:
        rss = int(f.read().split()[-1])
    os.unlink(stats)
    return wall, ru.ru_utime + ru.ru_stime, rss, os.stat(out).st_size


def check(kexdump, readable, out):
    """A fast failure must not pass for a fast run: the saved file has to
    hold the crashed kernel's log. kexdump reads every codec; without it
    makedumpfile --dump-dmesg checks its own lzo/zlib files."""
    if readable:
        p = subprocess.run([kexdump, "dmesg", out], capture_output=True)
        log = p.stdout
    else:
        txt = out + ".dmesg"
        subprocess.run(["makedumpfile", "--dump-dmesg", out, txt], capture_output=True)
        with open(txt, "rb") as f:
            log = f.read()
        os.unlink(txt)
    if b"Kernel panic - not syncing" not in log:
        sys.exit(f"bench: {out}: no panic line in the log of the saved file")


def buildtype(kexdump):
    """The meson build type of KEXDUMP's build directory, if it has one."""
    import json
    try:
        with open(os.path.join(os.path.dirname(os.path.abspath(kexdump)),
                               "meson-info", "intro-buildoptions.json")) as f:
            opts = {o["name"]: o["value"] for o in json.load(f)}
        return f"{opts['buildtype']} build"
    except (OSError, KeyError, ValueError):
        return "build type unknown"


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""


def meminfo(path):
    """The guest's /proc/meminfo as {key: MiB}."""
    res = {}
    try:
        with open(path) as f:
            for line in f:
                m = re.match(r"(\w+(?:\(\w+\))?):\s+(\d+) kB", line)
                if m:
                    res[m.group(1)] = int(m.group(2)) / 1024
    except OSError:
        pass
    return res


def meta(path):
    res = {}
    try:
        with open(path) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                res[k] = v.strip("'")
    except OSError:
        pass
    return res


def page_classes(kexdump, dump):
    """`kexdump pages --json` of DUMP at -d 31 (what each level drops), as
    a sentence; empty when this kexdump has no `pages` command."""
    import json
    try:
        p = subprocess.run([kexdump, "pages", "-d", "31", "--json", dump],
                           capture_output=True, text=True)
        j = json.loads(p.stdout)
        mib = lambda n: n * j["page_size"] / MIB
        ex = j["excluded"]
        names = [("zero", "zero"), ("cache", "page cache"), ("cache_private", "private cache"),
                 ("user", "user data"), ("free", "free")]
        return (f"`kexdump pages -d 31`: {mib(j['original_pages']):.0f} MiB of RAM in the dump, of "
                + ", ".join(f"{lbl} {mib(ex[k]):.0f} MiB" for k, lbl in names if k in ex)
                + f"; {mib(j['remaining_pages']):.0f} MiB remain at -d 31.")
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def busy_seconds():
    """CPU seconds the whole machine has spent busy, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...
    return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")


def fmt_s(s):
    return f"{s:.2f} s" if s >= 1 else f"{s * 1000:.0f} ms"


def bench_dump(dump, cfgs, kexdump, with_kexdump, runs, out_dir, lines):
    name = os.path.basename(os.path.dirname(os.path.abspath(dump)))
    d = os.path.dirname(os.path.abspath(dump))
    out = os.path.join(out_dir or d, ".save-bench.out")
    mi = meminfo(os.path.join(d, "meminfo"))
    mt = meta(os.path.join(d, "meta"))
    size = os.stat(dump).st_size
    classes = page_classes(kexdump, dump) if with_kexdump else ""
    print(f"bench: {name}: warming the page cache with {size / 1e9:.1f} GB", file=sys.stderr)
    with open(dump, "rb") as f:
        while f.read(16 * MIB):
            pass
    res = {c[0]: [] for c in cfgs}
    busy0, t0 = busy_seconds(), time.monotonic()
    for r in range(runs):
        for label, _, _, argv in cfgs:
            res[label].append(run(argv(dump, out), out))
            if r == 0:
                check(kexdump, with_kexdump, out)
            os.unlink(out)
            os.sync()
            w, c, m, b = res[label][-1]
            print(f"bench: {name} run {r + 1}/{runs} {label}: {w:.2f} s, CPU {c:.2f} s, "
                  f"{m / 1024:.1f} MiB, {b / MIB:.1f} MiB out", file=sys.stderr)

    # Other jobs on the machine take cores from the multi-threaded runs:
    # what the machine was busy with beyond the measured tools.
    other = (busy_seconds() - busy0 - sum(x[1] for rs in res.values() for x in rs)) \
        / (time.monotonic() - t0)
    guest = mt.get("mem", "?")
    lines.append(f"### {name}: {size / 1e9:.2f} GB vmcore of a {guest} guest "
                 f"({mt.get('release', '?')})")
    lines.append("")
    if mi:
        keys = [("MemTotal", "total"), ("MemFree", "free"), ("Cached", "page cache"),
                ("Shmem", "of which tmpfs/shmem"), ("Buffers", "buffers"),
                ("AnonPages", "anonymous"), ("Slab", "slab"), ("PageTables", "page tables")]
        parts = [f"{lbl} {mi[k]:.0f} MiB" for k, lbl in keys if k in mi]
        lines.append("Guest `/proc/meminfo` just before the crash: " + ", ".join(parts) + ".")
        lines.append("")
    if classes:
        lines.append(classes)
        lines.append("")
    lines.append(f"Other load on the machine during these runs: {max(other, 0):.2f} of "
                 f"{os.cpu_count()} cores on average (CPU time not spent by the tools measured).")
    lines.append("")
    lines.append("| tool | level | wall median (min-max) | CPU (user+sys) | CPU/wall | peak RSS | output | wall vs kexdump | size vs kexdump |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    med = {}
    for label, level, tool, _ in cfgs:
        rs = res[label]
        walls = [x[0] for x in rs]
        med[label] = (statistics.median(walls), statistics.median(x[1] for x in rs),
                      max(x[2] for x in rs), statistics.median(x[3] for x in rs))
    for label, level, tool, _ in cfgs:
        w, c, m, b = med[label]
        walls = [x[0] for x in res[label]]
        base = f"kexdump save -d {level}"
        if base in med:
            rw = f"{w / med[base][0]:.2f}x"
            rb = f"{b / med[base][3]:.2f}x"
        else:
            rw = rb = "-"
        lines.append(f"| `{label}` | {level} | {fmt_s(w)} ({fmt_s(min(walls))}-{fmt_s(max(walls))}) "
                     f"| {fmt_s(c)} | {c / w:.2f} | {m / 1024:.1f} MiB | {b / MIB:.1f} MiB | {rw} | {rb} |")
    lines.append("")
    return med


def bars(all_med, with_kexdump, lines):
    """The targets of `kexdump save`; PASS/FAIL, never an exit status."""
    lines.append("### Bars")
    lines.append("")
    if not with_kexdump:
        lines.append("`kexdump save` did not exist yet: makedumpfile's figures are the targets.")
        lines.append("")
        return
    out = []
    for name, (med, gib) in all_med.items():
        k31, l31, c31 = (med[x] for x in ("kexdump save -d 31", "makedumpfile -d 31 -l",
                                           "makedumpfile -d 31 -c"))
        k1, l1 = med["kexdump save -d 1"], med["makedumpfile -d 1 -l"]
        sp31 = l31[0] / k31[0]
        out.append((sp31 >= 1.5 and k31[3] <= c31[3],
                    f"{name}: -d 31 >= 1.5x faster than `makedumpfile -l` ({sp31:.2f}x) "
                    f"with output <= `makedumpfile -c` ({k31[3] / MIB:.1f} vs {c31[3] / MIB:.1f} MiB)"))
        sp1 = l1[0] / k1[0]
        out.append((sp1 >= 2, f"{name}: -d 1 >= 2x faster than `makedumpfile -d 1 -l` ({sp1:.2f}x)"))
        # The same bars met by other codecs (not the default), as information.
        for lbl, lvl in (("kexdump save -d 31 --compress zstd:1", 31),
                         ("kexdump save -d 31 --compress lzo", 31),
                         ("kexdump save -d 1 --compress zstd", 1),
                         ("kexdump save -d 1 --compress zstd:1", 1)):
            if lbl in med:
                ref = l31 if lvl == 31 else l1
                out.append((None, f"{name}: `{lbl}`: {ref[0] / med[lbl][0]:.2f}x as fast as "
                            f"`makedumpfile -d {lvl} -l`, output {med[lbl][3] / MIB:.1f} MiB"))
        # How fast the default could be here at all: its CPU time with
        # one worker (all the work, nothing overlapped) spread over every
        # core with no overhead, against the time the -d 31 bar asks for.
        j31 = med["kexdump save -d 31 -j 1"]
        ncpu = os.cpu_count() or 1
        out.append((None, f"{name}: -d 31 floor on {ncpu} cores: the default's CPU with -j 1 "
                    f"({fmt_s(j31[1])}) / {ncpu} = {fmt_s(j31[1] / ncpu)}, against "
                    f"{fmt_s(l31[0] / 1.5)} for 1.5x `makedumpfile -l`; "
                    f"`--compress none` takes {fmt_s(med['kexdump save -d 31 --compress none'][0])}"))
        rss = max(v[2] for lbl, v in med.items() if lbl.startswith("kexdump"))
        out.append((rss <= 32 * 1024, f"{name}: kexdump peak RSS <= 32 MiB ({rss / 1024:.1f} MiB)"))
        for lvl in (31, 1):
            j1, jd = med[f"kexdump save -d {lvl} -j 1"], med[f"kexdump save -d {lvl}"]
            out.append((None, f"{name}: threads at -d {lvl}: the default -j is {j1[0] / jd[0]:.2f}x "
                        f"as fast as -j 1 (CPU/wall {jd[1] / jd[0]:.2f})"))
    if len(all_med) > 1:
        per = {name: max(v[2] for lbl, v in med.items() if lbl.startswith("kexdump"))
               for name, (med, _) in all_med.items()}
        lo, hi = min(per.values()), max(per.values())
        out.append((hi <= lo * 1.25,
                    "kexdump peak RSS flat as RAM grows (max <= 1.25x min): "
                    + ", ".join(f"{all_med[n][1]} {v / 1024:.1f} MiB" for n, v in per.items())))
    for ok, text in out:
        word = "info" if ok is None else "PASS" if ok else "FAIL"
        lines.append(f"- **{word}** {text}")
        print(f"bench: {word}: {text}", file=sys.stderr)
    lines.append("")


def machine(where):
    cpu = sh("sed -n 's/^model name.*: //p' /proc/cpuinfo | head -n1")
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30)
    src = sh(f"findmnt -vno SOURCE -T '{where}' | head -n1")
    disk = sh(f"lsblk -dno NAME,SIZE '{src}'").split()
    disk = f"{disk[0]} ({disk[1]})" if len(disk) == 2 else src or "?"
    fs = sh(f"findmnt -no FSTYPE -T '{where}'")
    mdf = sh("dpkg-query -W -f '${Version}' makedumpfile")
    return (f"{os.cpu_count()} cores of {cpu}, {ram:.0f} GiB RAM, Linux {platform.release()}, "
            f"outputs on {disk}, {fs or '?'}, "
            f"makedumpfile {mdf} (lzo and zlib; Debian builds it without zstd and snappy, "
            f"so `-z`/`-p` fall back silently).")


def main():
    ap = argparse.ArgumentParser(usage=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    ap.add_argument("--doc")
    ap.add_argument("--out-dir", help="where the outputs go (default: next to each dump)")
    ap.add_argument("kexdump")
    ap.add_argument("dumps", nargs="+")
    a = ap.parse_args()
    with_kexdump = has_save(a.kexdump)
    cfgs = configs(a.kexdump, with_kexdump)
    rev = sh(f"git -C {os.path.dirname(os.path.abspath(__file__))} describe --always --dirty")
    lines = [BEGIN, "## Saving a dump (`kexdump save` vs makedumpfile)", ""]
    lines.append(f"`python3 bench/save.py --runs {a.runs} KEXDUMP DUMP...` "
                 f"(`BENCH_SAVE=\"8G\" bench/run.sh` makes the dumps with `bench/mkfilled.sh` "
                 f"and runs it); kexdump at {rev} ({buildtype(a.kexdump)}). Machine: {machine(a.out_dir or os.path.dirname(os.path.abspath(a.dumps[0])))}")
    lines.append("")
    lines.append("Each tool writes a kdump-compressed file from the same ELF vmcore: "
                 "`kexdump save [OPTS] DUMP OUT` and `makedumpfile [OPTS] DUMP OUT`. "
                 f"The configurations run alternately in one process, median of {a.runs} runs "
                 "(min-max in brackets), every run into a fresh file on the dump's file system, "
                 "deleted and `sync`ed after. Warm cache: the vmcore is read once untimed "
                 "first and stays in the host's page cache for every run of both tools. "
                 "Every output is checked once to hold the kernel's panic line "
                 "(`kexdump dmesg OUT`). Peak RSS is the worst run's.")
    lines.append("")
    lines.append("The dumps come from `bench/mkfilled.sh`: a bookworm guest (2 vCPUs, TCG) "
                 "reads about 90% of its RAM of the host's `/usr` files from an ext4 disk, "
                 "copies 15% into tmpfs, holds about 19% in six processes' anonymous memory, "
                 "then lets half of those processes exit, deletes half the tmpfs files, "
                 "drops the page cache and reads 45% of its RAM back, so free pages hold old "
                 "data rather than zeros; then sysrq-c, and the capture kernel copies "
                 "/proc/vmcore raw.")
    lines.append("")
    all_med = {}
    for dump in a.dumps:
        med = bench_dump(dump, cfgs, a.kexdump, with_kexdump, a.runs, a.out_dir, lines)
        name = os.path.basename(os.path.dirname(os.path.abspath(dump)))
        all_med[name] = (med, meta(os.path.join(os.path.dirname(os.path.abspath(dump)), "meta")).get("mem", name))
    bars(all_med, with_kexdump, lines)
    lines.append(END)
    import textwrap
    section = "\n".join(l if l.startswith(("|", "#", "- ", "<!--")) or not l
                        else textwrap.fill(l, 76, break_on_hyphens=False, break_long_words=False)
                        for l in lines) + "\n"
    print(section, end="")
    if a.doc:
        try:
            with open(a.doc) as f:
                text = f.read()
        except FileNotFoundError:
            text = "# Benchmarks\n"
        if BEGIN in text and END in text:
            head, _, rest = text.partition(BEGIN)
            _, _, tail = rest.partition(END + "\n")
            text = head + section + tail
        else:
            text = text.rstrip("\n") + "\n\n" + section
        with open(a.doc + ".tmp", "w") as f:
            f.write(text)
        os.replace(a.doc + ".tmp", a.doc)


if __name__ == "__main__":
    main()
