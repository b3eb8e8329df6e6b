#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""task-oracle.py ps CONSOLE.LOG PS.JSON [LABEL]
task-oracle.py mod CONSOLE.LOG MOD.JSON [LABEL]
task-oracle.py sleepers CONSOLE.LOG
task-oracle.py bt BT.JSON [LABEL]
task-oracle.py crash-ps CRASH-PS.TXT PS.JSON [LABEL]
task-oracle.py crash-mod CRASH-MOD.TXT MOD.JSON [LABEL]
task-oracle.py crash-bt CRASH-BT.TXT BT.JSON [LABEL]

Compare kexdump's ps, mod and bt PID (--json) with oracles that are not
kexdump; print "ok - ..." / "not ok - ..." lines (check-triage.sh counts
them), "# ..." figures, and "skip REASON" where the oracle is missing.

ps: the crashed guest's own list, printed on the console before the crash
  between KEXDUMP-PS-BEGIN/END (tests/vm/init: "TID PPID COMM" of every
  thread from /proc): every tid must be in kexdump ps with that comm and
  parent.
mod: /proc/modules between KEXDUMP-MODULES-BEGIN/END: the exact module
  set, with each module's size and address.
sleepers: the "PID NAME" of KEXDUMP-SLEEPER lines (none: nothing printed).
bt: a sleeping task's stack (bt PID) reaches its user-mode entry without
  stopping early and passes through schedule().
crash-ps, crash-mod, crash-bt: crash with the debug vmlinux: every task of
  its ps with the same pid, parent, CPU, task address, state and command;
  its mod with the same modules at the same addresses and sizes; its bt of
  a task frame by frame at the same stack addresses.
