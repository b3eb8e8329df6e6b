#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-triage.sh KEXDUMP DIR -- check kexdump's triage commands on one real
# dump (DIR/vmcore, DIR/console.log, DIR/meta, made by tests/vm/mkdump.sh)
# against oracles that are not kexdump:
#   - bt: the crashed kernel's own Call Trace on the console: every frame it
#     printed without "?" from panic() on is in the panicking CPU's
#     backtrace, in order (tests/e2e/bt-oracle.py); on the multi-CPU 6.1
#     and IRQ dumps, crash 8.0.6 with the debug vmlinux (vmlinux-dbg.sh):
#     its `bt -a`, frame by frame at the same stack addresses;
#   - ps, mod and bt PID: the guest's own list of threads ("TID PPID COMM"
#     from /proc) and /proc/modules, printed on the console before the
#     crash (tests/vm/init): every tid with its comm and parent in `kexdump
#     ps`, the exact module set with sizes and addresses in `kexdump mod`;
#     `bt PID` of the two known sleepers reaches their user-mode entry
#     through schedule(); on the multi-CPU 6.1 dump, crash's ps, mod and
#     bt PID (tests/e2e/task-oracle.py). Dumps made before the guest
#     printed these lists skip those checks (counted as skipped, with why);
#   - report (tests/e2e/report-oracle.py, report-schema.py): --json follows
#     docs/report.md; the panic line, its time stamp, CPU, pid, comm and
#     taint are the console's; the crash signature is the console's Call
#     Trace below panic(); the panicking backtrace holds the console's
#     trace (bt-oracle.py); the log tail is the end of makedumpfile
#     --dump-dmesg; on the multi-CPU 6.1 dump the memory summary is crash's
#     `kmem -i` (TOTAL MEM, FREE exact; CACHED, SLAB within 1%); its
#     tasks and modules are `kexdump ps`'s and `mod`'s, each task with its
#     backtrace;
#   - ps, bt PID (the panicking task, the sleepers) and mod against drgn
#     0.0.22 with the debug vmlinux (tests/e2e/drgn-oracle.py), on the raw
#     dump and its save -d 31 copy;
#   - the same on `kexdump save -d 31` of the dump: what triage reads must
#     survive the highest dump level, and give the same answers.
# Frame names are compared after stripping .cold/.isra.N/.constprop.N/...
# Prints "ok - ..." / "not ok - ..." per check, "# ..." figures, and a
# closing "N passed, N failed, N skipped" line; exits non-zero when a check
# failed.
# Env: KEXDUMP_CRASH=0 skips the crash comparison, KEXDUMP_DRGN=0 drgn's;
# KEXDUMP_CRASH_TIMEOUT (default 300 s); KEXDUMP_CACHE (the debug vmlinux).
set -uo pipefail
if (($# != 2)); then
	echo "usage: $0 KEXDUMP DIR" >&2
	exit 2
fi
kexdump=$1 dir=${2%/}
here=$(cd "$(dirname "$0")" && pwd)
vmcore=$dir/vmcore
name=$(basename "$dir")
pass=0 fail=0 skip=0
ok() { echo "ok - $name: $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $name: $*"; fail=$((fail + 1)); }
skipped() { echo "ok - $name: $1 # SKIP $2"; skip=$((skip + 1)); }
# tap OUTPUT: pass a helper's "ok"/"not ok" lines on and count them.
tap() {
	local l
	while IFS= read -r l; do
		case $l in
		'ok - '*) echo "$l"; pass=$((pass + 1)) ;;
		'not ok - '*) echo "$l"; fail=$((fail + 1)) ;;
		'#'*) echo "$l" ;;
		'skip '*) skipped "a check of task-oracle.py" "${l#skip }" ;;
		esac
	done <<<"$1"
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# shellcheck disable=SC1091
. "$dir/meta" || { echo "not ok - $name: no meta"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
release=${release:-} suite=${suite:-} cpus=${cpus:-1} panic=${panic:-sysrq}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/kexdump-triage.XXXXXX") || exit 1
chmod 700 "$work"
trap 'rm -rf "$work"' EXIT

# ------------------------------------------------ kernels before 6.0
# Their VMCOREINFO has no kallsyms: triage needs the System.map, from the
# -dbg package (the linux-image package's /boot/System.map is a one-line
# placeholder; tests/vm/vmlinux-dbg.sh keeps both). Without it each
# command says so in one line and prints what it still can (checked
# here); every check below then runs with --system-map, through a wrapper.
if [[ $release =~ ^([0-9]+)\. ]] && ((BASH_REMATCH[1] < 6)); then
	if ! sysmap=$("$here/../vm/vmlinux-dbg.sh" --system-map "$release" 2>"$work/dbg.err"); then
		nok "no System.map for $release: $(tail -n 1 "$work/dbg.err")"
		echo "$pass passed, $fail failed, $skip skipped"
		exit 1
	fi
	for c in ps mod bt report; do
		rc=0
		"$kexdump" $c "$vmcore" >"$work/nomap-$c.out" 2>"$work/nomap-$c.err" || rc=$?
		hint=$(grep -c -e '--system-map' "$work/nomap-$c.err" "$work/nomap-$c.out" | awk -F: '{n += $2} END {print n}')
		case $c in
		ps | mod) # nothing is known without init_task/modules: one line, exit 1
			good=$((rc != 0 && hint == 1)) ;;
		bt) # the CPUs' registers, unsymbolized
			good=$((rc == 0 && hint == 1 && $(grep -cE '^PID: [0-9]+  CPU: [0-9]+$' "$work/nomap-$c.out") > 0)) ;;
		report) # the panic line, its time, the log; the missing symbols said
			# once (symbols:), the parts that need them point there
			good=$((rc == 0 && hint == 1 && $(grep -cE '^(panic: +Kernel panic|time: +[0-9]{4}-|symbols: +none |Log \(last [0-9]+ lines\):)' "$work/nomap-$c.out") == 4 &&
				$(grep -cE '^(taint: +unknown|Memory: unavailable|Modules: unavailable|Tasks: unavailable) \(needs the symbol table: see symbols\)$' "$work/nomap-$c.out") == 4)) ;;
		esac
		if ((good && $(wc -l <"$work/nomap-$c.err") <= 1)); then
			ok "no System.map: $c says --system-map is needed (exit $rc, $(wc -l <"$work/nomap-$c.out") lines of what is known)"
		else
			nok "no System.map: $c (exit $rc): $(head -c 300 "$work/nomap-$c.err") $(head -n 3 "$work/nomap-$c.out" | tr '\n' ';')"
		fi
	done
	real=$(realpath "$kexdump")
	printf '#!/bin/bash\ncmd=$1\nshift\ncase $cmd in report | ps | bt | mod) exec %q "$cmd" --system-map %q "$@" ;; esac\nexec %q "$cmd" "$@"\n' \
		"$real" "$sysmap" "$real" >"$work/kexdump"
	chmod +x "$work/kexdump"
	kexdump=$work/kexdump
