#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""report-schema.py REPORT.JSON [LABEL]

Check `kexdump report --json` against the shape docs/report.md documents
(version 1): every documented key present with its type, nothing of another
type, nulls only where the document allows them, and a part that is null
explained in "errors". Prints "ok - ..." / "not ok - ..." lines as
check-triage.sh counts them.
"""
import json
import re
import sys

HEX = re.compile(r'^0x[0-9a-f]+$')
problems = []


def where(path):
    return path or '(top)'


def check(v, spec, path):
    """spec: a type name, a dict of key -> spec, ['list', spec], or
    ('null', spec) for a value that may be null."""
    if isinstance(spec, tuple) and spec[0] == 'null':
        if v is None:
            return
        spec = spec[1]
    if isinstance(spec, dict):
        if not isinstance(v, dict):
            problems.append('%s: want an object, have %r' % (where(path), type(v).__name__))
            return
        for k, s in spec.items():
            if k.endswith('?'):
                k = k[:-1]
                if k not in v:
                    continue
            elif k not in v:
                problems.append('%s: no key "%s"' % (where(path), k))
                continue
            check(v[k], s, '%s.%s' % (path, k) if path else k)
        return
    if isinstance(spec, list):
        if not isinstance(v, list):
            problems.append('%s: want an array, have %r' % (where(path), type(v).__name__))
            return
        for i, e in enumerate(v):
            check(e, spec[1], '%s[%d]' % (path, i))
        return
    ok = {
        'int': lambda x: isinstance(x, int) and not isinstance(x, bool),
        'uint': lambda x: isinstance(x, int) and not isinstance(x, bool) and x >= 0,
        'num': lambda x: isinstance(x, (int, float)) and not isinstance(x, bool),
        'str': lambda x: isinstance(x, str),
        'bool': lambda x: isinstance(x, bool),
        'hex': lambda x: isinstance(x, str) and HEX.match(x) is not None,
    }[spec](v)
    if not ok:
        problems.append('%s: want %s, have %r' % (where(path), spec, v))


FRAME = {
    'address': 'hex', 'sp': 'hex', 'function': ('null', 'str'),
    'offset': 'uint', 'size': 'uint', 'module': ('null', 'str'),
    'stack': 'str', 'flags': ['list', 'str'],
}
WALK = {
    'backtrace': ('null', ['list', FRAME]),
    'stopped': ('null', 'str'),
    'user_regs': ('null', {'ip': 'hex', 'sp': 'hex'}),
}
CPU = dict(WALK, cpu='uint', pid='int', comm=('null', 'str'), panic='bool',
           error=('null', 'str'))
TASK = dict(WALK, pid='int', ppid='int', comm='str', state='str', cpu='int',
            running='bool', task='hex', error=('null', 'str'))
MODULE = {'name': 'str', 'address': 'hex', 'size': 'uint', 'taint': 'str'}
MEMORY_KEYS = ['total', 'free', 'page_cache', 'anon', 'shmem', 'slab_reclaimable',
               'slab_unreclaimable', 'kernel_stack', 'page_tables']
SCHEMA = {
    'version': 'uint',
    'dump': 'str',
    'release': ('null', 'str'),
    'panic': dict(WALK, **{
        'message': ('null', 'str'),
        'cpu': ('null', 'uint'),
        'time': ('null', 'int'),
        'uptime': ('null', 'num'),
        'uptime_ns': ('null', 'uint'),
        'taint': ('null', {'mask': 'uint', 'text': 'str'}),
        'task': ('null', {'pid': 'int', 'comm': ('null', 'str')}),
        'signature': ('null', 'str'),
    }),
    'cpus': ('null', ['list', CPU]),
    'tasks': ('null', ['list', TASK]),
    'modules': ('null', ['list', MODULE]),
    'memory': ('null', dict((k + '?', 'uint') for k in MEMORY_KEYS)),
    'log_tail': ('null', ['list', 'str']),
    'errors': dict((k + '?', 'str') for k in
                   ['message', 'symbols', 'taint', 'cpus', 'memory', 'modules', 'tasks', 'log']),
}


def main():
    if len(sys.argv) not in (2, 3):
        sys.stderr.write(__doc__)
        sys.exit(2)
    label = sys.argv[2] if len(sys.argv) == 3 else sys.argv[1]
    try:
        r = json.load(open(sys.argv[1]))
    except (OSError, ValueError) as e:
        print('not ok - %s: report --json is not JSON: %s' % (label, e))
        sys.exit(1)
    check(r, SCHEMA, '')
    if isinstance(r, dict):
        if r.get('version') != 1:
            problems.append('version: want 1, have %r' % r.get('version'))
        extra = set(r.get('memory') or {}) - set(MEMORY_KEYS)
        if extra:
            problems.append('memory: keys not in docs/report.md: %s' % ' '.join(sorted(extra)))
        errors = r.get('errors') or {}
        for part, key in (('cpus', 'cpus'), ('tasks', 'tasks'), ('modules', 'modules'),
                          ('memory', 'memory'), ('log_tail', 'log')):
            if r.get(part) is None and key not in errors:
                problems.append('%s is null and errors has no "%s"' % (part, key))
        p = r.get('panic') or {}
        if p.get('message') is None and 'message' not in errors:
            problems.append('panic.message is null and errors has no "message"')
        for c in r.get('cpus') or []:
            if isinstance(c, dict) and c.get('backtrace') is None and not c.get('error'):
                problems.append('cpus[%s]: no backtrace and no error' % c.get('cpu'))
    if problems:
        print('not ok - %s: report --json follows docs/report.md: %d problems: %s'
              % (label, len(problems), '; '.join(problems[:5])))
        sys.exit(1)
    print('ok - %s: report --json follows docs/report.md (version 1)' % label)


main()
