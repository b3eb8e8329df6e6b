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
  frames of the stack and are ignored. After a fatal oops that went to the
  crash kernel without a panic line: the oops's faulting function (its
  "RIP: 0010:" line) and its Call Trace. A "RIP: 0010:" line inside a
  trace (the code an exception or interrupt stopped) is a frame too. A
  frame the console names with "[module]" must have that module; frames
  between <IRQ> and </IRQ> must be on the IRQ stack, the others not, and
  the first frame back on the task's stack must be marked a transition.
crash: crash's `bt -a` with the debug vmlinux (DWARF, not ORC): for each
  CPU, every kexdump frame must be one of crash's, in order, at the same
  stack address (for the panicking CPU from panic() on; for the CPUs the
  crash NMI stopped, from their NMI stack on). crash lists stale return
  addresses it finds between frames too; those it lists and kexdump does
  not are counted and named, not failed. Where crash loses its own walk
  after the IRQ stack (a bogus exception frame, see crash_blocks), only
  the frames up to the end of the IRQ stack are compared, and it says so.
Frame names are compared after stripping .cold/.isra.N/.constprop.N/
.part.N/.llvm.N.
"""
import json
import re
import sys

SUFFIX = re.compile(r'(\.(cold|isra|constprop|part|llvm|lto_priv)(\.\d+)?)+$')
FRAME = re.compile(r'^\s*(\? )?([A-Za-z0-9_.$]+)\+0x[0-9a-f]+/0x[0-9a-f]+( \[[^\]]+\])?\s*$')
TS = re.compile(r'^\[ *\d+\.\d+\] ?')
OOPS = re.compile(r': [0-9a-f]{4} \[#\d+\]')
RIP = re.compile(r'^RIP: 0010:([A-Za-z0-9_.$]+)\+0x[0-9a-f]+/0x[0-9a-f]+(?: \[([^\]]+)\])?')
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


def console_lines(path):
    """The kernel's (time-stamped) lines of the console, without the stamp."""
    # A user-space write may share a line with the kernel's, before a
    # carriage return: "KEXDUMP-CRASH: ...\r[    4.649949]  vfs_write...".
    with open(path, 'rb') as f:
        lines = re.split(r'[\r\n]', f.read().decode('utf-8', 'replace'))
    # Only the kernel's lines (time-stamped): user space may write
    # between two lines of a trace.
    return [TS.sub('', l) for l in lines if TS.match(l)]


def crash_start(lines):
    """(index, kind) of the line that starts the crash report: the first
    "Kernel panic - not syncing" ('panic'), else the first oops header
    ('oops': arch/x86/kernel/dumpstack.c __die_header(), "Oops: 0002 [#1]
    ...": a fatal oops with a crash kernel loaded goes to it from oops_end()
    without a panic line), else (None, None)."""
    i = next((i for i, l in enumerate(lines)
              if l.startswith('Kernel panic - not syncing')), None)
    if i is not None:
        return i, 'panic'
    i = next((i for i, l in enumerate(lines) if OOPS.search(l)), None)
    return (i, 'oops') if i is not None else (None, None)


def console_trace(path):
    """Frames (without "?") of the Call Trace after the first panic line,
    from panic() on; after an oops without a panic line, the oops's
    faulting function (its "RIP: 0010:" line) and its Call Trace. Each is
    {name, module, stack}: stack 'IRQ' between <IRQ> and </IRQ>, else
    'task'; a "RIP: 0010:" line inside the trace (an exception or interrupt
    frame's interrupted code) is a frame too."""
    lines = console_lines(path)
    start, kind = crash_start(lines)
    if start is None:
        return None
    trace = None
    stack = 'task'
    oops_rip = False
    for l in lines[start:]:
        m = RIP.match(l)
        if m and (trace is not None or kind == 'oops'):
            if trace is None:
                trace = [{'name': base(m.group(1)), 'module': m.group(2), 'stack': stack}]
                kind = 'oops-rip'
                oops_rip = True
            else:
                trace.append({'name': base(m.group(1)), 'module': m.group(2), 'stack': stack})
            continue
        if trace is None or kind == 'oops-rip':
            if l.strip() == 'Call Trace:':
                trace = trace or []
                kind = 'trace'
            continue
        if l.strip() == '<IRQ>':
            stack = 'IRQ'
            # The oops's faulting function is on the stack the trace
            # starts on.
            if len(trace) == 1 and oops_rip:
                trace[0]['stack'] = stack
            continue
        if l.strip() == '</IRQ>':
            stack = 'task'
            continue
        m = FRAME.match(l)
        if m:
            if not m.group(1):
                mod = m.group(3).strip()[1:-1] if m.group(3) else None
                trace.append({'name': base(m.group(2)), 'module': mod, 'stack': stack})
            continue
        # The trace ends with the task's stack; a line the serial console
        # broke in two ("? " alone) or a register line is skipped.
        if l.strip() == '</TASK>' or l.startswith('---[ end') or \
           l.startswith('Linux version') or l.startswith('Kernel Offset') or \
           l.startswith('Modules linked in'):
            break
    if not trace:
        return None
    names = [f['name'] for f in trace]
    if 'panic' in names:
        trace = trace[names.index('panic'):]
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
    trace = console_trace(console)
    if not trace:
        nok('%s: the console has no Call Trace after a panic line or an oops' % label)
        return
    want = [f['name'] for f in trace]
    p = panic_bt(bt)
    if p is None:
        nok('%s: bt --all names no panicking CPU' % label)
        return
    frames = p['frames']
    have = [base(f['function']) for f in frames]
    # Greedy, in order: where each console frame is in kexdump's.
    at = []
    for h, name in enumerate(have):
        if len(at) < len(want) and name == want[len(at)]:
            at.append(h)
    n = len(at)
    print('# %s: console trace %s' % (label, ' '.join(want)))
    print('# %s: kexdump bt    %s' % (label, ' '.join(have)))
    if n == len(want):
        ok('%s: bt of the panicking CPU has the console\'s %d frames%s, in order'
           % (label, n, ' from panic on' if want[0] == 'panic' else ' of the oops'))
    else:
        nok('%s: bt of the panicking CPU has %d of the console\'s %d frames in order; '
            'first missing: %s' % (label, n, len(want), want[n]))
    # The module of each frame the console names "[mod]", and the stack
    # of each: the IRQ part on the IRQ stack, the rest on the task's, with
    # the transition marked on the first frame back on the task's stack.
    bad = []
    for w, h in zip(trace, at):
        f = frames[h]
        if (w['module'] or None) != (f.get('module') or None):
            bad.append('%s: module %s, the console %s' % (w['name'], f.get('module'), w['module']))
        if (f.get('stack') == 'IRQ') != (w['stack'] == 'IRQ'):
            bad.append('%s: on the %s stack, the console %s' % (w['name'], f.get('stack'), w['stack']))
    mods = sum(1 for w in trace if w['module'])
    irq = [h for w, h in zip(trace, at) if w['stack'] == 'IRQ']
    if n == len(want):
        if bad:
            nok('%s: frames differ from the console\'s: %s' % (label, '; '.join(bad[:4])))
        else:
            ok('%s: the console\'s %d module frames have their module, %d IRQ frames are on the IRQ stack'
               % (label, mods, len(irq)))
    if irq and n == len(want):
        after = [h for w, h in zip(trace, at) if w['stack'] != 'IRQ' and h > irq[-1]]
        upto = after[0] if after else len(frames)
        tr = [frames[h]['function'] for h in range(irq[-1] + 1, min(upto + 1, len(frames)))
              if 'transition' in (frames[h].get('flags') or []) and frames[h].get('stack') != 'IRQ']
        if tr and after:
            ok('%s: the IRQ stack -> task stack transition is shown (at %s)' % (label, tr[0]))
        else:
            nok('%s: no transition from the IRQ stack to the task stack after %s'
                % (label, frames[irq[-1]]['function']))
    if p.get('stopped'):
        nok('%s: the walk stopped early: %s' % (label, p['stopped']))
    else:
        ok('%s: the walk reached the end of the stack%s' %
           (label, ' (user mode)' if p.get('user_regs') else ''))