"""
import json
import re
import sys

SUFFIX = re.compile(r'(\.(cold|isra|constprop|part|llvm|lto_priv)(\.\d+)?)+$')
passed = failed = 0


def ok(msg):
    global passed
    passed += 1
    print('ok - ' + msg)


def nok(msg):
    global failed
    failed += 1
    print('not ok - ' + msg)


def console_block(path, name):
    with open(path, 'rb') as f:
        lines = re.split(r'[\r\n]', f.read().decode('utf-8', 'replace'))
    out, inside, seen = [], False, False
    for l in lines:
        if l.strip() == 'KEXDUMP-%s-BEGIN' % name:
            inside, seen = True, True
            continue
        if l.strip() == 'KEXDUMP-%s-END' % name:
            break
        # The kernel's own console lines ("[   10.202116] sysrq: ...")
        # land inside the list when the crash comes while the tty still
        # drains it (seen with 4 CPUs): they are not the list's.
        if inside and not re.match(r'^\[\s*\d+\.\d+\] ', l):
            out.append(l)
    return out if seen else None


def same_comm(proc, comm):
    """/proc shows a workqueue worker's comm with its workqueue appended
    ("kworker/0:1-mm_percpu_wq": kernel/workqueue.c wq_worker_comm()), and
    a kernel thread's whole name where comm holds its first 15 bytes
    (6.1+: kthread->full_name, fs/proc/array.c proc_task_name())."""
    return proc == comm or (len(comm) == 15 and proc.startswith(comm)) or (comm.startswith('kworker/') and proc.startswith(comm + '-')) or \
        (comm.startswith('kworker/') and proc.startswith(comm + '+'))


def check_ps(console, psfile, label):
    block = console_block(console, 'PS')
    if block is None:
        print('skip the console has no KEXDUMP-PS list (a dump made before tests/vm/init printed one)')
        return
    tasks = json.load(open(psfile))['tasks']
    by_pid = {}
    for t in tasks:
        by_pid.setdefault(t['pid'], []).append(t)
    want, bad, missing, wrong = 0, 0, [], []
    for l in block:
        m = re.match(r'^(\d+) (\d+) (.*)$', l)
        if not m:
            if l.strip():
                bad += 1
            continue
        want += 1
        tid, ppid, comm = int(m.group(1)), int(m.group(2)), m.group(3)
        have = by_pid.get(tid)
        if not have:
            missing.append('%d (%s)' % (tid, comm))
        elif not any(same_comm(comm, t['comm']) and t['ppid'] == ppid for t in have):
            wrong.append('%d: console %s ppid %d, kexdump %s ppid %d' %
                         (tid, comm, ppid, have[0]['comm'], have[0]['ppid']))
    print('# %s: ps: %d tasks on the console, %d in kexdump ps, %d matched (pid, comm, ppid)'
          % (label, want, len(tasks), want - len(missing) - len(wrong)))
    if want and not missing and not wrong and not bad:
        ok('%s: ps: all %d tasks of the console list, with their comm and parent' % (label, want))
    else:
        nok('%s: ps: %d missing %s, %d differ %s, %d unreadable console lines' %
            (label, len(missing), missing[:5], len(wrong), wrong[:5], bad))


def check_mod(console, modfile, label):
    block = console_block(console, 'MODULES')
    if block is None:
        print('skip the console has no KEXDUMP-MODULES list (a dump made before tests/vm/init printed one)')
        return
    # "NAME SIZE REFS DEPS STATE ADDRESS [(TAINT)]" (kernel/module/procfs.c
    # m_show(): the taint letters in parentheses only when tainted).
    want = {}
    for l in block:
        f = l.split()
        if len(f) >= 6 and f[1].isdigit():
            taint = f[6].strip('()') if len(f) > 6 else ''
            want[f[0]] = (int(f[1]), int(f[5], 16), taint)
    have = {m['name']: (m['size'], int(m['address'], 16), m.get('taint') or '')
            for m in json.load(open(modfile))['modules']}
    same = sum(1 for n in want if have.get(n) == want[n])
    print('# %s: mod: %d modules in /proc/modules, %d in kexdump mod, %d with the same size, address and taint'
          % (label, len(want), len(have), same))
    if want and want == have:
        ok('%s: mod: the exact module set of /proc/modules, sizes, addresses and taints (%d)' % (label, len(want)))
    elif not want and not have:
        nok('%s: mod: no modules on either side: nothing compared' % label)
    else:
        diff = sorted(set(want.items()) ^ set(have.items()))
        nok('%s: mod: differs from /proc/modules: %s' % (label, diff[:6]))


def check_bt(btfile, label):
    for b in json.load(open(btfile))['backtraces']:
        names = [SUFFIX.sub('', f['function'] or '?') for f in b['frames']]
        what = '%s: bt %d (%s)' % (label, b['pid'], b['comm'])
        print('# %s: %s' % (what, ' '.join(names)))
        if b['stopped'] is None and b['user_regs'] and 'schedule' in names and \
                not any(f['flags'] for f in b['frames']):
            ok('%s: %d frames from schedule() to its user-mode entry, none guessed'
               % (what, len(names)))
        else:
            nok('%s: stopped %r, user_regs %r, frames %s' % (what, b['stopped'], b['user_regs'], names))


def check_crash_ps(crashfile, psfile, label):
    tasks = {int(t['task'], 16): t for t in json.load(open(psfile))['tasks']}
    n, bad = 0, []
    for l in open(crashfile, errors='replace'):
        m = re.match(r'^[> ]\s*(\d+)\s+(\d+)\s+(\d+)\s+([0-9a-f]+)\s+(\S\S)\s+\S+\s+\d+\s+\d+\s+(.*)$', l)
        if not m:
            continue
        n += 1
        pid, ppid, cpu, addr, st, comm = m.groups()
        t = tasks.get(int(addr, 16))
        comm = comm.strip()
        if comm.startswith('[') and comm.endswith(']'):
            comm = comm[1:-1]
        got = t and (t['pid'], t['ppid'], t['cpu'], t['state'], t['comm'], t['running'])
        exp = (int(pid), int(ppid), int(cpu), st, comm, l.startswith('>'))
        if got != exp:
            bad.append('crash %s, kexdump %s' % (exp, got))
    print('# %s: crash ps: %d tasks, %d the same in kexdump ps (of %d)' % (label, n, n - len(bad), len(tasks)))
    if n and not bad:
        ok('%s: crash ps: its %d tasks with the same pid, parent, CPU, address, state, comm and >' % (label, n))
    else:
        nok('%s: crash ps: %d tasks, differ: %s' % (label, n, bad[:4]))


def check_crash_mod(crashfile, modfile, label):
    mods = {m['name']: m for m in json.load(open(modfile))['modules']}
    n, bad = 0, []
    text = open(crashfile, errors='replace').read()
    for l in text.splitlines():
        m = re.match(r'^([0-9a-f]{16})\s+(\S+)\s+([0-9a-f]{16})\s+(\d+)\s', l)
        if not m:
            continue
        n += 1
        addr, name, base, size = m.groups()
        k = mods.get(name)
        got = k and (int(k['module'], 16), int(k['address'], 16), k['size'])
        if got != (int(addr, 16), int(base, 16), int(size)):
            bad.append('%s: crash %s %s %s, kexdump %s' % (name, addr, base, size, got))
    print('# %s: crash mod: %d modules, %d the same in kexdump mod (of %d)' % (label, n, n - len(bad), len(mods)))
    if n and not bad and n == len(mods):
        ok('%s: crash mod: the same %d modules, struct module, base and size' % (label, n))
    elif not n and not mods and 'No modules' in text:
        ok('%s: crash mod: no modules, as kexdump says' % label)
    else:
        nok('%s: crash mod: %d modules (kexdump %d), differ: %s' % (label, n, len(mods), bad[:4]))


def check_crash_bt(crashfile, btfile, label):
    text = open(crashfile, errors='replace').read()
    if 'invalid task or pid value' in text and '#0' not in text:
        print('skip crash cannot find the task: %s' % text.strip().splitlines()[-1])
        return
    cr = [(int(m.group(1), 16), SUFFIX.sub('', m.group(2)))
          for m in re.finditer(r'^ ?#\d+ \[([0-9a-f]+)\] (\S+) at [0-9a-f]+', text, re.M)]
    b = json.load(open(btfile))['backtraces'][0]
    kd = [(int(f['sp'], 16) if i and f['sp'] else None, SUFFIX.sub('', f['function'] or '?'))
          for i, f in enumerate(b['frames'])]
    # crash's #0 is the frame of __schedule at its own stack address.
    names_kd = [n for _, n in kd]
    names_cr = [n for _, n in cr]
    same = sum(1 for a, b2 in zip(names_kd, names_cr) if a == b2)
    print('# %s: crash bt %d: crash %d frames, kexdump %d, %d the same in order' %
          (label, b['pid'], len(cr), len(kd), same))
    if names_kd == names_cr and all(s is None or s == c[0] for (s, _), c in zip(kd, cr)):
        ok('%s: crash bt %d: %d frames, the same functions at the same stack addresses' % (label, b['pid'], len(cr)))
    else:
        nok('%s: crash bt %d: crash %s, kexdump %s' % (label, b['pid'], cr, kd))


def main():
    a = sys.argv[1:]
    if len(a) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    label = a[3] if len(a) > 3 else 'dump'
    if a[0] == 'ps':
        check_ps(a[1], a[2], label)
    elif a[0] == 'mod':
        check_mod(a[1], a[2], label)
    elif a[0] == 'sleepers':
        for l in open(a[1], 'rb').read().decode('utf-8', 'replace').splitlines():
            m = re.search(r'KEXDUMP-SLEEPER: (\d+) (\S+)', l)
            if m:
                print(m.group(1), m.group(2))
        return 0
    elif a[0] == 'bt':
        check_bt(a[1], a[2] if len(a) > 2 else 'dump')
    elif a[0] == 'crash-ps':
        check_crash_ps(a[1], a[2], label)
    elif a[0] == 'crash-mod':
        check_crash_mod(a[1], a[2], label)
    elif a[0] == 'crash-bt':
        check_crash_bt(a[1], a[2], label)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
