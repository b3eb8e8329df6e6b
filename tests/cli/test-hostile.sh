#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-hostile.sh KEXDUMP MKSYNTH -- strings from dumps, dump folders and
# summaries are hostile: the human outputs (list, info, status, the
# one-line errors) never pass a terminal control (C0 but newline, DEL, C1
# as UTF-8 or as a raw byte, invalid UTF-8) through, and print bounded
# lines for hostile folders; --json escapes the same strings so that they
# read back whole.
set -uo pipefail
kexdump=$1 mksynth=$2
# shellcheck source=tests/cli/common.sh
. "$(dirname "$0")/common.sh"
cli_work "$mksynth"

# clean FILE [MAXLINE]: FILE is valid UTF-8 without a control character
# but newline (C0, DEL, C1) and, given MAXLINE, no line longer than it.
clean() {
	python3 - "$1" "${2:-0}" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
maxline = int(sys.argv[2])
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit("not UTF-8: %s" % e)
bad = [hex(ord(c)) for c in text if c != "\n" and (ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f)]
if bad:
    sys.exit("control characters: %s" % bad[:10])
if maxline and any(len(l) > maxline for l in text.split("\n")):
    sys.exit("a line longer than %d" % maxline)
PY
}

# A dump whose OSRELEASE and panic line hold ESC [2J, BEL, OSC, C1 CSI
# (U+009B and the raw byte 0x9b) and DEL.
h=$work/hostile.core
if "$kexdump" info "$h" >"$work/out" 2>"$work/err" && why=$(clean "$work/out" 2>&1) &&
	grep -q '^kernel: *9\.9?\[2J??31m??-evil$' "$work/out" &&
	grep -q '^panic: .*not syncing: ?\]0;owned??\[2J?1m? x$' "$work/out"; then
	ok "info: OSRELEASE and the panic line with terminal controls are printed as '?'"
else
	nok "info on hostile.core: $why: $(od -c "$work/out" | head -20)"
fi
"$kexdump" info --json "$h" >"$work/out" 2>&1
if why=$(clean "$work/out" 2>&1) && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["release"] == "9.9\x1b[2J\x07\x9b31m\ufffd\x7f-evil", repr(d["release"])
assert d["panic"].endswith("\x9b1m\ufffd x"), repr(d["panic"])
' "$work/out"; then
	ok "info --json: the same strings escaped (\\u001b, \\u009b, \\u007f), invalid UTF-8 as U+FFFD"
else
	nok "info --json on hostile.core: $why: $(head -c 600 "$work/out")"
fi

# The capture of that dump: its summary holds them; list and status print them.
printf 'hostname evil\ndump_level 1\n' >"$work/capture.conf"
"$kexdump" capture --config "$work/capture.conf" --vmcore "$h" --target-dir "$work/crash" \
	--no-action >"$work/cap" 2>&1
if "$kexdump" list "$work/crash" >"$work/out" 2>&1 && why=$(clean "$work/out" 2>&1) &&
	grep -q '  evil  9\.9?\[2J??31m??-evil  .*complete$' "$work/out"; then
	ok "list: a capture whose release and panic line hold controls"
else
	nok "list after capture: $why: $(od -c "$work/out" | head -20) / $(cat "$work/cap")"
fi
"$kexdump" list --json "$work/crash" >"$work/out" 2>&1
if why=$(clean "$work/out" 2>&1) && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d) == 1 and d[0]["release"].startswith("9.9?[2J?\x9b31m"), repr(d)
assert "\x9b1m" in d[0]["panic"], repr(d[0]["panic"])
' "$work/out"; then
	ok "list --json: the summary's C1 controls escaped, read back whole"
else
	nok "list --json after capture: $why: $(head -c 600 "$work/out")"
fi
printf 'path %s\n' "$work/crash" >"$work/status.conf"
"$kexdump" status --config "$work/status.conf" >"$work/out" 2>&1
if why=$(clean "$work/out" 2>&1) && grep -q '^  panic: .*?\]0;owned' "$work/out"; then
	ok "status: the last dump's panic line and release without controls"
else
	nok "status: $why: $(od -c "$work/out" | head -30)"
fi

