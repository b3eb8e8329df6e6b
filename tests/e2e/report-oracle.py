#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""report-oracle.py MODE ORACLE REPORT.JSON [LABEL]

Compare `kexdump report --json` with an oracle that is not kexdump; print
"ok - ..." / "not ok - ..." lines (check-triage.sh counts them) and "# ..."
figures.

console CONSOLE.LOG: the crashed kernel's own lines on the serial console.
  - panic.message is the first "Kernel panic - not syncing" line's text,
    else the first oops header's ("Oops: 0002 [#1] ...": a fatal oops goes
    to the crash kernel without a panic line; its CPU line, RIP and Call
    Trace are then the crash's);
  - panic.uptime is that line's time stamp (to the microsecond);
  - panic.cpu, panic.task.pid and .comm, and the taint text are those of the
    "CPU: N [UID: U] PID: P Comm: C [Kdump: loaded] TAINT RELEASE" line
    panic()'s dump_stack() printed right after it;
  - the signature is "COMM: f1 < f2 < f3" with the frames of the console's
    Call Trace after panic() (after an oops, the "RIP: 0010:" function
    first), names without .cold/.isra.N/...
dmesg DMESG.TXT: makedumpfile --dump-dmesg of the same dump: log_tail is
  its last lines, byte for byte.
kmem KMEM-I.TXT: crash's `kmem -i` with the debug vmlinux: TOTAL MEM is
  totalram_pages and FREE NR_FREE_PAGES exactly (the same counters, no
  tolerance); CACHED and SLAB within 1% (see check_kmem).
bt BT.JSON: `kexdump bt --all --json` of the same dump: every CPU's
  backtrace in the report is the same walk (frames, stack addresses).
lists PS.JSON:MOD.JSON: `kexdump ps --json` and `kexdump mod --json` of
  the same dump (checked against the console's ps and /proc/modules by
  their own tests): the report's tasks and modules are theirs, and every
  task has a backtrace.
