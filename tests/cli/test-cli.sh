#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-cli.sh KEXDUMP MKSYNTH -- the kexdump command on synthetic good and
# bad inputs: output, exit codes, and one-line errors naming the file.
set -uo pipefail
kexdump=$1 mksynth=$2 failsync=${3:-}
# shellcheck source=tests/cli/common.sh
. "$(dirname "$0")/common.sh"
cli_work "$mksynth"

# expect_error RC PATTERN ARGS...: exit status RC, exactly one stderr line
# matching PATTERN, nothing on stdout.
expect_error() {
	local want=$1 pat=$2
	shift 2
	"$kexdump" "$@" >"$work/out" 2>"$work/err"
	local rc=$?
	if ((rc == want)) && [[ $(wc -l <"$work/err") == 1 ]] &&
		grep -qE -- "$pat" "$work/err" && [[ ! -s $work/out ]]; then
		ok "kexdump $* -> $rc: $(cat "$work/err")"
	else
		nok "kexdump $* -> rc $rc (want $want), stderr: $(head -c 300 "$work/err")"
	fi
}

# Good synthetic dump.
good=$work/good.core
if out=$("$kexdump" info "$good" 2>&1); then
	grep -q '^kernel: *9.9.9-synthetic$' <<<"$out" && grep -q '^cpus: *2$' <<<"$out" &&
		grep -q '^crash time: *2026-11-27 04:57:28 UTC$' <<<"$out" &&
		grep -q '^build id: *0123456789abcdef0123456789abcdef01234567$' <<<"$out" &&
		grep -q '^memory: *20.0 KiB in 2 ranges$' <<<"$out" &&
		ok "info on a synthetic dump" || nok "info output: $out"
else
	nok "info failed: $out"
fi
json=$("$kexdump" info --json "$good")
if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["release"]=="9.9.9-synthetic" and d["cpus"]==2 and d["memory_total"]==0x5000 and d["cpu_states"][0]["pid"]==1 and d["cpu_states"][1]["ip"]=="0xffffffff81005678" and d["memory"][1]["start"]=="0x100000000"' "$json"; then
	ok "info --json parses and holds the facts"
else
	nok "info --json: $json"
fi
out=$("$kexdump" read "$good" linux_banner --string 2>&1)
[[ $out == "Linux version 9.9.9-synthetic (test)" ]] && ok "read --string through the text mapping" || nok "read: $out"
out=$("$kexdump" read "$good" 0xffff888000001000 8 2>&1)
[[ $out == "ffff888000001000: 4c 69 6e 75 78 20 76 65"*"Linux ve" ]] && ok "read hex through the direct map" || nok "read hex: $out"
out=$("$kexdump" read "$good" 0x100000000 4 --phys --raw 2>&1 | od -An -c | tr -d ' ')
[[ $out == '\0\0\0\0' ]] && ok "read --phys --raw above 4 GiB" || nok "read --phys: $out"
"$kexdump" info --vmcoreinfo "$good" | grep -qx 'OSRELEASE=9.9.9-synthetic' && ok "info --vmcoreinfo" || nok "info --vmcoreinfo"

# Bad input: one line naming the file and the problem, exit 1.
printf 'not a dump at all' >"$work/text"
: >"$work/empty"
head -c 100 "$good" >"$work/truncated"
mkdir "$work/dir"
expect_error 1 "$work/text: not a kernel crash dump" info "$work/text"
expect_error 1 "$work/empty: file is empty" dmesg "$work/empty"
expect_error 1 "$work/truncated: file is truncated" info "$work/truncated"
expect_error 1 "$work/dir: is a directory" info "$work/dir"
expect_error 1 "$work/missing: cannot open: No such file" info "$work/missing"
expect_error 1 "novmcoreinfo.core: dump has no VMCOREINFO" info "$work/novmcoreinfo.core"
expect_error 1 "VMCOREINFO describes no kernel log|no kernel log" dmesg "$good"
expect_error 1 "good.core: no symbol table" symbols "$good"
# A kallsyms table that does not decode says so, not "no symbol table".
expect_error 1 "hostile-kallsyms-alias.core: kallsyms: kallsyms_names" symbols "$work/hostile-kallsyms-alias.core"
expect_error 1 "unknown symbol no_such_symbol" read "$good" no_such_symbol
expect_error 1 "physical address 0x8000 is not in the dump" read "$good" 0x8000 --phys
expect_error 1 "System.map: cannot open" info "$good" --system-map "$work/System.map"
# A dump its reader may not read. As root (CI) kexdump runs as nobody
# (setpriv), which file modes bind; a readable copy in the same folder
# opens for that user, so the refusal comes from the file's mode alone.
unpriv=()
((EUID != 0)) || unpriv=(setpriv --reuid=65534 --regid=65534 --clear-groups)
chmod 711 "$work"
cp "$good" "$work/noperm" && cp "$good" "$work/readable" && chmod 644 "$work/readable"
chmod 000 "$work/noperm"
if out=$("${unpriv[@]}" "$kexdump" info "$work/readable" 2>&1) && grep -q '^kernel: *9.9.9-synthetic$' <<<"$out"; then
	ok "info as uid $("${unpriv[@]}" id -u) on a readable dump"