# Hostile folders: names with ESC, BEL, C1, newlines; summaries with
# controls, binary garbage, huge values, no keys, 10 MB.
hd=$work/hostile
mkdir -p "$hd"
n1=$hd/$'a\e[2Jb\ac\xc2\x9bd\x9be\nf'-2024-01-01-00:00:00
n2=$hd/$'x\ny\nz'-2024-01-02-00:00:00
n3=$hd/garbage-2024-01-03-00:00:00
n4=$hd/huge-2024-01-04-00:00:00
n5=$hd/nokeys-2024-01-05-00:00:00
mkdir "$n1" "$n2" "$n3" "$n4" "$n5"
printf 'status=complete\nrelease=\xc2\x9b31m\x9b\e[2J\nerror=\e]0;title\a\npanic=\e[31mred\x7f\n' >"$n1/summary"
: >"$n1/vmcore"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 64)' >"$n3/summary"
python3 -c 'import sys; sys.stdout.buffer.write(b"status=failed\nerror=" + b"\x9b" * 5000000 + b"\npanic=" + b"\x1b" * 5000000 + b"\nrelease=" + b"9" * 1000 + b"\n")' >"$n4/summary"
printf 'no keys here\n=\n==\nstatus\n' >"$n5/summary"
if "$kexdump" list "$hd" >"$work/out" 2>"$work/err" && why=$(clean "$work/out" 1024 2>&1) &&
	[[ ! -s $work/err && $(grep -c '^20' "$work/out") == 5 ]] &&
	grep -qF '  a?[2Jb?c?d?e?f  ?31m??[2J  0 B  complete (?]0;title?)' "$work/out" &&
	grep -qxF '    ?[31mred?' "$work/out" && grep -qF "  x?y?z  ?  no vmcore  unknown" "$work/out"; then
	ok "list: hostile folder names and summaries give bounded lines without controls"
else
	nok "list on hostile folders: $why: $(od -c "$work/out" | head -40) / $(cat "$work/err")"
fi
"$kexdump" list --json "$hd" >"$work/out" 2>&1
if why=$(clean "$work/out" 2>&1) && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d) == 5, len(d)
assert d[0]["host"] == "a\x1b[2Jb\x07c\x9bd\ufffde\nf", repr(d[0]["host"])
assert d[1]["host"] == "x\ny\nz"
assert d[3]["status"] == "failed" and len(d[3]["release"]) < 100
' "$work/out"; then
	ok "list --json: hostile folder names escaped, read back"
else
	nok "list --json on hostile folders: $why: $(head -c 600 "$work/out")"
fi

# A dump folder others may replace is refused; one they may only add to
# (sticky, like /tmp) is used, and the summary says so.
mkdir -m 0777 "$work/ww" && chmod 0777 "$work/ww"
mkdir -m 1777 "$work/sticky" && chmod 1777 "$work/sticky"
printf 'hostname h\ndump_level 1\n' >"$work/h.conf"
"$kexdump" capture --config "$work/h.conf" --vmcore "$work/small.core" --target-dir "$work/ww" \
	--no-action >"$work/out" 2>&1
rc=$?
if ((rc == 1)) && grep -q "dump failed: $work/ww: writable by other users (mode 0777) without the sticky bit" "$work/out" &&
	[[ -z $(ls -A "$work/ww") ]]; then
	ok "capture refuses a dump folder writable by others without the sticky bit"
else
	nok "capture into a 0777 folder (rc $rc): $(cat "$work/out")"
fi
"$kexdump" capture --config "$work/h.conf" --vmcore "$work/small.core" --target-dir "$work/sticky" \
	--no-action >"$work/out" 2>&1
rc=$?
if ((rc == 0)) && grep -q "^warning=.*sticky is writable by other users (mode 1777, sticky)" "$work"/sticky/h-*/summary; then
	ok "capture into a sticky world-writable folder: done, the summary warns"
else
	nok "capture into a 1777 folder (rc $rc): $(cat "$work/out") / $(cat "$work"/sticky/h-*/summary)"
fi
ln -s "$work/sticky" "$work/link"
"$kexdump" capture --config "$work/h.conf" --vmcore "$work/small.core" --target-dir "$work/link/crash" \
	--no-action >"$work/out" 2>&1
rc=$?
if ((rc == 1)) && grep -q "dump failed: $work/link/crash: $work/link: a symbolic link" "$work/out" &&
	[[ ! -e $work/sticky/crash ]]; then
	ok "capture refuses a symbolic link on the dump folder's path"
