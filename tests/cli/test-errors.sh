#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-errors.sh KEXDUMP MKSYNTH -- the error paths of every subcommand, and
# the shape of what a user sees: exactly one line on stderr, ending in a
# newline, "kexdump: WHAT: PROBLEM", no empty or missing separators, the
# config file named when one was involved; exit 1 for bad input, 2 for
# usage.
#
# Safe on any machine, also as root: nothing here reaches kexec_file_load,
# reboot, sysrq, GRUB or systemd. setup and test are only given configs that
# fail before they touch anything; unload, exec and the kernel-loading paths
# of load only run with bad options or as an unprivileged user (setpriv),
# where the kernel refuses.
set -uo pipefail
kexdump=$1 mksynth=$2
# shellcheck source=tests/cli/common.sh
. "$(dirname "$0")/common.sh"
cli_work "$mksynth"

# The shape of one error line (without its newline); prints what is wrong.
bad_shape() {
	local line=$1
	[[ $line == "kexdump: "* ]] || { echo "does not start with 'kexdump: '"; return; }
	local rest=${line#kexdump: }
	[[ $rest == *": "?* ]] || { echo "not 'kexdump: WHAT: PROBLEM'"; return; }
	[[ $rest == *": :"* || $rest == *"::"* || $rest == *" : "* ]] && { echo "an empty field (': :')"; return; }
	[[ $rest == *": " || $rest == *":" || $rest == *" " ]] && { echo "ends in a separator"; return; }
	[[ $rest == *"  "* ]] && { echo "a double space (an empty value?)"; return; }
	[[ $rest == *"(null)"* ]] && { echo "(null)"; return; }
	# A file name run into the next word: ".confthe", "/var/crash/dev/vda".
	[[ $rest =~ \.conf[A-Za-z0-9/] ]] && { echo "a path run into the next word"; return; }
	[[ $rest =~ /dev/[a-z0-9]+/dev/ || $rest =~ [a-z0-9]/dev/(vd|sd|nvme|dm-|loop) ]] &&
		{ echo "a path run into a device"; return; }
	[[ $line == *[[:cntrl:]]* ]] && { echo "a control character"; return; }
	# The same name twice in a row: "target /dev/x: /dev/x: ...".
	grep -qE '([^ :]{4,}): \1: ' <<<"$rest" && { echo "a name repeated"; return; }
}

# expect_fail RC [-n NAME]... [-m ERE] [-o] -- ARGS...: kexdump ARGS exits
# RC with exactly one well-shaped line on stderr; each NAME appears in it
# followed by ': ' (or ':' and a line number); the line matches ERE; stdout
# is empty unless -o.
expect_fail() {
	local want=$1 pat='' allow_out=0 names=() runner=()
	shift
	while [[ $1 != -- ]]; do
		case $1 in
		-n) names+=("$2"); shift 2 ;;
		-m) pat=$2; shift 2 ;;
		-o) allow_out=1; shift ;;
		-u) runner=("${as_user[@]}"); shift ;;
		*) echo "expect_fail: bad option $1"; exit 1 ;;
		esac
	done
	shift
	"${runner[@]}" "$kexdump" "$@" >"$work/out" 2>"$work/err" </dev/null
	local rc=$? what="kexdump $*" why=""
	what=${what//$'\n'/\\n}
	local err line
	err=$(cat "$work/err")
	line=$(head -n1 "$work/err")
	if ((rc != want)); then
		why="exit $rc, want $want"
	elif [[ ! -s $work/err ]]; then
		why="nothing on stderr"
	elif [[ $(wc -l <"$work/err") != 1 || $(tail -c1 "$work/err" | od -An -c | tr -d ' ') != '\n' ]]; then
		why="stderr is not exactly one line ending in a newline"
	elif [[ -n $(bad_shape "$line") ]]; then
		why=$(bad_shape "$line")
	elif [[ -n $pat ]] && ! grep -qE -- "$pat" <<<"$line"; then
		why="does not match /$pat/"
	elif ((!allow_out)) && [[ -s $work/out ]]; then
		why="output on stdout: $(head -c 200 "$work/out")"
	fi
	for n in "${names[@]}"; do
		[[ -n $why ]] && break
		[[ $line == *"$n: "* || $line =~ "$n":[0-9]+:\  ]] || why="does not name $n (followed by ': ')"
	done
	if [[ -z $why ]]; then
		ok "$what -> $rc: $line"
	else
		nok "$what -> rc $rc: $why; stderr: $(head -c 400 "$work/err")"
	fi
}