else
	nok "info as uid $("${unpriv[@]}" id -u) on a readable dump: $out"
fi
# expect_error runs "$kexdump": point it at kexdump run as nobody.
kexdump_bin=$kexdump
as_unpriv() { "${unpriv[@]}" "$kexdump_bin" "$@"; }
kexdump=as_unpriv
expect_error 1 "noperm: cannot open: Permission denied" info "$work/noperm"
kexdump=$kexdump_bin
chmod 700 "$work"
# save: every format reads back; the summary; never replace a dump.
small=$work/small.core
for f in kdump elf flat; do
	if "$kexdump" save -d 1 --format $f "$small" "$work/s.$f" 2>"$work/err" &&
		grep -q "^kexdump: saved $work/s.$f: 2 of 4 pages written, 2 excluded (zero 2)" "$work/err" &&
		[[ $("$kexdump" read "$work/s.$f" linux_banner --string) == "Linux version 9.9.9-synthetic (test)" ]] &&
		[[ $(stat -c %a "$work/s.$f") == 600 ]] && [[ ! -e $work/s.$f.incomplete ]]; then
		ok "save --format $f: summary, readable, mode 0600"
	else
		nok "save --format $f: $(cat "$work/err")"
	fi
done
json=$("$kexdump" save --json -d 31 -c zlib "$small" "$work/s.json" 2>"$work/err")
if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["complete"] and d["pages_present"]==4 and d["pages_excluded"]["zero"]==2 and d["compress"]=="zlib" and d["bytes_out"]>0' "$json" &&
	grep -q "not filtered by type" "$work/err"; then
	ok "save --json, and -d 31 without mem_map warns and keeps pages"
else
	nok "save --json: $json / $(cat "$work/err")"
fi
"$kexdump" save -d 1 "$small" - >"$work/s.stream" 2>/dev/null &&
	"$kexdump" save - "$work/s.re" <"$work/s.stream" &&
	cmp -s "$work/s.re" "$work/s.kdump" && ok "save to - and back (flattened stream reassembled)" ||
	nok "flattened stream round trip"
cp "$work/s.kdump" "$work/s.before"
expect_error 1 "s.kdump: already exists \\(use --force" save "$small" "$work/s.kdump"
cmp -s "$work/s.kdump" "$work/s.before" && ok "an existing dump is left untouched" || nok "existing dump changed"
"$kexdump" save --force -d 0 "$small" "$work/s.kdump" 2>/dev/null && ! cmp -s "$work/s.kdump" "$work/s.before" &&
	ok "--force replaces it" || nok "--force"
expect_error 1 "text: not a kernel crash dump" save "$work/text" "$work/s.new"
[[ ! -e $work/s.new && ! -e $work/s.new.incomplete ]] && ok "nothing created for a bad source" || nok "bad source left files"
expect_error 1 "standard input: not a flattened dump" save - "$work/s.new2" <"$work/text"
expect_error 2 "dump level must be 0-31" save -d 32 "$small" "$work/x"
expect_error 2 "unknown format" save --format tar "$small" "$work/x"
expect_error 2 "unknown compression" save -c xz "$small" "$work/x"
expect_error 2 "bad level in 'zstd:0'" save -c zstd:0 "$small" "$work/x"
expect_error 2 "'lzo:3': compression level 3 is not valid for lzo" save -c lzo:3 "$small" "$work/x"
# Levels: the pages read back the same (both turned into an ELF core).
"$kexdump" save -d 1 -c none "$small" "$work/s.lvl" 2>/dev/null &&
	"$kexdump" save --format elf "$work/s.lvl" "$work/s.lvl.elf" 2>/dev/null
