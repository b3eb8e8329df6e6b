#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""drgn-oracle.py KEXDUMP VMLINUX CONSOLE.LOG NAME LABEL=DUMP...

Compare kexdump's ps, bt PID and mod (--json) with drgn (python3-drgn,
Debian's 0.0.22) reading the same dump with the kernel's debug vmlinux
(DWARF types, DWARF CFI unwinding: nothing kexdump uses). One process
for every DUMP of one crash (the raw vmcore and kexdump's save -d 31
output, which drgn reads through libkdumpfile); each DUMP loads the debug
info once. Prints "ok - ..." / "not ok - ..." lines (check-triage.sh
counts them) and "# ..." figures.

ps: drgn's for_each_task() (init_task's list and every thread group) is in
  kexdump ps, task by task: pid, comm, ppid (real_parent's tgid, as /proc
  says) and state (drgn's task_state_to_char() against kexdump's crash
  two-letter state); kexdump's tasks beyond it must be the idle tasks of
  the other CPUs (they are on no list; crash shows them too).
bt: prog.stack_trace(task) of the panicking task (prog.crashed_thread())
  and of the console's KEXDUMP-SLEEPER tasks against `kexdump bt PID`,
  frame by frame: drgn's frames without the inlined ones (kexdump unwinds
  machine frames), up to the first user-space pc, each at the same pc and
  in the same function: drgn's ELF symbol of the pc, names compared after
  stripping .cold/.isra.N/... (see same_frame() for kallsyms' labels).
memory: report --json's counters (free, page cache, slab...) are the
  global vm_zone_stat[]/vm_node_stat[] entries drgn reads by name.
mod: drgn 0.0.22 has no module helper: the `modules` list walked by hand
  (struct module's list, name, core_layout.base/.size, taints, as 5.10 and
  6.1 lay them out) is kexdump mod, name, address, size and taint letters.
"""
import json
import re
import subprocess
import sys
import time

import drgn
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.pid import find_task, for_each_task
from drgn.helpers.linux.sched import task_state_to_char

SUFFIX = re.compile(r'(\.(cold|isra|constprop|part|llvm|lto_priv)(\.\d+)?)+$')
# task_state_to_char()'s letters (fs/proc/array.c task_state_array) as
# crash's two-letter states (kexdump ps uses crash's).
STATES = {'R': 'RU', 'S': 'IN', 'D': 'UN', 'I': 'ID', 'T': 'ST', 't': 'TR',
          'X': 'DE', 'Z': 'ZO', 'P': 'PA'}
# kernel/panic.c taint_flags[]: bit -> letter (the module taints use the
# same bits).
TAINTS = 'PFSRMBUDAWCIOELKXTN'
KERNEL_MIN = 0xffff800000000000
passed = failed = 0


def ok(msg):
    global passed
    passed += 1
    print('ok - ' + msg)


def nok(msg):
    global failed
    failed += 1
    print('not ok - ' + msg)


def strip(name):
    return SUFFIX.sub('', name) if name else name


def kexdump_json(kexdump, *args):
    r = subprocess.run([kexdump, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError('kexdump %s: %s' % (' '.join(args[:2]), r.stderr.strip()[:300]))
    return json.loads(r.stdout)


def sleepers(console):
    with open(console, 'rb') as f:
        text = f.read().decode('utf-8', 'replace')
    return [(int(m.group(1)), m.group(2))
            for m in re.finditer(r'KEXDUMP-SLEEPER: (\d+) (\S+)', text)]


def check_ps(prog, kd, label):
    theirs = {}
    for t in for_each_task(prog):
        pid = t.pid.value_()
        ppid = t.real_parent.tgid.value_() if pid else 0
        theirs[pid] = (t.comm.string_().decode('utf-8', 'replace'), ppid,
                       STATES.get(task_state_to_char(t), '??'))
    ours = {}
    for t in kd['tasks']:
        ours.setdefault(t['pid'], []).append(t)
    bad = []
    for pid, (comm, ppid, state) in sorted(theirs.items()):
        mine = ours.get(pid)
        if not mine:
            bad.append('pid %d (%s) missing' % (pid, comm))
            continue
        m = mine[0] if pid else next((x for x in mine if x['comm'] == comm), mine[0])
        got = (m['comm'], m['ppid'], m['state'])
        if got != (comm, ppid, state):
            bad.append('pid %d: drgn %s/%d/%s, kexdump %s/%d/%s' % ((pid, comm, ppid, state) + got))
    extra = [t for t in kd['tasks'] if t['pid'] not in theirs or
             (t['pid'] == 0 and t['comm'] != theirs[0][0])]
    extra_bad = [t for t in extra if t['pid'] != 0 or not t['comm'].startswith('swapper/')]
    if bad or extra_bad or not theirs:
        nok('%s: ps against drgn: %d tasks, %s%s' % (
            label, len(theirs), '; '.join(bad[:5]),
            ' extra: %s' % ', '.join('%d %s' % (t['pid'], t['comm']) for t in extra_bad[:5])
            if extra_bad else ''))
    else:
        ok('%s: ps against drgn: all %d tasks (pid, comm, ppid, state); kexdump adds %d idle task(s)'
           % (label, len(theirs), len(extra)))
    print('# %s: drgn ps: %d tasks matched, %d mismatched' % (label, len(theirs) - len(bad), len(bad)))


def drgn_frames(prog, task):
    frames = []
    for f in prog.stack_trace(task):
        if f.pc < KERNEL_MIN:
            break
        if f.is_inline:
            continue
        try:
            sym = f.symbol()
        except LookupError:
            sym = None
        frames.append((f.pc, sym))
    return frames


def same_frame(prog, theirs, mine):
    """drgn's (pc, symbol) and kexdump's frame: the same pc, and the same
    function, or kexdump's name is a label inside drgn's symbol before the
    pc (kallsyms names the nearest symbol below an address, drgn the ELF
    symbol whose size covers it: entry_SYSCALL_64_after_hwframe is a
    label in entry_SYSCALL_64)."""
    pc, sym = theirs
    if int(mine['address'], 16) != pc:
        return False
    name = mine.get('function')
    if sym is None:
        # drgn has no symbol for a module's pc without the module's debug
        # info (the test module of matrix.sh --panics): the pc decides.
        return True
    if name is None:
        return False
    if strip(sym.name) == strip(name):
        return True
    try:
        label = prog.symbol(name)
    except LookupError:
        return False
    return sym.address <= label.address <= pc


def show(frames):
    return ' < '.join(s.name if s else '0x%x' % pc for pc, s in frames)


def check_bt(prog, kd_bt, pid, what, label):
    crashed = pid is None
    try:
        task = prog.crashed_thread().object if pid is None else find_task(prog, pid)
    except (LookupError, ValueError) as e:
        nok('%s: bt %s against drgn: drgn finds no such task (%s)' % (label, what, e))
        return 0
    pid = task.pid.value_()
    theirs = drgn_frames(prog, task)
    bts = [b for b in kd_bt['backtraces'] if b.get('pid') == pid]
    if not bts:
        nok('%s: bt %s against drgn: kexdump bt has no pid %d' % (label, what, pid))
        return 0
    mine = bts[0]['frames']
    # After a fatal oops the crashed thread's registers (NT_PRSTATUS) are
    # the oops's, so drgn starts at the faulting pc; kexdump shows the
    # crash path above it too (oops_end, crash_kexec): compare from drgn's
    # first pc on.
    start = 0
    if crashed and theirs:
        start = next((i for i, m in enumerate(mine)
                      if int(m['address'], 16) == theirs[0][0]), 0)
    mine = mine[start:]
    # drgn 0.0.22 cannot unwind out of a module frame without the module's
    # debug info: its trace then ends at that unnamed pc, and is compared
    # as far as it goes.
    short = bool(theirs) and theirs[-1][1] is None and len(theirs) < len(mine)
    same = [same_frame(prog, t, m) for t, m in zip(theirs, mine)]
    if theirs and (len(theirs) == len(mine) or short) and all(same):
        ok('%s: bt %s (pid %d) against drgn: the same %d frames (pc and function)%s%s'
           % (label, what, pid, len(theirs),
              ' from the oops\'s pc (kexdump adds %d frames of the crash path above it)' % start if start else '',
              '; drgn stops at a module frame without debug info' if short else ''))
    else:
        nok('%s: bt %s (pid %d) against drgn: drgn %s; kexdump %s' % (
            label, what, pid, show(theirs),
            ' < '.join('%s@%s' % (m.get('function'), m['address']) for m in mine)))
    return sum(same)


def check_mod(prog, kd, label):
    theirs = {}
    try:
        for m in list_for_each_entry('struct module', prog['modules'].address_of_(), 'list'):
            taints = m.taints.value_()
            theirs[m.name.string_().decode()] = (
                m.core_layout.base.value_(), m.core_layout.size.value_(),
                ''.join(sorted(c for i, c in enumerate(TAINTS) if taints >> i & 1)))
    except (AttributeError, LookupError) as e:
        nok('%s: mod against drgn: cannot walk the modules list (%s)' % (label, e))
        return
    mine = {m['name']: (int(m['address'], 16), m['size'], ''.join(sorted(m['taint'])))
            for m in kd['modules']}
    # An empty list is an answer too (a guest that loaded no module).
    if theirs == mine:
        ok('%s: mod against drgn: the same %d modules (address, size, taint)' % (label, len(mine)))
    else:
        diff = sorted(set(theirs.items()) ^ set(mine.items()))
        nok('%s: mod against drgn (%d vs %d): %s' % (label, len(theirs), len(mine), diff[:6]))


# report --json's memory counters: the node_stat_item/zone_stat_item
# names each is read from (the first the kernel has), and its unit.
COUNTERS = (('free', ('NR_FREE_PAGES',), 'pages'),
            ('page_cache', ('NR_FILE_PAGES',), 'pages'),
            ('anon', ('NR_ANON_MAPPED', 'NR_ANON_PAGES'), 'pages'),
            ('shmem', ('NR_SHMEM',), 'pages'),
            ('slab_reclaimable', ('NR_SLAB_RECLAIMABLE_B', 'NR_SLAB_RECLAIMABLE'), 'pages'),
            ('slab_unreclaimable', ('NR_SLAB_UNRECLAIMABLE_B', 'NR_SLAB_UNRECLAIMABLE'), 'pages'),
            ('kernel_stack', ('NR_KERNEL_STACK_KB',), 'kB'),
            ('page_tables', ('NR_PAGETABLE',), 'pages'))


def check_memory(prog, report, label):
    """The global counters vm_zone_stat[]/vm_node_stat[] (mm/vmstat.c), by
    the enumerator's own enum type, as /proc/meminfo sums them."""
    page = 4096  # x86_64, the only architecture kexdump reads
    mem = report.get('memory') or {}
    bad, n = [], 0
    for key, items, unit in COUNTERS:
        for item in items:
            try:
                c = prog.constant(item)
            except LookupError:
                continue
            arr = {'zone_stat_item': 'vm_zone_stat', 'node_stat_item': 'vm_node_stat'}.get(c.type_.tag)
            if arr is None:
                continue
            v = max(prog[arr][c.value_()].counter.value_(), 0) * (page if unit == 'pages' else 1024)
            n += 1
            if mem.get(key) != v:
                bad.append('%s: drgn %s=%d bytes, kexdump %s' % (key, item, v, mem.get(key)))
            break
    if n and not bad:
        ok('%s: report memory against drgn: the same %d counters' % (label, n))
    else:
        nok('%s: report memory against drgn (%d counters): %s' % (label, n, '; '.join(bad) or 'none found'))


def check_dump(kexdump, vmlinux, console, label, dump):
    t0 = time.time()
    prog = drgn.Program()
    try:
        prog.set_core_dump(dump)
        prog.load_debug_info([vmlinux])
    except Exception as e:  # drgn raises several kinds; each is a failure here
        nok('%s: drgn cannot open the dump: %s' % (label, e))
        return
    print('# %s: drgn opened the dump with its debug info in %.1f s' % (label, time.time() - t0))
    ok('%s: drgn reads the dump' % label)
    try:
        check_ps(prog, kexdump_json(kexdump, 'ps', '--json', dump), label)
    except RuntimeError as e:
        nok('%s: ps against drgn: %s' % (label, e))
    crashed = prog.crashed_thread().tid
    pids = [crashed] + [p for p, _ in sleepers(console)]
    try:
        kd_bt = kexdump_json(kexdump, 'bt', '--json', dump, *map(str, pids))
    except RuntimeError as e:
        nok('%s: bt against drgn: %s' % (label, e))
    else:
        n = check_bt(prog, kd_bt, None, 'of the panicking task', label)
        for p, comm in sleepers(console):
            n += check_bt(prog, kd_bt, p, 'of the sleeper ' + comm, label)
        print('# %s: drgn bt: %d frames matched over %d tasks' % (label, n, len(pids)))
    try:
        check_memory(prog, kexdump_json(kexdump, 'report', '--json', dump), label)
    except RuntimeError as e:
        nok('%s: report memory against drgn: %s' % (label, e))
    try:
        check_mod(prog, kexdump_json(kexdump, 'mod', '--json', dump), label)
    except RuntimeError as e:
        nok('%s: mod against drgn: %s' % (label, e))


def main():
    if len(sys.argv) < 6:
        sys.exit(__doc__)
    kexdump, vmlinux, console, name = sys.argv[1:5]
    for arg in sys.argv[5:]:
        label, _, dump = arg.partition('=')
        check_dump(kexdump, vmlinux, console, '%s: %s' % (name, label), dump)
    print('# drgn-oracle: %d passed, %d failed' % (passed, failed))


main()