# Run as an unprivileged user: setpriv when root, else as we are.
if ((EUID == 0)) && command -v setpriv >/dev/null; then
	as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	chmod 755 "$work"
else
	as_user=()
	# As root without setpriv the as-user checks below cannot run: that
	# is a failure to report, not a check to drop.
	((EUID == 0)) && nok "setpriv (util-linux) is missing: the as-user checks cannot run as root"
fi

good=$work/good.core
printf 'not a dump at all' >"$work/text"
: >"$work/empty"
head -c 100 "$good" >"$work/truncated"
head -c 4096 /dev/urandom >"$work/garbage"
mkdir "$work/dir"
missing=$work/missing
chmod 644 "$work"/*.core "$work/text" "$work/empty"

# ------------------------------------------------------------- the command
expect_fail 2 -m '^kexdump: usage: ' --
expect_fail 2 -n frobnicate -m 'unknown command' -- frobnicate
expect_fail 2 -n --frobnicate -m 'unknown command' -- --frobnicate

# ------------------------------------------- commands that read one dump
for cmd in info dmesg symbols pages bt ps mod report; do
	expect_fail 2 -m "^kexdump: usage: kexdump $cmd " -- $cmd
	expect_fail 2 -m "^kexdump: usage: " -- $cmd --no-such-option "$good"
	expect_fail 2 -m "^kexdump: usage: " -- $cmd "$good" extra
	expect_fail 1 -n "$missing" -m 'cannot open: No such file or directory' -- $cmd "$missing"
	expect_fail 1 -n "$work/text" -m 'not a kernel crash dump' -- $cmd "$work/text"
	expect_fail 1 -n "$work/garbage" -m 'not a kernel crash dump' -- $cmd "$work/garbage"
	expect_fail 1 -n "$work/empty" -m 'file is empty' -- $cmd "$work/empty"
	expect_fail 1 -n "$work/truncated" -m 'truncated' -- $cmd "$work/truncated"
	expect_fail 1 -n "$work/dir" -m 'is a directory' -- $cmd "$work/dir"
done
# A name with a line break in it: still one line (cli_fail collapses it).
nl_name="$work/two"$'\n'"lines"
expect_fail 1 -n "$work/two; lines" -m 'cannot open: No such file or directory$' -- info "$nl_name"
for cmd in info dmesg symbols report; do
	expect_fail 1 -n "$work/System.map" -m 'cannot open' -- $cmd "$good" --system-map "$work/System.map"
	expect_fail 1 -n "$work/text" -- $cmd "$good" --system-map "$work/text"
done
expect_fail 1 -n "$good" -m 'no symbol table' -- symbols "$good"
expect_fail 1 -n "$good" -m 'no kernel log' -- dmesg "$good"
# No symbols (VMCOREINFO without kallsyms, no --system-map): one line that
# says so, then what is known, every CPU's stack unsymbolized; exit 0.
expect_fail 0 -o -n "$good" -m 'no symbol table .*give --system-map' -- bt "$good"
if grep -qE '^PID: [0-9]+  CPU: 0$' "$work/out"; then
	ok "kexdump bt without symbols prints CPU 0's stack"
else
	nok "kexdump bt without symbols: stdout $(head -c 200 "$work/out")"
fi
expect_fail 1 -n "$good" -m 'no CPU 7 \(the dump has [0-9]+\)' -- bt --cpu 7 "$good"
expect_fail 2 -m 'bt: --cpu takes a CPU number' -- bt --cpu x "$good"
expect_fail 2 -m '^kexdump: usage: kexdump bt ' -- bt --all --cpu 0 "$good"
expect_fail 1 -n "$good" -m 'the dump has no BTF' -- ps "$good"
expect_fail 1 -n "$good" -m 'the dump has no BTF' -- bt "$good" 1
expect_fail 2 -m 'bt: a PID is a number: x1' -- bt "$good" x1
expect_fail 2 -m '^kexdump: usage: kexdump bt ' -- bt --all "$good" 1
expect_fail 1 -n "$good" -m 'the dump has no BTF' -- mod "$good"
expect_fail 2 -m 'report: --log-lines takes 1 to 10000' -- report --log-lines 0 "$good"
expect_fail 2 -m 'report: --log-lines takes 1 to 10000' -- report --log-lines x "$good"
expect_fail 2 -m 'dump level 0-31' -- pages -d 99 "$good"
expect_fail 2 -m 'dump level 0-31' -- pages -d x "$good"

# read
expect_fail 2 -m '^kexdump: usage: kexdump read ' -- read
expect_fail 2 -m '^kexdump: usage: kexdump read ' -- read "$good"
expect_fail 2 -m '^kexdump: usage: ' -- read "$good" linux_banner 8 extra
expect_fail 2 -m '^kexdump: usage: ' -- read "$good" linux_banner --bogus
expect_fail 2 -m 'LEN must be' -- read "$good" linux_banner 0
expect_fail 1 -n "$missing" -m 'cannot open' -- read "$missing" linux_banner
expect_fail 1 -n "$work/text" -m 'not a kernel crash dump' -- read "$work/text" 0x1000
expect_fail 1 -n "$good" -m 'unknown symbol no_such_symbol' -- read "$good" no_such_symbol
expect_fail 1 -m 'physical address 0x8000 is not in the dump' -- read "$good" 0x8000 --phys
expect_fail 1 -- read "$good" 0x1234 8

# ------------------------------------------------------------------- save
expect_fail 2 -m '^kexdump: usage: kexdump save ' -- save
expect_fail 2 -m '^kexdump: usage: kexdump save ' -- save "$good"
expect_fail 2 -m '^kexdump: usage: ' -- save --bogus "$good" "$work/x"
expect_fail 2 -m 'dump level must be 0-31' -- save -d 32 "$good" "$work/x"
expect_fail 2 -m 'unknown format' -- save --format tar "$good" "$work/x"
expect_fail 2 -m 'unknown compression' -- save -c xz "$good" "$work/x"
expect_fail 2 -m 'thread count' -- save -j 0 "$good" "$work/x"
expect_fail 2 -m 'mem-limit' -- save --mem-limit 1 "$good" "$work/x"
expect_fail 2 -m 'needs a DEST file' -- save - -
expect_fail 1 -n "$missing" -m 'cannot open' -- save "$missing" "$work/x"
expect_fail 1 -n "$work/text" -m 'not a kernel crash dump' -- save "$work/text" "$work/x"
expect_fail 1 -n "$work/garbage" -- save "$work/garbage" "$work/x"
expect_fail 1 -n "$work/empty" -- save "$work/empty" "$work/x"
expect_fail 1 -m 'standard input: not a flattened dump' -- save - "$work/x" <"$work/text"
[[ ! -e $work/x && ! -e $work/x.incomplete ]] && ok "no file left by the failed saves" ||
	nok "failed saves left $(ls "$work"/x*)"
# Unwritable destinations.
expect_fail 1 -n /proc/kexdump-test/x -m 'cannot create' -- save "$good" /proc/kexdump-test/x
expect_fail 1 -n "$work/text/x" -m 'Not a directory' -- save "$good" "$work/text/x"
expect_fail 1 -n "$missing/x" -m 'No such file or directory' -- save "$good" "$missing/x"
expect_fail 1 -n "$work/dir" -- save "$good" "$work/dir"
# Standard output that cannot take the dump (never a device as DEST:
# --force would replace it).
"$kexdump" save -d 0 "$good" - >/dev/full 2>"$work/err"
rc=$? l=$(cat "$work/err")
[[ $rc == 1 && $(wc -l <"$work/err") == 1 && -z $(bad_shape "$l") && $l == *"No space left on device"* ]] &&
	ok "save to a full standard output -> 1: $l" || nok "save to a full standard output -> $rc: $l"
cp "$good" "$work/exists.core"
expect_fail 1 -n "$work/exists.core" -m 'already exists \(use --force' -- save "$good" "$work/exists.core"
if ((${#as_user[@]} || EUID != 0)); then
	mkdir -m 555 "$work/ro"
	expect_fail 1 -u -n "$work/ro/x" -m 'Permission denied' -- save "$good" "$work/ro/x"
fi
# A destination that fills up: the summary and the error, each one line
# in the shape, exit 3 (incomplete).
(trap '' XFSZ; ulimit -f 8; exec "$kexdump" save -d 0 -c none "$good" "$work/full") >"$work/out" 2>"$work/err"
rc=$?
why=''
((rc == 3)) || why="exit $rc, want 3"
while IFS= read -r l; do
	[[ -n $why ]] && break
	[[ -n $(bad_shape "$l") ]] && why="$(bad_shape "$l"): $l"
done <"$work/err"
[[ -z $why ]] && ! tail -n1 "$work/err" | grep -q "$work/full: .*File too large" && why="last line does not say why"
[[ -z $why ]] && ok "save onto a full destination -> 3: $(tail -n1 "$work/err")" ||
	nok "save onto a full destination: $why; stderr: $(cat "$work/err")"

# --------------------------------------------------------------- configs
printf 'dump_level 99\n' >"$work/level.conf"
printf 'frobnicate yes\n' >"$work/key.conf"
printf 'path\n' >"$work/novalue.conf"
printf 'path relative/dir\n' >"$work/relative.conf"
printf 'target /dev/kexdump-no-such-disk\npath /crash\n' >"$work/nodev.conf"
printf 'target UUID=00000000-0000-0000-0000-00000000dead\n' >"$work/nouuid.conf"
printf 'path %s/crash\n' "$work" >"$work/ok.conf"
mkdir "$work/noperm.conf"
badconfs=(level key novalue relative)
chmod 644 "$work"/*.conf 2>/dev/null

# ------------------------------------------------------------------- load
expect_fail 2 -m '^kexdump: usage: kexdump load ' -- load
expect_fail 2 -m '^kexdump: usage: kexdump load ' -- load --crash --reboot
expect_fail 2 -m '^kexdump: usage: kexdump load ' -- load --crash --bogus
expect_fail 2 -m '^kexdump: usage: kexdump load ' -- load --crash extra
expect_fail 2 -m '^kexdump: usage: kexdump load ' -- load --crash --initrd x --no-initrd
expect_fail 1 -n /nonexistent/vmlinuz -m 'cannot open the kernel: No such file' -- \
	load --crash --kernel /nonexistent/vmlinuz --initrd "$work/text"
expect_fail 1 -n /nonexistent/initrd.img -m 'cannot open the initramfs' -- \
	load --reboot --kernel "$work/text" --initrd /nonexistent/initrd.img --command-line x
expect_fail 1 -n "$work/empty" -m 'the kernel is empty' -- load --crash --kernel "$work/empty" --no-initrd
expect_fail 1 -n "$work/dir" -- load --crash --kernel "$work/dir" --no-initrd
expect_fail 1 -n "$work/nosuch.conf" -m 'cannot open' -- \
	load --crash --dry-run --kernel k --initrd i --config "$work/nosuch.conf"
for c in "${badconfs[@]}"; do
	expect_fail 1 -n "$work/$c.conf" -- load --crash --dry-run --kernel k --initrd i --config "$work/$c.conf"
done
expect_fail 1 -n "$work/noperm.conf" -- load --crash --dry-run --kernel k --initrd i --config "$work/noperm.conf"
if ((${#as_user[@]} || EUID != 0)); then
	# The kernel refuses an unprivileged caller (or has no kexec at all).
	expect_fail 1 -u -m 'refused the load|must be root|\(run as root\)$|has no kexec' -- \
		load --reboot --kernel "$work/text" --no-initrd --command-line x
fi

# ------------------------------------------------------- unload and exec
expect_fail 2 -m '^kexdump: usage: kexdump unload' -- unload --crash --reboot
expect_fail 2 -m '^kexdump: usage: kexdump unload' -- unload --bogus
expect_fail 2 -m '^kexdump: usage: kexdump unload' -- unload extra
expect_fail 2 -m '^kexdump: usage: kexdump exec' -- exec extra
expect_fail 2 -m '^kexdump: usage: kexdump exec' -- exec --crash
if ((${#as_user[@]} || EUID != 0)); then
	expect_fail 1 -u -m 'unloading the reboot kernel: (must be root|.*\(run as root\)$|this kernel has no kexec)' -- \
		unload --reboot
fi

# ----------------------------------------------------------------- status
expect_fail 2 -m '^kexdump: usage: kexdump status' -- status extra
expect_fail 2 -m '^kexdump: usage: kexdump status' -- status --bogus
# status is a report: a bad config is one of its lines (stdout), in the
# same shape, naming the file; nothing on stderr; exit 1 (not armed).
status_config() {
	local conf=$1 rc why='' l
	"$kexdump" status --config "$conf" >"$work/out" 2>"$work/err"
	rc=$?
	l=$(sed -n 's/^config: *//p' "$work/out")
	((rc == 1)) || why="exit $rc, want 1"
	[[ -z $why && -s $work/err ]] && why="stderr: $(cat "$work/err")"
	[[ -z $why && -z $l ]] && why="no config line"
	[[ -z $why && -n $(bad_shape "kexdump: $l") ]] && why=$(bad_shape "kexdump: $l")
	[[ -z $why && $l != "$conf: "* && $l != "$conf:"[0-9]* ]] && why="does not name $conf"
	if [[ -z $why ]]; then
		"$kexdump" status --json --config "$conf" >"$work/out" 2>"$work/err"
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["config_error"].startswith(sys.argv[2] + ":"), d' \
			"$work/out" "$conf" 2>/dev/null || why="--json has no config_error naming it"
	fi
	[[ -z $why ]] && ok "status --config $conf -> 1: config: $l" || nok "status --config $conf: $why; $(cat "$work/out")"
}
status_config "$work/nosuch.conf"
for c in "${badconfs[@]}" noperm; do
	status_config "$work/$c.conf"