for c in zstd:-1 zstd:19 zlib:9; do
	"$kexdump" save -d 1 -c $c "$small" "$work/s.$c" 2>/dev/null &&
		"$kexdump" save --format elf "$work/s.$c" "$work/s.$c.elf" 2>/dev/null &&
		cmp -s "$work/s.lvl.elf" "$work/s.$c.elf" &&
		ok "save -c $c reads back the same pages" || nok "save -c $c"
done
expect_error 2 "only the kdump format can be streamed" save --format elf "$small" -

# kexec: what fails before the kernel is asked, and --dry-run (nothing here
# reaches kexec_file_load, so it is safe as root on any host).
expect_error 1 "^kexdump: /nonexistent/vmlinuz: cannot open the kernel: No such file or directory$" \
	load --crash --kernel /nonexistent/vmlinuz --initrd "$work/text"
expect_error 1 "^kexdump: /nonexistent/initrd.img: cannot open the initramfs: No such file" \
	load --reboot --kernel "$work/text" --initrd /nonexistent/initrd.img
expect_error 1 "^kexdump: $work/empty: the kernel is empty$" load --crash --kernel "$work/empty" --no-initrd
expect_error 1 "$work/nosuch.conf: cannot open" load --crash --dry-run --kernel k --initrd i --config "$work/nosuch.conf"
expect_error 2 "usage: kexdump load" load --kernel "$work/text"
expect_error 2 "usage: kexdump load" load --crash --reboot
expect_error 2 "usage: kexdump load" load --crash --command-line x --append y
expect_error 2 "usage: kexdump unload" unload --crash --reboot
expect_error 2 "usage: kexdump status" status extra
printf 'path %s/dumps\ncmdline_append loglevel=7 "a=b c"\n' "$work" >"$work/kexdump.conf"
out=$("$kexdump" load --crash --dry-run --kernel "$work/k" --initrd "$work/i" \
	--config "$work/kexdump.conf" --append debug 2>&1)
cmdline=$(sed -n 's/^cmdline=//p' <<<"$out")
if grep -qx "slot=crash" <<<"$out" && grep -qx "kernel=$work/k" <<<"$out" &&
	grep -qx "initrd=$work/i" <<<"$out" &&
	[[ " $cmdline " == *" reset_devices irqpoll panic=10 loglevel=7 \"a=b c\" debug " ]] &&
	[[ " $cmdline " == *" nr_cpus=1 "* && " $cmdline " != *" quiet "* && $cmdline != *crashkernel=* ]]; then
	ok "load --crash --dry-run: capture command line from /proc/cmdline + config + --append"
else
	nok "load --crash --dry-run: $out"
fi
out=$("$kexdump" load --reboot --dry-run --kernel "$work/k" --no-initrd --command-line "root=/dev/x ro" 2>&1)
[[ $out == $'slot=reboot\nkernel='"$work/k"$'\ninitrd=\ncmdline=root=/dev/x ro' ]] &&
	ok "load --reboot --dry-run --command-line" || nok "load --reboot --dry-run: $out"
# status: a fake dump folder under the configured path; exit 0 only if armed.
d="$work/dumps/testhost-2026-01-02-03:04:05"
mkdir -p "$d" && echo "<0>Kernel panic - not syncing: test" >"$d/dmesg.txt"
printf 'status=incomplete\nerror=no space left on the target\nhost=testhost\n' >"$d/summary"
json=$("$kexdump" status --json --config "$work/kexdump.conf")
rc=$?
if python3 -c '
import json, sys
d = json.loads(sys.argv[1]); rc = int(sys.argv[2])
armed = d["reservation"]["size"] > 0 and d["crash"]["loaded"]
assert d["armed"] == armed and rc == (0 if armed else 1), (d["armed"], rc)
assert d["target"]["path"] == sys.argv[3] + "/dumps" and d["ndumps"] == 1
ld = d["last_dump"]
assert ld["status"] == "incomplete" and ld["error"] == "no space left on the target", ld
assert ld["date"] == "2026-01-02 03:04:05" and ld["host"] == "testhost"
' "$json" "$rc" "$work"; then
	ok "status --json: armed iff exit 0, the last dump and its status"