fi

# ------------------------------------------------------------------- bt
# What the text forms must show of the crash: panic() in frame #1, or
# after a fatal oops without a panic line (tests/vm/init: the test
# module's oops in an interrupt) the oops's faulting function, "RIP: 0010:
# FUNCTION+0xOFF/0xSIZE [MODULE]" on the console, marked exception RIP.
console=$(tr -d '\r' <"$dir/console.log")
console_irq=0
if grep -q '^\[ *[0-9.]*\] Kernel panic - not syncing' <<<"$console"; then
	crash_frame='^ #1 \[[0-9a-f]{16}\] panic\+0x[0-9a-f]+/0x[0-9a-f]+'
	crash_what='panic() in frame #1'
else
	rip=$(sed -n 's/^\[ *[0-9.]*\] RIP: 0010:\([A-Za-z0-9_.]*+0x[0-9a-f]*\/0x[0-9a-f]*\( \[[a-z0-9_]*\]\)\?\).*/\1/p' <<<"$console" | head -n1)
	crash_frame="^ ?#[0-9]+ \\[[0-9a-f]{16}\\] $(sed 's/[][+.]/\\&/g' <<<"$rip") \\(exception RIP\\)\$"
	crash_what="the oops's ${rip:-(no RIP on the console)} as an exception RIP"
	sed -n '/Call Trace:/,/<\/TASK>/p' <<<"$console" | grep -q '<IRQ>$' && console_irq=1