done

# ------------------------------------------------------------------- list
expect_fail 2 -m '^kexdump: usage: kexdump list' -- list a b
expect_fail 2 -m '^kexdump: usage: kexdump list' -- list --bogus
expect_fail 1 -n "$missing" -- list "$missing"
expect_fail 1 -n "$work/text" -- list "$work/text"
expect_fail 1 -n "$work/nosuch.conf" -m 'cannot open' -- list --config "$work/nosuch.conf"
for c in "${badconfs[@]}" noperm nodev; do
	expect_fail 1 -n "$work/$c.conf" -- list --config "$work/$c.conf"
done
expect_fail 1 -n "$work/level.conf" -m "level.conf:1: dump_level '99' is not a number from 0 to 31" -- \
	list --config "$work/level.conf"

# ---------------------------------------------------------------- capture
expect_fail 2 -m '^kexdump: usage: kexdump capture' -- capture extra
expect_fail 2 -m '^kexdump: usage: kexdump capture' -- capture --bogus
# The capture's own flow speaks to the console ("kexdump-capture: ...",
# on stdout); its failures are one line each in the same shape.
capture_fails() {
	local names=("$1") what
	shift
	"$kexdump" capture --no-action "$@" >"$work/out" 2>"$work/err" </dev/null
	local rc=$? why=''
	what="kexdump capture $*"
	((rc == 1)) || why="exit $rc, want 1"
	[[ -z $why && -s $work/err ]] && why="stderr: $(cat "$work/err")"
	local l
	l=$(grep -m1 '^kexdump-capture: dump failed: ' "$work/out") || { [[ -z $why ]] && why="no 'dump failed' line"; }
	if [[ -z $why ]]; then
		local shaped=kexdump:${l#kexdump-capture: dump failed:}
		[[ -n $(bad_shape "$shaped") ]] && why="$(bad_shape "$shaped")"
	fi
	[[ -z $why && -n ${names[0]} && $l != *"${names[0]}: "* && ! $l =~ "${names[0]}":[0-9]+:\  ]] &&
		why="does not name ${names[0]}"
	[[ -z $why ]] && ok "$what -> 1: $l" || nok "$what -> rc $rc: $why; $(cat "$work/out")"
}
capture_fails "$work/nosuch.conf" --config "$work/nosuch.conf" --vmcore "$good" --target-dir "$work/c1"
for c in level key novalue; do
	capture_fails "$work/$c.conf" --config "$work/$c.conf" --vmcore "$good" --target-dir "$work/c1"
done
capture_fails "$missing" --config "$work/ok.conf" --vmcore "$missing" --target-dir "$work/c2"
capture_fails "$work/text" --config "$work/ok.conf" --vmcore "$work/text" --target-dir "$work/c3"
capture_fails "$work/text/crash" --config "$work/ok.conf" --vmcore "$good" --target-dir "$work/text/crash"

# ------------------------------------------------------------- initramfs
expect_fail 2 -m '^kexdump: usage: kexdump initramfs' -- initramfs
expect_fail 2 -m '^kexdump: usage: kexdump initramfs' -- initramfs -o "$work/i.img" extra
expect_fail 2 -m '^kexdump: usage: kexdump initramfs' -- initramfs -o "$work/i.img" --bogus
expect_fail 1 -n "$work/nosuch.conf" -m 'cannot open' -- initramfs -o "$work/i.img" --config "$work/nosuch.conf"
for c in "${badconfs[@]}" noperm nodev nouuid; do
	expect_fail 1 -n "$work/$c.conf" -- initramfs -o "$work/i.img" --config "$work/$c.conf"
done
# The filesystem holding the dump folder: its device cannot be opened.
mkdir -p "$work/sys/dev/block" "$work/dev"
dev=$(stat -c %d "$work")
ln -s "../../devices/virtual/block/kdtest0" "$work/sys/dev/block/$((dev >> 8 & 0xfff)):$(((dev & 0xff) | (dev >> 12 & 0xfff00)))"
: >"$work/dev/kdtest0"
chmod 000 "$work/dev/kdtest0"
printf 'path %s/crash\n' "$work" >"$work/fs.conf"
chmod 644 "$work/fs.conf"
if ((${#as_user[@]} || EUID != 0)); then
	expect_fail 1 -u -n "$work/fs.conf" -n "the filesystem holding $work/crash" -n "$work/dev/kdtest0" \
		-m "kdtest0: cannot open: Permission denied \(run as root\)$" -- \
		initramfs -o "$work/i.img" --config "$work/fs.conf" --sysfs "$work/sys" --dev "$work/dev" \
		--moddir "$work" --init "$kexdump"
fi

# ------------------------------------------------------------ setup, test
# Only configs that fail before setup changes anything (no kernel is
# loaded, no unit installed, no bootloader touched), and test (the
# rehearsal, or --yes-crash-now) with options or configs that stop it
# before anything is checked or written: it never reaches sysrq.
expect_fail 2 -m '^kexdump: usage: kexdump setup' -- setup extra
expect_fail 2 -m '^kexdump: usage: kexdump setup' -- setup --bogus
expect_fail 2 -m '^kexdump: usage: ' -- setup --boot --apply-bootloader
# --kernel takes a release: a path is refused before anything is read.
expect_fail 2 -m "^kexdump: usage: --kernel takes a kernel release" -- setup --kernel ../../etc
expect_fail 2 -m "^kexdump: usage: --kernel takes a kernel release" -- setup --kernel ""
expect_fail 2 -m '^kexdump: usage: --boot arms the running kernel' -- setup --kernel 6.1.0-1-amd64 --boot
expect_fail 2 -m '^kexdump: usage: kexdump test' -- test extra
expect_fail 2 -m '^kexdump: usage: kexdump test' -- test --yes-crash-now --boot
expect_fail 2 -m '^kexdump: usage: kexdump test' -- test --json --yes-crash-now
expect_fail 2 -m '^kexdump: usage: kexdump test' -- test --bogus
# --print-units only prints: a config path the units cannot name, or none.
printf 'path /var/crash\n' >"$work/tab"$'\t'"x.conf"
expect_fail 1 -m 'tab\?x.conf: a control character \(0x09\) in the path: a systemd unit cannot name it' -- \
	setup --print-units --config "$work/tab"$'\t'"x.conf"
expect_fail 1 -n "$work/nosuch.conf" -m "cannot resolve the config's path for the units: No such file" -- \
	setup --print-units --config "$work/nosuch.conf"
if ((${#as_user[@]} || EUID != 0)); then
	expect_fail 1 -u -m 'needs root.*sudo' -- setup --config "$work/ok.conf"
	expect_fail 1 -u -m 'needs root.*sudo' -- test --yes-crash-now --config "$work/ok.conf"
	expect_fail 1 -u -m 'needs root \(it reads /proc/kcore.*sudo' -- test --config "$work/ok.conf"
fi
if ((EUID == 0)); then
	expect_fail 1 -n "$work/nosuch.conf" -m 'cannot open' -- setup --config "$work/nosuch.conf"
	expect_fail 1 -n "$work/nosuch.conf" -m 'cannot open' -- test --config "$work/nosuch.conf"
	expect_fail 1 -n "$work/nosuch.conf" -m 'cannot open' -- test --json --config "$work/nosuch.conf"
	for c in "${badconfs[@]}" noperm; do
		# Guard: setup only ever sees a config that does not load.
		if "$kexdump" load --crash --dry-run --kernel k --initrd i --config "$work/$c.conf" >/dev/null 2>&1; then
			nok "$c.conf loads: not giving it to setup"
			continue
		fi
		expect_fail 1 -n "$work/$c.conf" -- setup --no-systemd --config "$work/$c.conf"
	done
	# A dump folder on a filesystem with no block device (proc here, a
	# btrfs subvolume or tmpfs elsewhere): the message names its type.
	printf 'path /proc/kexdump-test\n' >"$work/proc.conf"
	expect_fail 1 -n "$work/proc.conf" -m '/proc/kexdump-test is on a proc filesystem with no block device.*set .target.' -- \
		setup --no-systemd --config "$work/proc.conf"
	# A target that does not exist: setup stops at resolving it.
	expect_fail 1 -n "$work/nodev.conf" -m 'kexdump-no-such-disk' -- setup --no-systemd --config "$work/nodev.conf"
	expect_fail 1 -n "$work/nouuid.conf" -m '00000000-0000-0000-0000-00000000dead' -- \
		setup --no-systemd --config "$work/nouuid.conf"
fi

cli_done