"""
import json
import re
import sys

SUFFIX = re.compile(r'(\.(cold|isra|constprop|part|llvm|lto_priv)(\.\d+)?)+$')
TS = re.compile(r'^\[ *(\d+)\.(\d+)\] ?')
FRAME = re.compile(r'^\s*(\? )?([A-Za-z0-9_.$]+)\+0x[0-9a-f]+/0x[0-9a-f]+( \[[^\]]+\])?\s*$')
HEADER = re.compile(r'^CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: (.{1,15}?) '
                    r'(?:Kdump: loaded )?(Not tainted|Tainted: [A-Z ]*?) +\S+ #')
RIP = re.compile(r'^RIP: 0010:([A-Za-z0-9_.$]+)\+0x')
OOPS = re.compile(r': [0-9a-f]{4} \[#\d+\]')
passed = failed = 0


def base(name):
    return SUFFIX.sub('', name or '')


def ok(msg):
    global passed
    passed += 1
    print('ok - ' + msg)


def nok(msg):
    global failed
    failed += 1
    print('not ok - ' + msg)


def kernel_lines(path):
    with open(path, 'rb') as f:
        lines = re.split(r'[\r\n]', f.read().decode('utf-8', 'replace'))
    out = []
    for l in lines:
        m = TS.match(l)
        if m:
            out.append((int(m.group(1)) * 10**6 + int(m.group(2)), TS.sub('', l)))
    return out


def check_console(console, r, label):
    lines = kernel_lines(console)
    start = next((i for i, (_, l) in enumerate(lines)
                  if l.startswith('Kernel panic - not syncing')), None)
    # The first oops header (arch/x86/kernel/dumpstack.c __die_header():
    # "Oops: 0002 [#1] ..."); a fatal oops with a crash kernel loaded goes
    # to it from oops_end() without a panic line: then the header is the
    # message, and its CPU line, RIP and Call Trace are the crash's.
    oops = next((i for i, (_, l) in enumerate(lines[:start]) if OOPS.search(l)), None)
    panicked = start is not None
    if not panicked:
        start = oops
    if start is None:
        nok('%s: the console has no "Kernel panic - not syncing" line and no oops' % label)
        return
    p = r['panic']
    ts, line = lines[start]
    if p['message'] == line.rstrip():
        ok('%s: panic message is the console\'s panic line: %s' % (label, line.rstrip()))
    else:
        nok('%s: panic message %r, the console says %r' % (label, p['message'], line))
    up = p.get('uptime_ns')
    if up is not None and up // 1000 == ts:
        ok('%s: uptime %d.%06d s is the panic line\'s time stamp' % (label, ts // 10**6, ts % 10**6))
    else:
        nok('%s: uptime %r, the panic line is at %d.%06d' % (label, up, ts // 10**6, ts % 10**6))
    head = next((HEADER.match(l) for _, l in lines[start + 1:start + 4] if HEADER.match(l)), None)
    if head is None:
        nok('%s: no "CPU: N PID: P Comm: C" line after the panic line' % label)
        return
    cpu, pid, comm, taint = int(head.group(1)), int(head.group(2)), head.group(3), head.group(4)
    task = p.get('task') or {}
    have = (p.get('cpu'), task.get('pid'), task.get('comm'))
    if have == (cpu, pid, comm):
        ok('%s: panicking CPU %d, task %d (%s) as on the console' % (label, cpu, pid, comm))
    else:
        nok('%s: report says CPU %r pid %r comm %r, the console CPU %d pid %d comm %r'
            % ((label,) + have + (cpu, pid, comm)))
    t = (p.get('taint') or {}).get('text')
    if t is not None and t.rstrip() == taint.rstrip():
        ok('%s: taint "%s" as the console prints it' % (label, taint.rstrip()))
    else:
        nok('%s: taint %r, the console %r' % (label, t, taint))
    # The signature's frames: the console's Call Trace below panic().
    # The faulting function: the oops's first "RIP: 0010:" line (a RIP
    # line of a Call Trace without an oops, as the page fault an OOM
    # panicked in, is not the bug).
    trace, rip = None, None
    if oops is not None:
        m = next((RIP.match(l) for _, l in lines[oops:] if RIP.match(l)), None)
        rip = base(m.group(1)) if m else None
    for _, l in lines[start:]:
        if trace is None:
            if l.strip() == 'Call Trace:':
                trace = []
            continue
        m = FRAME.match(l)
        if m:
            if not m.group(1):
                trace.append(base(m.group(2)))
            continue
        if l.strip() == '</TASK>' or l.startswith('---[ end') or l.startswith('Kernel Offset'):
            break
    if panicked and (not trace or 'panic' not in trace):
        nok('%s: the console has no Call Trace through panic()' % label)
        return
    if not panicked and not trace:
        nok('%s: the console has no Call Trace after the oops' % label)
        return
    below = trace[trace.index('panic') + 1:] if panicked else trace
    want = ([rip] if rip else []) + [f for f in below if f != rip]
    want = '%s: %s' % (comm, ' < '.join(want[:3]))
    if p.get('signature') == want:
        ok('%s: signature "%s" from the console\'s Call Trace' % (label, want))
    else:
        nok('%s: signature %r, the console gives %r' % (label, p.get('signature'), want))


def check_dmesg(dmesg, r, label):
    with open(dmesg, 'rb') as f:
        text = f.read().decode('utf-8', 'replace')
    lines = text.split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    tail = r.get('log_tail')
    if not tail:
        nok('%s: report has no log_tail: %s' % (label, r['errors'].get('log')))
        return
    want = lines[-len(tail):]
    if tail == want:
        ok('%s: log_tail is the last %d lines of makedumpfile --dump-dmesg' % (label, len(tail)))
    else:
        i = next(i for i in range(len(tail)) if i >= len(want) or tail[i] != want[i])
        nok('%s: log_tail line %d is %r, makedumpfile %r' %
            (label, i, tail[i], want[i] if i < len(want) else None))


def check_kmem(kmem, r, label):
    # crash's kmem -i: "  TOTAL MEM   964403       3.7 GB         ----"
    got = {}
    with open(kmem, errors='replace') as f:
        for l in f:
            m = re.match(r'^\s*([A-Z][A-Z ]*[A-Z])\s+(\d+)\s', l)
            if m:
                got[m.group(1)] = int(m.group(2))
    mem = r.get('memory')
    if not mem:
        nok('%s: report has no memory: %s' % (label, r['errors'].get('memory')))
        return
    page = 4096
    print('# %s: crash kmem -i pages: %s' % (label, ' '.join('%s=%d' % kv for kv in got.items())))
    print('# %s: report pages: %s' % (label, ' '.join('%s=%d' % (k, v // page) for k, v in mem.items())))
    for name, key in (('TOTAL MEM', 'total'), ('FREE', 'free')):
        if name not in got:
            nok('%s: crash kmem -i has no %s line' % (label, name))
        elif mem.get(key) == got[name] * page:
            ok('%s: memory.%s = crash\'s %s (%d pages)' % (label, key, name, got[name]))
        else:
            nok('%s: memory.%s = %r bytes, crash\'s %s %d pages' %
                (label, key, mem.get(key), name, got[name]))
    # crash's SLAB (8.0.3 and later, which know the 5.9+ NR_SLAB_*_B item
    # names) is the reclaimable and unreclaimable slab together, as
    # /proc/meminfo's Slab. CACHED is NR_FILE_PAGES less swap cache and
    # buffers (none in the test guests).
    # crash reads the per-node copies (pgdat->vm_stat), the report the
    # global ones as /proc/meminfo does (vm_node_stat). A CPU folding its
    # per-CPU deltas adds them to the node first and to the global
    # counter after (mm/vmstat.c refresh_cpu_vm_stats, then fold_diff),
    # so a CPU stopped by the panic's NMI in between leaves them apart by
    # up to its stat threshold, at most 125 pages per CPU
    # (calculate_normal_threshold): seen 23 pages apart on a 2-CPU dump.
    # Allowed: 1%, or that bound.
    drift = 125 * max(1, len(r.get('cpus') or []))
    for name, key in (('SLAB', 'slab_reclaimable+slab_unreclaimable'), ('CACHED', 'page_cache')):
        mine = sum(mem.get(k, 0) for k in key.split('+')) // page
        if name not in got:
            nok('%s: crash kmem -i has no %s line' % (label, name))
        elif abs(mine - got[name]) <= max(1, got[name] // 100):
            ok('%s: memory.%s = %d pages, crash\'s %s %d (within 1%%)' %
               (label, key, mine, name, got[name]))
        elif abs(mine - got[name]) <= drift:
            ok('%s: memory.%s = %d pages, crash\'s %s %d (within the per-CPU '
               'vmstat drift, %d pages)' % (label, key, mine, name, got[name], drift))
        else:
            nok('%s: memory.%s = %d pages, crash\'s %s %d' % (label, key, mine, name, got[name]))


def check_bt(btfile, r, label):
    bt = json.load(open(btfile))
    walks = {b['cpu']: [(f['function'], f['sp']) for f in b['frames']] for b in bt['backtraces']}
    cpus = r.get('cpus') or []
    bad = [c['cpu'] for c in cpus
           if [(f['function'], f['sp']) for f in (c.get('backtrace') or [])] != walks.get(c['cpu'])]
    if cpus and not bad and len(cpus) == len(walks):
        ok('%s: the %d CPUs\' backtraces are bt --all\'s' % (label, len(cpus)))
    else:
        nok('%s: CPUs whose backtrace differs from bt --all: %s' % (label, bad or 'count'))


def check_lists(files, r, label):
    """files: "PS.JSON:MOD.JSON", kexdump ps --json and mod --json (their
    own oracles are the tasks checks: the console's ps, /proc/modules)."""
    ps_file, mod_file = files.split(':')
    keys = ('pid', 'ppid', 'comm', 'state', 'cpu', 'running', 'task')
    ps = [tuple(t[k] for k in keys) for t in json.load(open(ps_file))['tasks']]
    mine = [tuple(t[k] for k in keys) for t in (r.get('tasks') or [])]
    if mine and mine == ps:
        ok('%s: report\'s %d tasks are ps --json\'s (pid, ppid, comm, state, cpu, task)'
           % (label, len(mine)))
    else:
        nok('%s: report\'s tasks (%d) differ from ps --json\'s (%d): %s' %
            (label, len(mine), len(ps), r['errors'].get('tasks') or
             next((str(a) for a, b in zip(mine, ps) if a != b), 'count')))
    mkeys = ('name', 'address', 'size', 'taint')
    mods = [tuple(m[k] for k in mkeys) for m in json.load(open(mod_file))['modules']]
    have = [tuple(m[k] for k in mkeys) for m in (r.get('modules') or [])]
    if r.get('modules') is not None and have == mods:
        ok('%s: report\'s %d modules are mod --json\'s (name, address, size, taint)'
           % (label, len(have)))
    else:
        nok('%s: report\'s modules differ from mod --json\'s: %s' %
            (label, r['errors'].get('modules') or '%d vs %d' % (len(have), len(mods))))
    # Every task has its stack in the JSON: a sleeping task's from its
    # saved frame, a running one's from its CPU.
    missing = [t['pid'] for t in (r.get('tasks') or []) if not t.get('backtrace')]
    if r.get('tasks') and not missing:
        ok('%s: every task has its backtrace in the JSON' % label)
    else:
        nok('%s: tasks without a backtrace: %s' % (label, missing[:10] or 'no tasks'))


def main():
    modes = {'console': check_console, 'dmesg': check_dmesg, 'kmem': check_kmem, 'bt': check_bt,
             'lists': check_lists}
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in modes:
        sys.stderr.write(__doc__)
        sys.exit(2)
    mode, oracle, rfile = sys.argv[1:4]
    label = sys.argv[4] if len(sys.argv) == 5 else mode
    modes[mode](oracle, json.load(open(rfile)), label)
    sys.exit(1 if failed else 0)


main()