else
	nok "capture through a symlink (rc $rc): $(cat "$work/out")"
fi
# Every name of this second (and the next ones) taken: a suffixed folder.
# A minute of names: under ASan on a loaded machine the capture has been
# seen to start more than 5 s after this loop, on a name still free.
now=$(date +%s)
for ((k = 0; k < 60; k++)); do
	mkdir -p "$work/taken/h-$(date -u -d "@$((now + k))" +%Y-%m-%d-%H:%M:%S)"
done
"$kexdump" capture --config "$work/h.conf" --vmcore "$work/small.core" --target-dir "$work/taken" \
	--no-action >"$work/out" 2>&1
rc=$?
d=$(ls -d "$work"/taken/h-*-??????)
# The whole listing first: with a minute of folders it passes a pipe
# buffer, and grep -q closing the pipe at the first match would fail the
# pipeline on kexdump's SIGPIPE (pipefail).
listing=$("$kexdump" list "$work/taken")
if ((rc == 0)) && [[ -f $d/summary ]] && grep -qxF "    $d" <<<"$listing"; then
	ok "capture when the names are taken: $(basename "$d"), listed"
else
	nok "capture with the names taken (rc $rc): $(cat "$work/out") / $(ls "$work/taken")"
fi

# Units for a config path with a space, a specifier, a variable and a
# quote: one quoted ExecStart= word, '%' and '$' doubled, the path made
# absolute; systemd-analyze verify takes them. A newline is refused.
mkdir "$work/my conf"
conf="$work/my conf/k%h\$HOME\"q.conf"
printf 'path %s/crash\n' "$work" >"$conf"
units=$work/units
mkdir "$units"
exe=$(realpath "$kexdump")
if (cd "$work/my conf" && "$kexdump" setup --print-units --config "k%h\$HOME\"q.conf") >"$units/all" 2>"$work/err"; then
	awk -v d="$units" '/^### /{f=d "/" $2; next} f{print > f}' "$units/all"
	want="ExecStart=$exe setup --boot --config \"$work/my conf/k%%h\$\$HOME\\\"q.conf\""
	if grep -qxF -- "$want" "$units/kexdump.service" && grep -qxF -- "$want" "$units/kexdump-rearm.service" &&
		grep -qxF "PathChanged=$work/my conf/k%%h\$HOME\"q.conf" "$units/kexdump-rearm.path"; then
		ok "setup --print-units: a config path with ' ', '%', '\$', '\"' quoted for systemd"
	else
		nok "setup --print-units: want $want: $(cat "$units/all")"
	fi
	if ! command -v systemd-analyze >/dev/null; then
		echo "# no systemd-analyze: the units are not verified"
	elif out=$(cd "$units" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
		"$units"/kexdump.service "$units"/kexdump-rearm.path "$units"/kexdump-rearm.service 2>&1); then
		ok "systemd-analyze verify: the units for that path pass"
	else
		nok "systemd-analyze verify: $out"
	fi
else
	nok "setup --print-units with a hostile config path: $(cat "$work/err")"
fi
nl=$work/$'new\nline.conf'
printf 'path %s/crash\n' "$work" >"$nl"
"$kexdump" setup --print-units --config "$nl" >"$work/out" 2>"$work/err"
rc=$?
if ((rc == 1)) && [[ ! -s $work/out && $(wc -l <"$work/err") == 1 ]] &&
	grep -qF "line.conf: a control character (0x0a) in the path: a systemd unit cannot name it" "$work/err"; then
	ok "setup --print-units: a config path with a newline is refused: $(cat "$work/err")"
else
	nok "setup --print-units with a newline (rc $rc): $(cat "$work/out" "$work/err")"
fi

# A file name with controls in an error line.
"$kexdump" info "$work/"$'nope\e[2J\a\xc2\x9b' >"$work/out" 2>"$work/err"
if (($? == 1)) && why=$(clean "$work/err" 2>&1) && [[ $(wc -l <"$work/err") == 1 ]] &&
	grep -qF "nope?[2J??: cannot open" "$work/err"; then
	ok "error line: a file name's controls are '?'"
else
	nok "error line: $why: $(od -c "$work/err" | head)"
fi

cli_done