def crash_blocks(path):
    """{cpu: [(name, stack address), ...]} of crash's bt -a, and {cpu: why}
    for the CPUs whose walk crash itself lost after leaving the IRQ stack:
    crash 8.0.2 takes the first words of the task stack after an interrupt
    for a pt_regs and prints one whose CS is neither the kernel's nor
    user mode's ("WARNING: possibly bogus exception frame"); its frames
    from there on are not a walk of the stack."""
    blocks, lost = {}, {}
    cur = rip = None
    after_irq = first_after_irq = False
    with open(path, errors='replace') as f:
        for l in f:
            m = CRASH_PID.match(l)
            if m:
                cur = int(m.group(3))
                blocks[cur] = []
                after_irq = first_after_irq = False
                continue
            if cur is None or cur in lost:
                continue
            if l.strip() == '--- <IRQ stack> ---':
                after_irq = first_after_irq = True
                continue
            m = CRASH_FRAME.match(l)
            if m:
                sp = int(m.group(2), 16)
                if first_after_irq:
                    # The interrupt entry's frame on the task stack: crash
                    # (8.0.6) gives the address of the pt_regs it pushed,
                    # kexdump the slot of the return address that its
                    # call into the handler pushed right below them.
                    sp -= 8
                    first_after_irq = False
                blocks[cur].append((base(m.group(3)), sp))
                continue
            # An exception frame's interrupted function: "[exception RIP:
            # NAME+OFF]", then "RIP: ...  RSP: SP ...": a frame at SP.
            m = re.match(r'^\s+\[exception RIP: ([A-Za-z0-9_.$]+)(\+\d+)?\]', l)
            if m:
                rip = base(m.group(1))
                continue
            m = re.match(r'^\s+RIP: [0-9a-f]+\s+RSP: ([0-9a-f]+)', l)
            if m and rip:
                blocks[cur].append((rip, int(m.group(1), 16)))
                rip = None
                continue
            m = re.search(r'\bCS: ([0-9a-f]{4})\b', l)
            if m and after_irq and m.group(1) not in ('0010', '0033', '0023'):
                bogus = blocks[cur].pop()
                lost[cur] = 'a bogus exception frame (CS %s) at %x after the IRQ stack' % (
                    m.group(1), bogus[1])
    return blocks, lost


def check_crash(crashfile, btfile, label):
    bt = json.load(open(btfile))
    blocks, lost = crash_blocks(crashfile)
    if not blocks:
        nok('%s: crash printed no backtrace' % label)
        return
    for b in bt['backtraces']:
        cpu = b['cpu']
        frames = b['frames']
        if cpu in lost:
            # Only what crash walked: the frames up to the end of the
            # IRQ stack.
            n = max((i + 1 for i, f in enumerate(frames) if f.get('stack') == 'IRQ'), default=0)
            print('# %s: CPU %d: crash lost its walk: %s; %d kexdump frames after the IRQ stack '
                  'not compared' % (label, cpu, lost[cpu], len(frames) - n))
            frames = frames[:n]
        mine = [(base(f['function']), int(f['sp'], 16)) for f in frames]
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