else
	nok "status --json (rc $rc): $json"
fi
out=$("$kexdump" status --config "$work/kexdump.conf")
grep -q '^last dump: *2026-01-02 03:04:05 testhost: incomplete: no space left on the target' <<<"$out" &&
	grep -q '^status: ' <<<"$out" && ok "status text" || nok "status text: $out"

# capture: the capture kernel's flow into a folder; list shows the result.
printf 'hostname synth-host\ndump_level 1\n' >"$work/capture.conf"
if "$kexdump" capture --config "$work/capture.conf" --vmcore "$small" \
	--target-dir "$work/crash" --no-action >"$work/out" 2>&1; then
	d=$(echo "$work"/crash/synth-host-*)
	if [[ -f $d/vmcore && -f $d/dmesg.txt && -f $d/summary ]] &&
		grep -qx 'status=complete' "$d/summary" && grep -qx 'release=9.9.9-synthetic' "$d/summary" &&
		grep -q "^kexdump-capture: dump complete: $d ([0-9]* bytes in" "$work/out" &&
		[[ $(stat -c %a "$d") == 700 && $(stat -c %a "$d/vmcore") == 600 ]] &&
		[[ $("$kexdump" read "$d/vmcore" linux_banner --string) == "Linux version 9.9.9-synthetic (test)" ]]; then
		ok "capture into a folder: vmcore, dmesg.txt, summary (complete), 0700/0600"
	else
		nok "capture output: $(cat "$work/out") / $(cat "$d/summary" 2>&1)"
	fi
else
	nok "capture failed: $(cat "$work/out")"
fi
out=$("$kexdump" list "$work/crash")
[[ $out == *"synth-host  9.9.9-synthetic"*complete* ]] && ok "list shows the capture" || nok "list: $out"
json=$("$kexdump" list --json "$work/crash")
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert len(d)==1 and d[0]["status"]=="complete" and d[0]["host"]=="synth-host" and d[0]["has_vmcore"] and d[0]["vmcore_size"]>0' "$json" &&
	ok "list --json" || nok "list --json: $json"
# A target that fills up (a file size limit stands in for a full disk):
# the summary and list say incomplete, the partial dump reads as incomplete.
printf 'hostname full\ndump_level 0\ncompress none\n' >"$work/full.conf"
(trap '' XFSZ; ulimit -f 20; exec "$kexdump" capture --config "$work/full.conf" --vmcore "$small" \
	--target-dir "$work/full" --no-action) >"$work/out" 2>&1
rc=$?
d=$(echo "$work"/full/full-*)
if ((rc == 1)) && grep -qx 'status=incomplete' "$d/summary" && grep -q '^error=.*File too large' "$d/summary" &&
	grep -q "^kexdump-capture: dump incomplete: $d: .*File too large" "$work/out" &&
	"$kexdump" info "$d/vmcore" | grep -q '^incomplete: *yes' &&
	"$kexdump" list "$work/full" | grep -q 'incomplete (.*File too large)'; then
	ok "capture onto a full target: incomplete dump, summary and list say why"
else
	nok "capture onto a full target (rc $rc): $(cat "$work/out")"
fi
# No dump to read: a failed summary on the target, exit 1.
"$kexdump" capture --config "$work/capture.conf" --vmcore "$work/text" --target-dir "$work/failed" \
	--no-action >"$work/out" 2>&1
rc=$?
if ((rc == 1)) && grep -q '^kexdump-capture: dump failed: .*text: not a kernel crash dump' "$work/out" &&
	grep -qx 'status=failed' "$work"/failed/synth-host-*/summary &&
	"$kexdump" list "$work/failed" | grep -q 'failed (.*not a kernel crash dump'; then
	ok "capture of a bad vmcore: failed, and said so on the target"
else
	nok "capture of a bad vmcore (rc $rc): $(cat "$work/out")"
