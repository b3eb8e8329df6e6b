#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""auto-oracle.py SUMMARY [--max-rate BYTES_PER_S]

Judges what `compress auto` chose over a slow link, from the compress_auto=
line of a capture's summary (lib/service/dumpdir.c, kd_save_auto_describe):
the link's measured speed and its share on the writer's CPU, and each
candidate codec's speed and ratio on the sample of the dump's pages. The
rule of lib/save/save-auto.c, written again here from its documentation
(docs/kexdump.conf.md), gives:
  - the pick at the link the capture measured last, which must be the one
    the capture made (or one within the switching margin of it);
  - the pick on a fast target: the same link without its waits (wall time
    per byte = the writer's CPU time per byte: what SSH costs when nothing
    throttles it), which must be a lighter codec than the rule's pick at
    the measured link (the rule compresses harder where the link is slow),
    and no heavier than the capture's choice. The choice itself may be the
    fast pick when it is within the switching margin of the rule's (auto
    keeps its codec unless another is 10% faster: seen at 0.673 against
    0.617 s/MiB on a run where the guest's CPU was fast).
With --max-rate, the measured link must be no faster than that (plus 25%):
the capture measured the throttled link, not the buffers in front of it.
Prints one line of figures; exits 1 with the reason when a check fails.
"""
import re
import sys

ORDER = ["none", "lzo", "zstd:-1", "zstd:3"]	# lightest first, as the library's
MARGIN = 0.1


def estimates(cands, wall, cpu, cpus, workers):
    w = max(workers, 1)
    p = max(min(cpus, w + 1), 1)
    out = {}
    for name, (mbps, ratio) in cands.items():
        c = 0.0 if mbps == float("inf") else 1 / (mbps * 1e6)
        out[name] = max((c + ratio * cpu) / p, c / w, ratio * wall) * (1 << 20)
    return out


def pick(est):
    best = None
    for name in ORDER:
        if name in est and (best is None or est[name] < est[best]):
            best = name
    return best


def main():
    args = sys.argv[1:]
    max_rate = None
    if "--max-rate" in args:
        i = args.index("--max-rate")
        max_rate = float(args[i + 1])
        del args[i:i + 2]
    line = next((l[len("compress_auto="):] for l in open(args[0]).read().splitlines()
                 if l.startswith("compress_auto=")), None)
    if not line:
        sys.exit("no compress_auto= line in the summary")
    m = re.match(r"(\S+) \(last of (\d+) decisions, (\d+) switches\): link ([0-9.]+) MB/s, "
                 r"([0-9.]+) of it on a CPU; (\d+) CPUs, (\d+) workers", line)
    if not m:
        sys.exit(f"compress_auto= does not parse: {line}")
    chosen, decisions = m.group(1), int(m.group(2))
    rate, share = float(m.group(4)) * 1e6, float(m.group(5))
    cpus, workers = int(m.group(6)), int(m.group(7))
    cands, pages = {}, {}
    for c in re.finditer(r"; (\S+) (inf|[0-9.]+) MB/s x([0-9.]+) = ([0-9.]+) s/MiB, (\d+) pages", line):
        cands[c.group(1)] = (float(c.group(2)), float(c.group(3)))
        pages[c.group(1)] = int(c.group(5))
    if sorted(cands) != sorted(ORDER):
        sys.exit(f"candidates {sorted(cands)}, not {sorted(ORDER)}")
    if decisions < 1 or rate <= 0:
        sys.exit(f"auto never measured the link ({decisions} decisions)")
    wall = 1 / rate
    est = estimates(cands, wall, share * wall, cpus, workers)
    fast = estimates(cands, share * wall, share * wall, cpus, workers)
    want, want_fast = pick(est), pick(fast)
    fig = (f"link {rate / 1e6:.3f} MB/s ({share:.2f} on the CPU), chose {chosen}; rule here: "
           + ", ".join(f"{n} {est[n]:.2f}" for n in ORDER) + f" s/MiB -> {want}; fast target "
           f"({rate / share / 1e6 if share else float('inf'):.2f} MB/s): "
           + ", ".join(f"{n} {fast[n]:.2f}" for n in ORDER) + f" -> {want_fast}; pages "
           + ", ".join(f"{n} {pages[n]}" for n in ORDER))
    print(fig)
    if chosen != want and est[chosen] > est[want] / (1 - MARGIN) + 1e-3:
        sys.exit(f"the capture chose {chosen}, the rule picks {want}")
    if ORDER.index(want) <= ORDER.index(want_fast):
        sys.exit(f"the rule picks {want} at this link, not heavier than {want_fast}, "
                 "its pick on a fast target")
    if ORDER.index(chosen) < ORDER.index(want_fast):
        sys.exit(f"the capture chose {chosen}, lighter than {want_fast}, the pick on a fast target")
    if max_rate is not None and rate > max_rate * 1.25:
        sys.exit(f"the measured link ({rate:.0f} B/s) is faster than the throttle ({max_rate:.0f} B/s)")


if __name__ == "__main__":
    main()