fi
check_bt() { # check_bt DUMP LABEL
	local d=$1 l=$2 t0 ms
	t0=$(date +%s%N)
	if "$kexdump" bt --all --json "$d" >"$work/bt-$l.json" 2>"$work/bt.err"; then
		ms=$(ms_since "$t0")
		ok "$l: bt --all --json exits 0"
		echo "# $name: $l: bt --all --json took $ms ms"
	else
		nok "$l: bt --all --json failed: $(head -c 300 "$work/bt.err")"
		return
	fi
	tap "$(python3 "$here/bt-oracle.py" console "$dir/console.log" "$work/bt-$l.json" "$name: $l")"
	# The text form: one header per CPU, crash's frame lines; after an
	# oops without a panic line, the oops's faulting function as an
	# exception RIP (its [module] as the console has it), and crash's
	# "--- <IRQ stack> ---" where the console's trace left the IRQ stack.
	if "$kexdump" bt "$d" >"$work/bt-$l.txt" 2>"$work/bt.err" &&
		grep -qE '^PID: [0-9]+  CPU: [0-9]+  \(panic\)$' "$work/bt-$l.txt" &&
		grep -qE "$crash_frame" "$work/bt-$l.txt" &&
		{ ((!console_irq)) || grep -qx -- '--- <IRQ stack> ---' "$work/bt-$l.txt"; }; then
		ok "$l: bt (text) shows the panicking CPU, $crash_what"
	else
		nok "$l: bt (text): $(head -n 3 "$work/bt-$l.txt" | tr '\n' ';') $(head -c 200 "$work/bt.err")"
	fi
}