fi
# An interrupted capture (no summary) lists as incomplete.
mkdir -p "$work/cut/h-2025-01-01-00:00:00" && : >"$work/cut/h-2025-01-01-00:00:00/vmcore.incomplete"
"$kexdump" list "$work/cut" | grep -q 'incomplete (no summary (capture interrupted))' &&
	ok "list: an interrupted capture" || nok "list interrupted: $("$kexdump" list "$work/cut")"
printf 'dump_level 99\n' >"$work/bad.conf"
expect_error 1 "bad.conf:1: dump_level '99' is not a number from 0 to 31" list --config "$work/bad.conf"
printf 'path %s\n' "$work/crash" >"$work/path.conf"
"$kexdump" list --config "$work/path.conf" | grep -q 'synth-host' && ok "list: folder from the config's path" ||
	nok "list --config"
# A dump with a kernel log (mksynth's log.core, log_buf records): the
# panic line and the log reach the summary and dmesg.txt. The expected
# log is written here from the records mksynth stored, not by kexdump.
# (tests/e2e/check-dump.sh does the same on every real dump.)
printf '%s\n' '[    0.000000] Linux version 9.9.9-synthetic (test)' \
	'[   12.345678] sysrq: Trigger a crash' \
	'[   12.345999] Kernel panic - not syncing: sysrq triggered crash' >"$work/log.want"
: >"$work/cmp"
if "$kexdump" capture --config "$work/capture.conf" --vmcore "$work/log.core" --target-dir "$work/logcap" \
	--no-action >"$work/out" 2>&1; then
	d=$(echo "$work"/logcap/synth-host-*)
	if [[ -d $d ]] && grep -qx 'status=complete' "$d/summary" &&
		grep -qxF 'panic=Kernel panic - not syncing: sysrq triggered crash' "$d/summary" &&
		cmp "$d/dmesg.txt" "$work/log.want" >"$work/cmp" 2>&1 &&
		"$kexdump" dmesg "$d/vmcore" 2>&1 | cmp -s - "$work/log.want"; then
		ok "capture of a dump with a log: panic line in the summary, dmesg.txt and the saved vmcore's log as written"
	else
		nok "capture of a dump with a log: $(cat "$work/out" "$work/cmp") / $(cat "$d/summary" 2>&1)"
	fi
else
	nok "capture of a dump with a log failed: $(cat "$work/out")"
fi
expect_error 2 "usage" capture extra
expect_error 2 "usage" list a b

# A missing /etc/kexdump.conf is the defaults in every command that reads
# it: whatever else they say, never that the file cannot be opened.
# (tests/cli/test-target.sh checks, as root, what they resolve then.)
if [[ -e /etc/kexdump.conf ]]; then
	echo "# /etc/kexdump.conf exists: the missing-config checks are not run"
else
	printf '\x7fELF' >"$work/notstatic"
	i=0
	for args in "status" "list" "setup --dry-run" "load --crash --dry-run --kernel $work/k --no-initrd" \
		"initramfs -o $work/default.img --moddir $work --init $work/notstatic"; do
		# shellcheck disable=SC2086 # split on purpose
		"$kexdump" $args >"$work/out" 2>"$work/err$i"
		if grep -q 'kexdump.conf: cannot open' "$work/err$i"; then
			nok "kexdump $args without /etc/kexdump.conf: $(cat "$work/err$i")"
		else
			ok "kexdump $args without /etc/kexdump.conf: the defaults"
		fi
		i=$((i + 1))
	done
	# setup and initramfs resolve the default target the same way: the
	# same error when it cannot be resolved here (else initramfs goes on
	# past the target, to the module tree or the init it refuses).
	if [[ -s $work/err2 ]]; then
		cmp -s "$work/err2" "$work/err4" && ok "setup and initramfs: the same target error ($(cat "$work/err2"))" ||
			nok "setup: $(cat "$work/err2") initramfs: $(cat "$work/err4")"
	else
		! grep -q '^kexdump: /etc/kexdump.conf: ' "$work/err4" &&
			ok "initramfs resolved the default target as setup did" ||
			nok "initramfs after setup --dry-run succeeded: $(cat "$work/err4")"
	fi
fi

# Usage errors exit 2.
expect_error 2 "usage" info
expect_error 2 "usage" info "$good" extra
expect_error 2 "unknown command" frobnicate
expect_error 2 "usage" read "$good"

