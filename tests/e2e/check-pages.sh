#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-pages.sh KEXDUMP DIR -- check `kexdump pages` on one real dump made
# by tests/vm/mkdump.sh (DIR/vmcore, an ELF core) against the report of
# makedumpfile (Debian's 1.7.2) for dump levels 31, 2, 4, 8, 16 and 1.
# Prints "ok - ..." / "not ok - ..." per check and a closing
# "N passed, N failed, N skipped" line (none skip); exits non-zero when any check failed.
#
# makedumpfile 1.7.2 predates Linux 6.6-6.12 and misjudges some pages of
# 6.12 kernels; kexdump follows upstream makedumpfile (1.7.9+), which fixed
# them. So the pages are also classified here, in Python, from the dump's
# struct pages (read with `kexdump read`) under both rule sets:
#   - "1.7.2": no isSlab() test in isAnon(), so a slab page whose struct
#     slab word at page.mapping is odd (6.12: slab is the page type
#     PAGE_SLAB_MAPCOUNT_VALUE, struct slab overlays struct page) is user
#     data; the compound order from OFFSET(page.compound_order) only, which
#     6.3+ VMCOREINFO lacks, so large folios lose only their head; no
#     PAGE_HUGETLB_MAPCOUNT_VALUE, so hugetlb folios are kept;
#   - "upstream": makedumpfile 1.7.9+ as lib/kernel/pagefilter.c implements it.
# Checks: the 1.7.2 model reproduces makedumpfile's counts exactly (so the
# model is right), kexdump's counts equal the upstream model's, and every
# class where kexdump and makedumpfile differ differs by exactly the pages
# the models tell apart, each with a known reason (listed as comments). On
# 6.1 no page may differ: the counts must agree exactly.
#
# Then the same levels against a real newer makedumpfile, Debian's newest
# (tests/vm/makedumpfile-new.sh: sid's 1.7.8, which has upstream's 6.x page
# rules): kexdump's count of every class must equal its count, exactly on
# 6.1; on 6.10+ a difference is accepted only where lib/pageclass.c
# deliberately differs (makedumpfile's PG_slab fallback to bit 7, its
# is_in_segs() presence, holes counted in free blocks), each modelled here.
# When that makedumpfile cannot be made, that is a failed check.
#
# Page counts differ in one more, known way: makedumpfile's "Original
# pages" counts the kernel-text PT_LOAD twice (it lies inside a System RAM
# one); kexdump counts each page once.
set -uo pipefail
kexdump=$1 dir=$2
vmcore=$dir/vmcore
name=$(basename "$dir")
levels=(31 2 4 8 16 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail_early() { echo "not ok - $name: $*"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
[[ -r $vmcore ]] || fail_early "no $vmcore"
command -v makedumpfile >/dev/null || fail_early "makedumpfile is not installed"

# The newer makedumpfile (tests/vm/makedumpfile-new.sh, made once and
# cached): its failure to be made is reported as a failed check.
here=$(cd "$(dirname "$0")" && pwd)
mdnew=$("$here/../vm/makedumpfile-new.sh" 2>"$work/mdnew.err") || mdnew=
mdnew_how=
if [[ -n $mdnew ]]; then
	mdnew_how="$("$mdnew" -v 2>&1 | head -n1 | sed 's/^makedumpfile: //'), $(cat "$(dirname "$mdnew")/how")"
else
	mdnew_how="cannot be made: $(tail -n 3 "$work/mdnew.err" | tr '\n' ' ')"
fi

for l in "${levels[@]}"; do
	"$kexdump" pages --json -d "$l" "$vmcore" >"$work/kd.$l.json" 2>"$work/kd.$l.err" ||
		echo "kexdump pages -d $l failed: $(cat "$work/kd.$l.err")" >"$work/kd.$l.json"
	makedumpfile -d "$l" -l --message-level 16 --dry-run "$vmcore" "$work/out" \
		>"$work/md.$l.txt" 2>&1
	if [[ -n $mdnew ]]; then
		"$mdnew" -d "$l" -l --message-level 16 --dry-run "$vmcore" "$work/out" \
			>"$work/mdnew.$l.txt" 2>&1
	fi
done

python3 - "$kexdump" "$vmcore" "$work" "$name" "$mdnew" "$mdnew_how" "${levels[@]}" <<'EOF'
import bisect, json, re, struct, subprocess, sys

kexdump, vmcore, work, name, mdnew, mdnew_how = sys.argv[1:7]
levels = [int(x) for x in sys.argv[7:]]
CLASSES = ['zero', 'cache', 'cache_private', 'user', 'free', 'hwpoison', 'offline']
MD_LABELS = {'Pages filled with zero': 'zero', 'Non-private cache pages': 'cache',
             'Private cache pages': 'cache_private', 'User process data pages': 'user',
             'Free pages': 'free', 'Hwpoison pages': 'hwpoison', 'Offline pages': 'offline',
             'Original pages': 'original', 'Memory Hole': 'hole', 'Total pages': 'total'}
passed = failed = 0


def ok(msg):
    global passed
    passed += 1
    print(f'ok - {name}: {msg}')


def nok(msg):
    global failed
    failed += 1
    print(f'not ok - {name}: {msg}')


def note(msg):
    print(f'#   {msg}')


def done():
    print(f'{passed} passed, {failed} failed, 0 skipped')
    sys.exit(1 if failed else 0)


# ---------------------------------------------------------------- the dump
vi = {}
out = subprocess.run([kexdump, 'info', '--vmcoreinfo', vmcore], capture_output=True, text=True)
for line in out.stdout.splitlines():
    k, _, v = line.partition('=')
    vi[k] = v


def number(n):
    v = vi.get(f'NUMBER({n})')
    return None if v is None else int(v, 0)


def offset(n):
    v = vi.get(f'OFFSET({n})')
    return None if v is None else int(v)


PS = int(vi.get('PAGESIZE', '4096'))
SP = int(vi.get('SIZE(page)', '0'))
layout = [offset(f'page.{m}') for m in ('flags', 'compound_head', 'mapping', 'private', '_mapcount')]
if SP != 64 or layout != [0, 8, 24, 40, 48]:
    nok(f'struct page layout {SP} {layout} is not the one this model reads')
    done()

with open(vmcore, 'rb') as f:
    eh = f.read(64)
    if eh[:4] != b'\x7fELF' or eh[4] != 2 or eh[5] != 1:
        nok('not a little-endian ELF64 core')
        done()
    phoff, = struct.unpack_from('<Q', eh, 32)
    phentsize, phnum = struct.unpack_from('<HH', eh, 54)
    f.seek(phoff)
    ph = f.read(phentsize * phnum)
segs = []
for i in range(phnum):
    t, _, off, _, paddr, filesz, memsz, _ = struct.unpack_from('<IIQQQQQQ', ph, i * phentsize)
    if t == 1:
        segs.append((paddr, paddr + memsz, off))
max_mapnr = -(-max(e for _, e, _ in segs) // PS)
# makedumpfile's 1st bitmap and report: [start, end) of each PT_LOAD in
# pfns rounded down, the overlapping kernel text PT_LOAD included.
md_original = sum(e // PS - s // PS for s, e, _ in segs)
# kexdump: each page once, wholly inside the union of the ranges.
merged = []
for s, e, _ in sorted(segs):
    if merged and s <= merged[-1][1]:
        merged[-1][1] = max(merged[-1][1], e)
    else:
        merged.append([s, e])
kd_ranges = [(-(-s // PS), e // PS) for s, e in merged if -(-s // PS) < e // PS]
kd_starts = [s for s, _ in kd_ranges]
kd_original = sum(e - s for s, e in kd_ranges)


def kd_present(pfn):
    i = bisect.bisect_right(kd_starts, pfn) - 1
    return i >= 0 and pfn < kd_ranges[i][1]


def kd_present_in(a, b):
    n = 0
    for s, e in kd_ranges:
        n += max(0, min(b, e) - max(a, s))
    return n


def page_data(pfn):
    for s, e, off in segs:
        if s <= pfn * PS and (pfn + 1) * PS <= e:
            with open(vmcore, 'rb') as f:
                f.seek(off + pfn * PS - s)
                return f.read(PS)
    return None


def kread(addr, n):
    r = subprocess.run([kexdump, 'read', vmcore, hex(addr), str(n), '--raw'], capture_output=True)
    if r.returncode or len(r.stdout) != n:
        raise RuntimeError(f'kexdump read {addr:#x} {n}: {r.stderr.decode().strip()}')
    return r.stdout


# ------------------------------------------------------------ struct pages
# SPARSEMEM_VMEMMAP: section 0's encoded mem_map is vmemmap itself.
try:
    root0, = struct.unpack('<Q', kread(int(vi['SYMBOL(mem_section)'], 16), 8))
    ms0, = struct.unpack('<Q', kread(root0 + offset('mem_section.section_mem_map'), 8))
    vmemmap = ms0 & ~0x1f
except (KeyError, RuntimeError) as e:
    nok(f'cannot find vmemmap: {e}')
    done()

LRU, PRIV, SWC = number('PG_lru'), number('PG_private'), number('PG_swapcache')
SWB, HWP, SLAB = number('PG_swapbacked'), number('PG_hwpoison'), number('PG_slab')
HEAD = number('PG_head_mask')
BUDDY, OFFLINE = number('PAGE_BUDDY_MAPCOUNT_VALUE'), number('PAGE_OFFLINE_MAPCOUNT_VALUE')
SLAB_T, HUGE_T = number('PAGE_SLAB_MAPCOUNT_VALUE'), number('PAGE_HUGETLB_MAPCOUNT_VALUE')
UNACC, PG_HUGETLB = number('PAGE_UNACCEPTED_MAPCOUNT_VALUE'), number('PG_hugetlb')
HUGE_DTOR = number('HUGETLB_PAGE_DTOR')
ORDER_OFF, DTOR_OFF = offset('page.compound_order'), offset('page.compound_dtor')
FREE_LEN = int(vi.get('LENGTH(zone.free_area)', '11'))
u32 = lambda v: None if v is None else v & 0xffffffff
BUDDY, OFFLINE, SLAB_T, HUGE_T, UNACC = map(u32, (BUDDY, OFFLINE, SLAB_T, HUGE_T, UNACC))
bit = lambda n: 0 if n is None else 1 << n
start_mask = bit(LRU) | bit(SWC) | bit(HWP) | HEAD
types = {t for t in (BUDDY, OFFLINE, UNACC) if t is not None}

# Pages that could start an exclusion under either rule set: (pfn, flags,
# compound_head, mapping, _mapcount, private, next struct page or None).
cand = []
for s, e, _ in segs:
    # makedumpfile's is_in_segs(): pages whose first byte is in a PT_LOAD
    first, last = s // PS, -(-e // PS)
    pfn = first
    while pfn < last:
        n = min(last - pfn, 1 << 18)
        try:
            raw = kread(vmemmap + pfn * SP, n * SP)
        except RuntimeError as e:
            nok(f'cannot read struct pages: {e}')
            done()
        try:  # the next struct page, for a compound head at the end
            raw += kread(vmemmap + (pfn + n) * SP, SP)
        except RuntimeError:
            raw += bytes(SP)
        for i, (fl, hd, _, mp, _, pv, mc, _, _) in enumerate(struct.iter_unpack('<QQQQQQIIQ', raw)):
            if i == n:
                break
            if fl & start_mask or mp & 1 or mc in types:
                nxt = raw[(i + 1) * SP:(i + 2) * SP] if fl & HEAD else None
                cand.append((pfn + i, fl, hd, mp, mc, pv, nxt))
        pfn += n
cand.sort()
dedup = []
for c in cand:  # the kernel text PT_LOAD repeats RAM
    if not dedup or dedup[-1][0] != c[0]:
        dedup.append(c)
cand = dedup


def classify(rules, level):
    """__exclude_unnecessary_pages() under rules '172', 'upstream',
    'head' (upstream with its PG_slab = 7 fallback) or 'new' (makedumpfile
    1.7.8+ itself: 'head', with makedumpfile's is_in_segs() presence and
    its counting of holes, as '172'); returns (counts, ranges) with
    ranges [(pfn, nr, class)]."""
    md_way = rules in ('172', 'new')
    pg_slab = SLAB if SLAB is not None or rules == 'upstream' else 7
    slab_t = None if rules == '172' else SLAB_T
    counts = dict.fromkeys(CLASSES, 0)
    ranges = []
    skip = 0

    def is_slab(fl, mc):
        return (slab_t is not None and mc == slab_t) or (pg_slab is not None and fl >> pg_slab & 1)

    for pfn, fl, hd, mp, mc, pv, nxt in cand:
        if pfn < skip or (not md_way and not kd_present(pfn)):
            continue
        order = dtor = 0
        if pfn % 512 != 511 and fl & HEAD and nxt is not None:
            f1, = struct.unpack_from('<Q', nxt, 0)
            if rules != '172' and HUGE_T is not None:
                order, dtor = f1 & 0xff, 'hugetlb' if mc == HUGE_T else 0
            elif rules != '172' and PG_HUGETLB is not None:
                order, dtor = f1 & 0xff, 'hugetlb' if f1 >> PG_HUGETLB & 1 else 0
            else:
                order = nxt[ORDER_OFF] if ORDER_OFF is not None else 0
                dtor = nxt[DTOR_OFF] if DTOR_OFF is not None else 0
            if order >= 64 or pfn & ((1 << order) - 1):
                order = 0
        anon = bool(mp & 1) and (rules == '172' or not is_slab(fl, mc))
        cache = bool(fl >> LRU & 1) or ((SWB is None or fl >> SWB & 1) and fl >> SWC & 1)
        nr, c = 1 << order, None
        if hd & 1:
            continue
        elif level & 16 and BUDDY is not None and not is_slab(fl, mc) and mc == BUDDY:
            if pv >= FREE_LEN:
                continue
            nr, c = 1 << pv, 'free'
        elif level & 16 and rules != '172' and UNACC is not None and mc == UNACC:
            nr, c = 1 << (FREE_LEN - 1), 'free'
        elif level & 2 and cache and not fl >> PRIV & 1 and not anon:
            c = 'cache'
        elif level & 4 and cache and not anon:
            c = 'cache_private' if fl >> PRIV & 1 else 'cache'
        elif level & 8 and (anon or dtor == 'hugetlb' or (HUGE_DTOR is not None and dtor == HUGE_DTOR)):
            c = 'user'
        elif HWP is not None and fl >> HWP & 1:
            c = 'hwpoison'
        elif OFFLINE is not None and not is_slab(fl, mc) and mc == OFFLINE:
            c = 'offline'
        else:
            continue
        # makedumpfile counts every pfn it clears below max_mapnr, holes
        # too; kexdump the present pages.
        end = min(pfn + nr, max_mapnr)
        counts[c] += end - pfn if md_way else kd_present_in(pfn, end)
        ranges.append((pfn, nr, c))
        skip = pfn + nr
    return counts, ranges


by_pfn = {c[0]: c for c in cand}


def reason(pfn, nr, c):
    _, fl, hd, mp, mc, pv, nxt = by_pfn[pfn]
    if SLAB_T is not None and mc == SLAB_T and mp & 1:
        return 'slab page (page type) with an odd struct slab word at page.mapping: 1.7.2 isAnon() takes it for user data'
    if HUGE_T is not None and mc == HUGE_T:
        return f'hugetlb folio of order {nr.bit_length() - 1}: 1.7.2 does not know PAGE_HUGETLB_MAPCOUNT_VALUE'
    if nr > 1 and ORDER_OFF is None:
        return f'order-{nr.bit_length() - 1} folio: 1.7.2 cannot read folio orders without OFFSET(page.compound_order) and takes the head alone'
    return None


def diff(r172, rup):
    """pfn -> (class under 1.7.2, class upstream) where they differ, and
    the reasons; only ranges not identical under both are expanded."""
    a, b = set(r172), set(rup)
    m172 = {p: c for s, n, c in a - b for p in range(s, min(s + n, max_mapnr))}
    mup = {p: c for s, n, c in b - a for p in range(s, min(s + n, max_mapnr)) if kd_present(p)}
    pfns = {p for p in set(m172) | set(mup)
            if kd_present(p) and m172.get(p) != mup.get(p)}
    # Pfns of a 1.7.2 range that is not in upstream's may still be
    # excluded upstream by an identical range: look them up.
    def cls_in(ranges, p):
        i = bisect.bisect_right(ranges, (p, float('inf'), '')) - 1
        return ranges[i][2] if i >= 0 and p < ranges[i][0] + ranges[i][1] else None
    s172, sup = sorted(r172), sorted(rup)
    out = {}
    for p in pfns:
        x, y = cls_in(s172, p), cls_in(sup, p)
        if x != y:
            out[p] = (x, y)
    reasons = {}
    for s, n, c in (a - b) | (b - a):
        reasons[(s, n, c)] = reason(s, n, c)
    return out, reasons


def md_report(level, which='md'):
    text = open(f'{work}/{which}.{level}.txt').read()
    rep = {}
    for label, key in MD_LABELS.items():
        m = re.search(re.escape(label) + r'\s*: 0x([0-9a-f]+)', text)
        if m:
            rep[key] = int(m.group(1), 16)
    return rep, text


zero_cache = {}


def is_zero(pfn):
    if pfn not in zero_cache:
        d = page_data(pfn)
        zero_cache[pfn] = d is not None and d.count(0) == len(d)
    return zero_cache[pfn]


# ----------------------------------------------------------------- checks
new_kernel = SLAB is None or ORDER_OFF is None
for level in levels:
    try:
        kd = json.load(open(f'{work}/kd.{level}.json'))
    except ValueError:
        nok(f'-d {level}: ' + open(f'{work}/kd.{level}.json').read().strip())
        continue
    md, md_text = md_report(level)
    if 'free' not in md:
        last = md_text.strip().splitlines()[-1] if md_text.strip() else 'no output'
        nok(f'-d {level}: no report from makedumpfile: {last}')
        continue
    kx = kd['excluded']
    c172, r172 = classify('172', level)
    cup, rup = classify('upstream', level)
    bad = [c for c in CLASSES[1:] if c172[c] != md[c]]
    if bad:
        nok(f'-d {level}: the 1.7.2 model does not reproduce makedumpfile: ' +
            ', '.join(f'{c} {c172[c]} vs {md[c]}' for c in bad))
    else:
        ok(f'-d {level}: the 1.7.2 model reproduces makedumpfile\'s counts')
    bad = [c for c in CLASSES[1:] if cup[c] != kx[c]]
    if bad:
        nok(f'-d {level}: kexdump differs from the upstream model: ' +
            ', '.join(f'{c} {kx[c]} vs {cup[c]}' for c in bad))
    else:
        ok(f'-d {level}: kexdump equals the upstream model')
    dpfns, reasons = diff(r172, rup)
    unexplained = [r for r, why in reasons.items() if why is None and
                   any(r[0] <= p < r[0] + r[1] for p in dpfns)]
    if new_kernel:
        if unexplained:
            nok(f'-d {level}: {len(unexplained)} ranges differ for no known reason, first {unexplained[:3]}')
        elif dpfns:
            ok(f'-d {level}: {len(dpfns)} pages differ between 1.7.2 and upstream, each for a known reason')
    elif dpfns:
        nok(f'-d {level}: {len(dpfns)} pages differ between 1.7.2 and upstream on this kernel, first ' +
            ', '.join(f'{p:#x}' for p in sorted(dpfns)[:5]))
    else:
        ok(f'-d {level}: 1.7.2 and upstream rules agree on every page of this kernel')
    # Zero pages are the kept pages filled with zeros: pages one rule set
    # keeps and the other excludes shift that count.
    want_zero = md['zero']
    if level & 1:
        want_zero += sum(is_zero(p) for p, (x, y) in dpfns.items() if y is None and x is not None)
        want_zero -= sum(is_zero(p) for p, (x, y) in dpfns.items() if x is None and y is not None)
    for c in CLASSES:
        want = md[c] + (cup[c] - c172[c] if c != 'zero' else want_zero - md[c])
        if kx[c] == md[c] == want:
            ok(f'-d {level} {c}: kexdump = makedumpfile = {kx[c]}')
        elif kx[c] == want:
            why = {}
            for r, text in reasons.items():
                if r[2] == c:
                    why[text] = why.get(text, 0) + 1
            ok(f'-d {level} {c}: kexdump {kx[c]}, makedumpfile 1.7.2 {md[c]}: the expected '
               f'difference of {kx[c] - md[c]:+d}')
            for text, n in why.items():
                note(f'{n} range(s): {text}')
        else:
            nok(f'-d {level} {c}: kexdump {kx[c]}, makedumpfile {md[c]}, expected {want}')
    if level == 31 and dpfns:
        for p in sorted(dpfns)[:10]:
            _, fl, hd, mp, mc, pv, _ = by_pfn.get(p, (p, 0, 0, 0, 0, 0, None))
            x, y = dpfns[p]
            note(f'pfn {p:#x}: 1.7.2 {x or "kept"}, upstream {y or "kept"}; flags {fl:#x} '
                 f'_mapcount {mc:#x} mapping {mp:#x}' + ('' if p in by_pfn else ' (tail page)'))
    # What upstream makedumpfile itself would do differently: its PG_slab
    # fallback tests PG_waiters on 6.10+.
    if level == 31 and SLAB is None:
        chead, _ = classify('head', level)
        moved = sum(abs(chead[c] - cup[c]) for c in CLASSES)
        note(f'upstream makedumpfile\'s PG_slab = 7 fallback (PG_waiters on 6.10+) changes {moved} page counts here')
    # Totals: makedumpfile counts the kernel text PT_LOAD twice.
    if level == 31:
        for what, k, m, want_m in (('total pages', kd['total_pages'], md.get('total'), kd['total_pages']),
                                   ('original pages', kd['original_pages'], md.get('original'), md_original)):
            if m == want_m and (what != 'original pages' or k == kd_original):
                extra = f' (makedumpfile {m}: overlapping PT_LOADs counted twice)' if m != k else ''
                ok(f'{what}: kexdump {k}{extra}')
            else:
                nok(f'{what}: kexdump {k}, makedumpfile {m}, expected {want_m} / {kd_original}')


# ------------------------------------------- against a newer makedumpfile
# Debian's newest makedumpfile (tests/vm/makedumpfile-new.sh) knows the
# page types of Linux 6.x as kexdump does. Its counts must equal
# kexdump's, class by class, except where kexdump deliberately differs
# (lib/pageclass.c): on kernels without NUMBER(PG_slab) (6.10+)
# makedumpfile tests bit 7 (PG_waiters there) as PG_slab; it takes a
# page whose first byte is in the dump as present, and counts the holes
# inside a free block. Those differences are modelled ('new' rules),
# the model must reproduce makedumpfile's counts exactly, and each class
# may differ from kexdump's only by what the models tell apart. On a
# kernel with NUMBER(PG_slab) (6.1) the counts must agree exactly.
def reason_new(pfn, nr, c):
    e = by_pfn.get(pfn)
    fl = e[1] if e else 0
    why = []
    if SLAB is None and fl >> 7 & 1:
        why.append('bit 7 (PG_waiters on 6.10+) set: makedumpfile\'s PG_slab fallback takes it for slab')
    if not kd_present(pfn):
        why.append('not wholly in the dump: makedumpfile\'s is_in_segs() takes it, kexdump does not')
    if kd_present_in(pfn, min(pfn + nr, max_mapnr)) != min(pfn + nr, max_mapnr) - pfn:
        why.append('a block spanning a hole: makedumpfile counts the hole\'s pfns')
    return '; '.join(why) or None


def check_new():
    if not mdnew:
        nok(f'newer makedumpfile {mdnew_how}')
        return
    note(f'newer makedumpfile: {mdnew_how}')
    for level in levels:
        try:
            kd = json.load(open(f'{work}/kd.{level}.json'))
        except ValueError:
            continue  # reported above
        md, md_text = md_report(level, 'mdnew')
        if 'free' not in md:
            last = md_text.strip().splitlines()[-1] if md_text.strip() else 'no output'
            nok(f'-d {level}: no report from the newer makedumpfile: {last}')
            continue
        kx = kd['excluded']
        cnew, rnew = classify('new', level)
        cup, rup = classify('upstream', level)
        bad = [c for c in CLASSES[1:] if cnew[c] != md[c]]
        if bad:
            nok(f'-d {level}: the model of the newer makedumpfile does not reproduce it: ' +
                ', '.join(f'{c} {cnew[c]} vs {md[c]}' for c in bad))
        else:
            ok(f'-d {level}: the model of the newer makedumpfile reproduces its counts')
        d, _ = diff(rnew, rup)
        # Each range the rule sets tell apart, with makedumpfile's reason.
        why = {}
        for r in set(rnew) ^ set(rup):
            if any(r[0] <= p < r[0] + r[1] for p in d):
                text = reason_new(*r)
                why[text] = why.get(text, 0) + 1
        if None in why:
            nok(f'-d {level}: {why[None]} ranges differ between kexdump\'s rules and the newer makedumpfile for no known reason')
        want_zero = md['zero']
        if level & 1:
            want_zero += sum(is_zero(p) for p, (x, y) in d.items() if y is None and x is not None)
            want_zero -= sum(is_zero(p) for p, (x, y) in d.items() if x is None and y is not None)
        for c in CLASSES:
            want = want_zero if c == 'zero' else md[c] + cup[c] - cnew[c]
            if kx[c] == md[c]:
                ok(f'-d {level} {c}: kexdump = newer makedumpfile = {kx[c]}')
            elif SLAB is not None:
                nok(f'-d {level} {c}: kexdump {kx[c]}, newer makedumpfile {md[c]}: must be equal on this kernel')
            elif kx[c] == want:
                ok(f'-d {level} {c}: kexdump {kx[c]}, newer makedumpfile {md[c]}: the expected '
                   f'difference of {kx[c] - md[c]:+d}')
                for text, n in why.items():
                    if text:
                        note(f'{n} range(s): {text}')
            else:
                nok(f'-d {level} {c}: kexdump {kx[c]}, newer makedumpfile {md[c]}, expected {want}')
        if level == 31:
            m = md.get('total')
            if m == kd['total_pages']:
                ok(f'total pages: kexdump = newer makedumpfile = {m}')
            else:
                nok(f'total pages: kexdump {kd["total_pages"]}, newer makedumpfile {m}')


check_new()
done()
EOF
