#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bt-oracle.py console CONSOLE.LOG BT.JSON [LABEL]
bt-oracle.py crash CRASH-BT.TXT BT.JSON [LABEL]

Compare `kexdump bt --all --json` (BT.JSON) with an oracle that is not
kexdump; print TAP-like "ok - ..." / "not ok - ..." lines (check-triage.sh
counts them) and "# ..." comments with the figures.

console: the crashed kernel's own Call Trace of its panic (the first
  "Kernel panic - not syncing" line and the trace after it): every frame
  it printed without "?" from panic() on must be in the backtrace of the
  panicking CPU, in order. The kernel's ORC unwinder marks a word of the
  stack it did not reach through unwind data with "?"; those are not
  frames of the stack and are ignored.
crash: crash's `bt -a` with the debug vmlinux (DWARF, not ORC): for each
  CPU, every kexdump frame must be one of crash's, in order, at the same
  stack address (for the panicking CPU from panic() on; for the CPUs the
  crash NMI stopped, from their NMI stack on). crash lists stale return
  addresses it finds between frames too; those it lists and kexdump does
  not are counted and named, not failed.
Frame names are compared after stripping .cold/.isra.N/.constprop.N/
.part.N/.llvm.N.
"""
import json
import re
import sys

SUFFIX = re.compile(r'(\.(cold|isra|constprop|part|llvm|lto_priv)(\.\d+)?)+$')
FRAME = re.compile(r'^\s*(\? )?([A-Za-z0-9_.$]+)\+0x[0-9a-f]+/0x[0-9a-f]+( \[[^\]]+\])?\s*$')
TS = re.compile(r'^\[ *\d+\.\d+\] ?')
CRASH_PID = re.compile(r'^PID: +(\d+) +TASK: +([0-9a-f]+) +CPU: +(\d+) +COMMAND: "(.*)"')
CRASH_FRAME = re.compile(r'^ ?#(\d+) \[([0-9a-f]+)\] (\S+) at ([0-9a-f]+)')

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


def console_trace(path):
    """Frames (without "?") of the Call Trace after the first panic line,
    from panic() on."""
    # A user-space write may share a line with the kernel's, before a
    # carriage return: "KEXDUMP-CRASH: ...\r[    4.649949]  vfs_write...".
    with open(path, 'rb') as f:
        lines = re.split(r'[\r\n]', f.read().decode('utf-8', 'replace'))
    # Only the kernel's lines (time-stamped): user space may write
    # between two lines of a trace.
    lines = [TS.sub('', l) for l in lines if TS.match(l)]
    start = next((i for i, l in enumerate(lines)
                  if l.startswith('Kernel panic - not syncing')), None)
    if start is None:
        return None
    trace = None
    for l in lines[start:]:
        if trace is None:
            if l.strip() == 'Call Trace:':
                trace = []
            continue
        m = FRAME.match(l)
        if m:
            if not m.group(1):
                trace.append(base(m.group(2)))
            continue
        # The trace ends with the task's stack; a line the serial console
        # broke in two ("? " alone) or a register line is skipped.
        if l.strip() == '</TASK>' or l.startswith('---[ end') or \
           l.startswith('Linux version') or l.startswith('Kernel Offset'):
            break
    if trace is None:
        return None
    if 'panic' in trace:
        trace = trace[trace.index('panic'):]
    return trace


def subsequence(want, have):
    """How many of want, in order, are found in have (greedy)."""
    i = 0
    for h in have:
        if i < len(want) and h == want[i]:
            i += 1
    return i


def panic_bt(bt):
    for b in bt['backtraces']:
        if b.get('panic'):
            return b
    return None


def check_console(console, btfile, label):
    bt = json.load(open(btfile))
    want = console_trace(console)
    if not want:
        nok('%s: the console has no Call Trace after a panic line' % label)
        return
    p = panic_bt(bt)
    if p is None:
        nok('%s: bt --all names no panicking CPU' % label)
        return
    have = [base(f['function']) for f in p['frames']]
    n = subsequence(want, have)
    print('# %s: console trace %s' % (label, ' '.join(want)))
    print('# %s: kexdump bt    %s' % (label, ' '.join(have)))
    if n == len(want):
        ok('%s: bt of the panicking CPU has the console\'s %d frames from panic on, in order'
           % (label, n))
    else:
        nok('%s: bt of the panicking CPU has %d of the console\'s %d frames in order; '
            'first missing: %s' % (label, n, len(want), want[n]))
    if p.get('stopped'):
        nok('%s: the walk stopped early: %s' % (label, p['stopped']))
    else:
        ok('%s: the walk reached the end of the stack%s' %
           (label, ' (user mode)' if p.get('user_regs') else ''))


def crash_blocks(path):
    """{cpu: [(name, stack address), ...]} of crash's bt -a."""
    blocks = {}
    cur = None
    with open(path, errors='replace') as f:
        for l in f:
            m = CRASH_PID.match(l)
            if m:
                cur = int(m.group(3))
                blocks[cur] = []
                continue
            if cur is None:
                continue
            m = CRASH_FRAME.match(l)
            if m:
                blocks[cur].append((base(m.group(3)), int(m.group(2), 16)))
    return blocks


def check_crash(crashfile, btfile, label):
    bt = json.load(open(btfile))
    blocks = crash_blocks(crashfile)
    if not blocks:
        nok('%s: crash printed no backtrace' % label)
        return
    for b in bt['backtraces']:
        cpu = b['cpu']
        mine = [(base(f['function']), int(f['sp'], 16)) for f in b['frames']]
        theirs = blocks.get(cpu)
        if theirs is None:
            nok('%s: crash has no backtrace of CPU %d' % (label, cpu))
            continue
        if b.get('panic'):
            # From panic() on: kexdump's first frame is where the CPU
            # saved its registers (__crash_kexec), crash's machine_kexec.
            def cut(fr):
                names = [n for n, _ in fr]
                return fr[names.index('panic'):] if 'panic' in names else fr
            mine, theirs = cut(mine), cut(theirs)
        j = 0
        missing = []
        for fr in mine:
            k = j
            while k < len(theirs) and theirs[k] != fr:
                k += 1
            if k == len(theirs):
                missing.append(fr)
            else:
                j = k + 1
        extra = [n for n in theirs if n not in mine]
        what = '%s: CPU %d%s' % (label, cpu, ' (panic)' if b.get('panic') else '')
        print('# %s: kexdump %d frames, crash %d; crash only: %s' %
              (what, len(mine), len(theirs),
               ' '.join('%s@%x' % e for e in extra) or 'none'))
        if not missing and mine:
            ok('%s: all %d kexdump frames are crash\'s, in order, at the same stack addresses'
               % (what, len(mine)))
        else:
            nok('%s: %d of %d kexdump frames not in crash\'s bt: %s' %
                (what, len(missing), len(mine),
                 ' '.join('%s@%x' % e for e in missing[:5]) or '(no frames)'))


def main():
    if len(sys.argv) not in (4, 5) or sys.argv[1] not in ('console', 'crash'):
        sys.stderr.write(__doc__)
        sys.exit(2)
    mode, oracle, btfile = sys.argv[1:4]
    label = sys.argv[4] if len(sys.argv) == 5 else mode
    if mode == 'console':
        check_console(oracle, btfile, label)
    else:
        check_crash(oracle, btfile, label)
    sys.exit(1 if failed else 0)


main()