# A kernel kexdump cannot interpret (a VMCOREINFO line that is not
# KEY=VALUE): the capture still writes every page, as a copy of the dump,
# and the summary and console say so. The copy is the source byte for byte
# (its all-zero blocks are holes).
"$kexdump" capture --config "$work/capture.conf" --vmcore "$work/badvmcoreinfo.core" \
	--target-dir "$work/fallback" --no-action >"$work/out" 2>&1
rc=$?
d=$(echo "$work"/fallback/synth-host-*)
if ((rc == 0)) && cmp "$work/badvmcoreinfo.core" "$d/vmcore" &&
	grep -qx 'status=complete' "$d/summary" && grep -qx 'fallback=elf-copy' "$d/summary" &&
	grep -qx 'warning=the crashed kernel could not be interpreted (.*VMCOREINFO line 2 is not KEY=VALUE.*' "$d/summary" &&
	grep -qx 'dmesg_error=no kernel log: .*VMCOREINFO line 2 is not KEY=VALUE.*' "$d/summary" &&
	grep -qx 'format=elf' "$d/summary" && grep -qx 'codec=none' "$d/summary" &&
	grep -qx "bytes_written=$(stat -c %s "$work/badvmcoreinfo.core")" "$d/summary" &&
	grep -q '^kexdump-capture: WARNING: the crashed kernel could not be interpreted' "$work/out" &&
	grep -q "^kexdump-capture: dump complete: $d " "$work/out" &&
	[[ ! -e $d/vmcore.incomplete ]] &&
	(($(stat -c %b "$d/vmcore") * 512 < $(stat -c %s "$d/vmcore"))); then
	ok "capture of a dump whose kernel cannot be interpreted: an ELF copy, fallback=elf-copy and why"
else
	nok "capture fallback (rc $rc): $(cat "$work/out") / $(cat "$d/summary" 2>&1)"
fi

# The watchdog: a capture that cannot finish (its vmcore a FIFO nobody
# writes: the open blocks, as a save on a hung disk does) ends after
# capture_timeout with the failure, exit 1.
mkfifo "$work/hang"
printf 'hostname synth-host\ncapture_timeout 2\n' >"$work/wd.conf"
start=$SECONDS
timeout 60 "$kexdump" capture --config "$work/wd.conf" --vmcore "$work/hang" \
	--target-dir "$work/wd" --no-action >"$work/out" 2>&1
rc=$?
took=$((SECONDS - start))
if ((rc == 1 && took >= 2 && took <= 10)) &&
	grep -q '^kexdump-capture: watchdog: 2 s$' "$work/out" &&
	grep -q '^kexdump-capture: ERROR: watchdog: the capture did not finish within 2 s' "$work/out" &&
	grep -q '^kexdump-capture: dump failed: watchdog fired after 2 s$' "$work/out"; then
	ok "watchdog: a stuck capture ends after capture_timeout 2 (${took} s), dump failed"
else
	nok "watchdog (rc $rc, ${took} s): $(cat "$work/out")"
fi

# dmesg.txt's write-back failing (fsync EIO through the preloaded shim):
# the summary's dmesg_error says so; the dump itself is complete.
if [[ -n $failsync ]] && ! file -L "$kexdump" | grep -q 'statically linked'; then
	KD_FAIL_FSYNC=/dmesg.txt LD_PRELOAD=$failsync ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$kexdump" capture --config "$work/capture.conf" --vmcore "$work/log.core" \
		--target-dir "$work/dmesgfail" --no-action >"$work/out" 2>&1
	rc=$?
	d=$(echo "$work"/dmesgfail/synth-host-*)
	if ((rc == 0)) && grep -qx 'status=complete' "$d/summary" &&
		grep -qx 'dmesg_error=.*/dmesg.txt: fsync failed: Input/output error' "$d/summary" &&
		grep -q '^kexdump-capture: dmesg.txt: .*fsync failed: Input/output error' "$work/out"; then
		ok "capture: dmesg.txt's fsync error reaches the summary (dmesg_error)"
	else
		nok "capture with dmesg.txt's fsync failing (rc $rc): $(cat "$work/out") / $(cat "$d/summary" 2>&1)"
	fi
else
	echo "# skipped (not counted): dmesg.txt fsync failure needs the dynamic kexdump and the failsync shim"
fi

cli_done