# ------------------------------------------------------ ps, mod, bt PID
mapfile -t sleepers < <(python3 "$here/task-oracle.py" sleepers "$dir/console.log")
check_tasks() { # check_tasks DUMP LABEL
	local d=$1 l=$2 c pids=()
	for c in ps mod; do
		if "$kexdump" $c --json "$d" >"$work/$c-$l.json" 2>"$work/$c.err" &&
			"$kexdump" $c "$d" >"$work/$c-$l.txt" 2>>"$work/$c.err"; then
			ok "$l: $c and $c --json exit 0 ($(($(wc -l <"$work/$c-$l.txt") - 1)) lines)"
		else
			nok "$l: $c failed: $(head -c 300 "$work/$c.err")"
			return
		fi
		tap "$(python3 "$here/task-oracle.py" $c "$dir/console.log" "$work/$c-$l.json" "$name: $l")"
	done
	if ((${#sleepers[@]} == 0)); then
		skipped "$l: bt PID of the sleepers" "the console names no KEXDUMP-SLEEPER (a dump made before tests/vm/init started them)"
		return
	fi
	for c in "${sleepers[@]}"; do pids+=("${c%% *}"); done
	if "$kexdump" bt --json "$d" "${pids[@]}" >"$work/btpid-$l.json" 2>"$work/bt.err"; then
		tap "$(python3 "$here/task-oracle.py" bt "$work/btpid-$l.json" "$name: $l")"
	else
		nok "$l: bt ${pids[*]} failed: $(head -c 300 "$work/bt.err")"
	fi
}

# ---------------------------------------------------------------- report
# makedumpfile's log of the dump: the oracle of the report's log tail.
if ! makedumpfile --dump-dmesg "$vmcore" "$work/md-dmesg.txt" >"$work/md.out" 2>&1; then
	rm -f "$work/md-dmesg.txt"
fi
check_report() { # check_report DUMP LABEL
	local d=$1 l=$2 t0
	t0=$(date +%s%N)
	if "$kexdump" report --json "$d" >"$work/report-$l.json" 2>"$work/report.err"; then
		ok "$l: report --json exits 0"
		echo "# $name: $l: report --json took $(ms_since "$t0") ms"
	else
		nok "$l: report --json failed: $(head -c 300 "$work/report.err")"
		return
	fi
	tap "$(python3 "$here/report-schema.py" "$work/report-$l.json" "$name: $l")"
	tap "$(python3 "$here/report-oracle.py" console "$dir/console.log" "$work/report-$l.json" "$name: $l")"
	if [[ -s $work/md-dmesg.txt ]]; then
		tap "$(python3 "$here/report-oracle.py" dmesg "$work/md-dmesg.txt" "$work/report-$l.json" "$name: $l")"
	else
		nok "$l: report log tail: makedumpfile --dump-dmesg failed: $(tail -n 1 "$work/md.out")"
	fi
	[[ -s $work/bt-$l.json ]] &&
		tap "$(python3 "$here/report-oracle.py" bt "$work/bt-$l.json" "$work/report-$l.json" "$name: $l")"
	if "$kexdump" ps --json "$d" >"$work/ps-$l.json" 2>"$work/report.err" &&
		"$kexdump" mod --json "$d" >"$work/mod-$l.json" 2>>"$work/report.err"; then
		tap "$(python3 "$here/report-oracle.py" lists "$work/ps-$l.json:$work/mod-$l.json" "$work/report-$l.json" "$name: $l")"
	else
		nok "$l: report's lists: ps/mod --json failed: $(head -c 300 "$work/report.err")"
	fi
	# The panicking backtrace against the console's Call Trace, through
	# bt-oracle.py: the report's panic part in bt --json's shape.
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
p = r["panic"]
print(json.dumps({"backtraces": [{"cpu": p["cpu"], "panic": True, "frames": p["backtrace"] or [],
    "stopped": p["stopped"], "user_regs": p["user_regs"]}]}))' "$work/report-$l.json" >"$work/report-bt-$l.json"
	tap "$(python3 "$here/bt-oracle.py" console "$dir/console.log" "$work/report-bt-$l.json" "$name: $l: report")"
	# The text: the head's lines, the panicking CPU's frames, every part.
	if "$kexdump" report "$d" >"$work/report-$l.txt" 2>"$work/report.err" &&
		grep -qxF "panic:     $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["panic"]["message"])' "$work/report-$l.json")" "$work/report-$l.txt" &&
		grep -qE '^signature: .+: .+ < .+ < ' "$work/report-$l.txt" &&
		grep -qE "$crash_frame" "$work/report-$l.txt" &&
		grep -qE '^(Memory|Modules \([0-9]+\)|Tasks \([0-9]+\)|Log \(last [0-9]+ lines\)):$' "$work/report-$l.txt"; then
		ok "$l: report (text) has the panic line, the signature, $crash_what and its parts"
	else
		nok "$l: report (text): $(head -n 4 "$work/report-$l.txt" | tr '\n' ';') $(head -c 200 "$work/report.err")"
	fi
	# Parts that could not be had are said, not silently dropped.
	local missing
	missing=$(grep -E '^[A-Za-z]+: unavailable' "$work/report-$l.txt" | head -n 3 | tr '\n' ';')
	if [[ -z $missing ]]; then
		ok "$l: report has every part (CPUs, memory, modules, tasks, log)"
	else
		nok "$l: report parts unavailable: $missing"
	fi
}

check_bt "$vmcore" raw
check_tasks "$vmcore" raw
check_report "$vmcore" raw

# crash with the debug vmlinux: DWARF, not ORC, and its own walker;
# trixie's crash 8.0.6 (tests/vm/crash-new.sh): bookworm's 8.0.2 finds
# only 3 tasks of a 6.1 dump, so neither its ps nor `bt PID` of the
# sleepers could be compared. One session (20-70 s) on each multi-CPU
# dump, on each dump of the oops in hard-IRQ context (matrix.sh --panics:
# the IRQ stack, the module's frames; 6.1 and 6.12) and on the 5.10 dump
# (its debug vmlinux comes with the System.map).
if [[ ${KEXDUMP_CRASH:-1} == 0 ]]; then
	skipped "bt against crash" "KEXDUMP_CRASH=0"
elif [[ $suite != bullseye && $cpus -lt 2 && ${panic:-sysrq} != irq ]]; then
	: # the comparison runs on the multi-CPU and the IRQ dumps, and bullseye's
elif ! crash=$("$here/../vm/crash-new.sh" 2>"$work/crash-new.err"); then
	nok "bt against crash: no trixie crash: $(tail -n 1 "$work/crash-new.err")"
elif ! vmlinux=$("$here/../vm/vmlinux-dbg.sh" "$release" 2>"$work/dbg.err"); then
	nok "bt against crash: no debug vmlinux for $release: $(tail -n 1 "$work/dbg.err")"
else
	{
		printf 'bt -a > %s\nkmem -i > %s\nps > %s\nmod > %s\n' "$work/crash-bt" "$work/crash-kmem" "$work/crash-ps" "$work/crash-mod"
		for c in "${sleepers[@]}"; do
			printf 'bt %s > %s\n' "${c%% *}" "$work/crash-bt-${c%% *}"
		done
		echo exit
	} >"$work/crash.cmds"
	t0=$(date +%s%N)
	timeout "${KEXDUMP_CRASH_TIMEOUT:-300}" "$crash" -s --no_scroll -i "$work/crash.cmds" \
		"$vmlinux" "$vmcore" </dev/null >"$work/crash.out" 2>&1
	echo "# $name: crash bt -a; kmem -i took $(ms_since "$t0") ms (with the debug vmlinux)"
	if [[ -s $work/crash-bt ]]; then
		tap "$(python3 "$here/bt-oracle.py" crash "$work/crash-bt" "$work/bt-raw.json" "$name: raw")"
		tap "$(python3 "$here/task-oracle.py" crash-ps "$work/crash-ps" "$work/ps-raw.json" "$name: raw")"
		tap "$(python3 "$here/task-oracle.py" crash-mod "$work/crash-mod" "$work/mod-raw.json" "$name: raw")"
		for c in "${sleepers[@]}"; do
			p=${c%% *}
			# crash prints its complaint on the session, not in the file.
			grep -a "bt: invalid task or pid value: $p\$" "$work/crash.out" >>"$work/crash-bt-$p"
			"$kexdump" bt --json "$vmcore" "$p" >"$work/btpid-$p.json" 2>/dev/null
			tap "$(python3 "$here/task-oracle.py" crash-bt "$work/crash-bt-$p" "$work/btpid-$p.json" "$name: raw")"
		done
	else
		nok "bt against crash: crash printed no bt: $(tail -n 2 "$work/crash.out" | tr '\n' ';')"
	fi
	if [[ -s $work/crash-kmem ]]; then
		tap "$(python3 "$here/report-oracle.py" kmem "$work/crash-kmem" "$work/report-raw.json" "$name: raw")"
	else
		nok "report memory against crash: crash printed no kmem -i: $(tail -n 2 "$work/crash.out" | tr '\n' ';')"
	fi
fi

# ---------------------------------------------------- save -d 31 copy
# What triage reads is kept at the highest dump level, and reads the same.
if "$kexdump" save -d 31 "$vmcore" "$work/d31.kdump" >"$work/save.out" 2>&1; then
	ok "save -d 31 ($(stat -c %s "$work/d31.kdump") bytes)"
	check_bt "$work/d31.kdump" d31
	check_report "$work/d31.kdump" d31
	# The same report from the saved dump, but for its path.
	if python3 -c 'import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
a.pop("dump"); b.pop("dump")
sys.exit(a != b)' "$work/report-raw.json" "$work/report-d31.json"; then
		ok "d31: report --json equals the raw dump's (but for the path)"
	else
		nok "d31: report --json differs from the raw dump's: $(diff <(tr ',' '\n' <"$work/report-raw.json") <(tr ',' '\n' <"$work/report-d31.json") | head -c 300)"
	fi
	if cmp -s "$work/bt-raw.json" "$work/bt-d31.json"; then
		ok "d31: bt --all --json equals the raw dump's"
	else
		nok "d31: bt --all --json differs from the raw dump's: $(diff "$work/bt-raw.json" "$work/bt-d31.json" | head -c 300)"
	fi
	check_tasks "$work/d31.kdump" d31
	for c in ps mod btpid; do
		[[ -e $work/$c-raw.json ]] || continue
		if cmp -s "$work/$c-raw.json" "$work/$c-d31.json"; then
			ok "d31: ${c/btpid/bt PID} --json equals the raw dump's"
		else
			nok "d31: ${c/btpid/bt PID} --json differs from the raw dump's: $(diff "$work/$c-raw.json" "$work/$c-d31.json" | head -c 300)"
		fi
	done
else
	nok "save -d 31 failed: $(tail -n 2 "$work/save.out")"
fi

# drgn 0.0.22 (python3-drgn, Debian's interpreter) with the debug vmlinux:
# DWARF types and CFI, one process for the raw dump and its save -d 31
# copy (libkdumpfile reads kexdump's kdump output).
if [[ ${KEXDUMP_DRGN:-1} == 0 ]]; then
	skipped "ps, bt, mod against drgn" "KEXDUMP_DRGN=0"
elif ! /usr/bin/python3 -c 'import drgn' 2>/dev/null; then
	nok "ps, bt, mod against drgn: python3-drgn is not installed (tools/deps.sh)"
elif ! vmlinux=$("$here/../vm/vmlinux-dbg.sh" "$release" 2>"$work/dbg.err"); then
	nok "ps, bt, mod against drgn: no debug vmlinux for $release: $(tail -n 1 "$work/dbg.err")"
else
	t0=$(date +%s%N)
	dumps=("raw=$vmcore")
	[[ -s $work/d31.kdump ]] && dumps+=("d31=$work/d31.kdump")
	tap "$(/usr/bin/python3 "$here/drgn-oracle.py" "$kexdump" "$vmlinux" "$dir/console.log" "$name" "${dumps[@]}" 2>&1)"
	echo "# $name: drgn checks took $(ms_since "$t0") ms"
fi

echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
