#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-sftp.sh DUMPDIR KEXDUMP SFTP_CLIENT CMP_PAGES -- the ssh target
# (lib/service/sftp.c) against a real OpenSSH sshd that this script starts
# on 127.0.0.1 on a port of its own (tests/e2e/sshd.sh: its own host key,
# authorized_keys and config, internal-sftp; never the machine's sshd),
# with one real dump made by tests/vm/mkdump.sh (DUMPDIR/vmcore):
#   - the key kexdump makes (0600, its public line), the host key pinned
#     on first contact with OpenSSH's fingerprint, setup's probe;
#   - a dump saved over SFTP is the same file, byte for byte, as a local
#     kexdump save of the same dump, every page equal to the source's
#     (CMP_PAGES), and makedumpfile and crash read it;
#   - a dropped link: sshd killed (SIGKILL, with its session) a third of
#     the way through and started again 2 s later: the save resumes, and
#     the file is still byte for byte the local one;
#   - a link lost for good: the save ends incomplete, the file on the
#     server says so and holds what it says it holds;
#   - a changed host key, a refused key, an unknown host, a port where
#     nothing listens: each refused with one line saying what to do;
#   - kexdump capture's target chain with that changed host key: the ssh
#     target refused, the next (local) target takes the dump, and the
#     summary and console say which target failed and why.
# Prints "ok - ..." / "not ok - ..." per check (skips as "ok - ... # SKIP
# why"), and a closing "N passed, N failed, N skipped" line; exits non-zero
# when any check failed. Env: KEXDUMP_CRASH=0 skips crash.
set -uo pipefail
if (($# != 4)); then
	echo "usage: $0 DUMPDIR KEXDUMP SFTP_CLIENT CMP_PAGES" >&2
	exit 2
fi
dir=${1%/} kexdump=$2 client=$3 cmp_pages=$4
here=$(cd "$(dirname "$0")" && pwd)
vmcore=$dir/vmcore
name=sftp:$(basename "$dir")
pass=0 fail=0 skip=0
ok() { echo "ok - $name: $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $name: $*"; fail=$((fail + 1)); }
skip() { echo "ok - $name: $1 # SKIP $2"; skip=$((skip + 1)); }
excerpt() { head -n "${2:-5}" "$1" | sed 's/^/#   /'; }
finish() {
	echo "$pass passed, $fail failed, $skip skipped"
	((fail == 0))
	exit
}
for t in /usr/sbin/sshd ssh-keygen; do
	if ! command -v "$t" >/dev/null; then
		nok "$t is not installed (tools/deps.sh installs openssh-server)"
		finish
	fi
done
[[ -r $vmcore ]] || { nok "$vmcore: no dump"; finish; }

work=$(mktemp -d /tmp/kd-sftp.XXXXXX) || exit 2
# shellcheck source=tests/e2e/sshd.sh
source "$here/sshd.sh"
cleanup() {
	sshd_kill
	rm -rf "$work"
}
trap cleanup EXIT
sshd_init "$work/sshd" || { nok "cannot set up sshd"; finish; }
sshd_start || { nok "sshd does not start"; finish; }
key=$work/etc/id_ed25519 kh=$work/etc/known_hosts srv=$work/srv
mkdir -p "$work/etc" "$srv"
user=$(id -un)
# sc [OPTIONS] -- COMMAND ARGS: the client on this server with our key and
# known_hosts
sc() {
	local opts=()
	while [[ $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	shift
	"$client" "${opts[@]}" "$user" 127.0.0.1 "$SSHD_PORT" "$key" "$kh" "$@"
}
# one_line FILE WORDS DESC: FILE is one line "sftp-client: ..." holding WORDS
one_line() {
	local n
	n=$(wc -l <"$1")
	if ((n == 1)) && grep -q -- "$2" "$1"; then
		ok "$3: $(cut -c1-160 "$1")"
	else
		nok "$3: not one line with '$2'"
		excerpt "$1"
	fi
}

# ---------------------------------------------------------------- key, pin
if line=$("$client" keygen "$key" 2>"$work/keygen.err") && [[ $line == "ssh-ed25519 AAAA"* ]] &&
	[[ $(stat -c %a "$key") == 600 && $(stat -c %a "$key.pub") == 644 ]] &&
	[[ $(cat "$key.pub") == "$line" ]] && ssh-keygen -l -f "$key" >/dev/null 2>&1; then
	ok "keygen: ed25519 key 0600 (OpenSSH reads it), public line in $(basename "$key").pub"
else
	nok "keygen: $(cat "$work/keygen.err") [$line]"
fi
again=$("$client" keygen "$key" 2>/dev/null)
[[ $again == "$line" ]] && ok "keygen: an existing key is kept" ||
	nok "keygen: an existing key changed: $again"
echo "$line" >>"$SSHD_DIR/authorized_keys"

want=$(ssh-keygen -l -E sha256 -f "$SSHD_DIR/host_ed25519.pub" | awk '{print $2}')
if sc --pin -- probe "$srv/dumps" >"$work/pin.out" 2>"$work/pin.err" &&
	grep -qx "pinned $want" "$work/pin.out" && (($(wc -l <"$kh") == 1)); then
	ok "first contact pins the host key in known_hosts, fingerprint as OpenSSH's ($want)"
else
	nok "pin: $(cat "$work/pin.out" "$work/pin.err")"
fi
if [[ -d $srv/dumps && $(stat -c %a "$srv/dumps") == 700 && -z $(ls -A "$srv/dumps") ]]; then
	ok "probe: folder made 0700, the probe file written and deleted"
else
	nok "probe: $(ls -la "$srv/dumps" 2>&1 | head -n 3)"
fi
sc --pin -- probe "$srv/dumps" >"$work/pin2.out" 2>&1
[[ ! -s $work/pin2.out && $(wc -l <"$kh") == 1 ]] && ok "a pinned host is not pinned again" ||
	nok "pinned again: $(cat "$work/pin2.out")"

# -------------------------------------------------------- a complete save
# The local reference: the same options (dump level 31, zstd). The codec
# is named on both sides: compress auto now chooses by the target's
# measured speed (lib/save/save-auto.c), so a local folder and an SFTP
# server may get different codecs, and the point here is the writer.
if ! "$kexdump" save -d 31 -c zstd "$vmcore" "$work/local.kdump" >"$work/local.out" 2>&1; then
	nok "local save failed: $(tail -n1 "$work/local.out")"
	finish
fi
size=$(stat -c %s "$work/local.kdump")
if sc --codec zstd -- save "$vmcore" "$srv/dumps/vmcore" >"$work/save.out" 2>"$work/save.err" &&
	grep -q '^status=complete drops=0' "$work/save.out"; then
	ok "save over SFTP: $(cut -d' ' -f1,7- "$work/save.out")"
else
	nok "save over SFTP: $(cat "$work/save.out" "$work/save.err")"
fi
if cmp -s "$work/local.kdump" "$srv/dumps/vmcore"; then
	ok "the file on the server is byte for byte the local save ($size bytes, a kdump file, not a flattened stream)"
else
	nok "the file on the server differs from the local save: $(cmp "$work/local.kdump" "$srv/dumps/vmcore" 2>&1)"
fi
[[ ! -e $srv/dumps/vmcore.incomplete && $(stat -c %a "$srv/dumps/vmcore") == 600 ]] &&
	ok "vmcore.incomplete renamed to vmcore, mode 0600" ||
	nok "after the save: $(ls -la "$srv/dumps")"
if r=$("$cmp_pages" "$vmcore" "$srv/dumps/vmcore" 2>&1); then
	ok "every page of the file on the server equals the source's: $(head -n1 <<<"$r")"
else
	nok "cmp-pages: $(head -n3 <<<"$r")"
fi
if "$kexdump" info "$srv/dumps/vmcore" >"$work/info.out" 2>&1 && ! grep -q '^incomplete' "$work/info.out"; then
	ok "kexdump info reads it, not marked incomplete"
else
	nok "kexdump info: $(grep -m1 'incomplete\|kexdump:' "$work/info.out")"
fi

# makedumpfile and crash, peers that are not kexdump: on a zlib save
# (Debian 12's makedumpfile reads no zstd).
if sc --codec zlib -- save "$vmcore" "$srv/dumps/vmcore.zlib" >"$work/zl.out" 2>&1; then
	makedumpfile --dump-dmesg "$vmcore" "$work/src.dmesg" >/dev/null 2>&1
	if makedumpfile --dump-dmesg "$srv/dumps/vmcore.zlib" "$work/zl.dmesg" >"$work/md.out" 2>&1 &&
		[[ -s $work/zl.dmesg ]] && cmp -s "$work/src.dmesg" "$work/zl.dmesg"; then
		ok "makedumpfile --dump-dmesg reads the SFTP-written dump: the source's log ($(wc -l <"$work/zl.dmesg") lines)"
	else
		nok "makedumpfile --dump-dmesg: $(tail -n2 "$work/md.out")"
	fi
	release=$("$kexdump" info --json "$vmcore" | grep -o '"release": *"[^"]*"' | cut -d'"' -f4)
	if [[ ${KEXDUMP_CRASH:-1} == 0 ]]; then
		skip "crash reads the SFTP-written dump" "KEXDUMP_CRASH=0"
	elif ! command -v crash >/dev/null; then
		skip "crash reads the SFTP-written dump" "crash not installed"
	elif ! vmlinux=$("$here/../vm/vmlinux-dbg.sh" "$release" 2>"$work/vmlinux.err"); then
		skip "crash reads the SFTP-written dump" "no debug vmlinux for $release"
	else
		[[ -s $vmlinux.gdb-index ]] && vmlinux=$vmlinux.gdb-index
		if "$here/crash-oracle.sh" "$vmlinux" "$srv/dumps/vmcore.zlib" "$work/crash" \
			2>"$work/crash.why" && grep -q 'Kernel panic' "$work/crash/log" &&
			[[ -s $work/crash/bt ]]; then
			ok "crash opens the SFTP-written dump: log has the panic, bt $(wc -l <"$work/crash/bt") lines"
		else
			nok "crash: $(cat "$work/crash.why")"
		fi
	fi
else
	nok "zlib save over SFTP: $(cat "$work/zl.out")"
fi

# ------------------------------------------------------------- dropped link
# The hook runs inside the save once a third of the bytes are written:
# sshd and its session die (SIGKILL); the script starts sshd again 2 s
# later. The hook only kills and says so (a flag file): sshd's pid is ours.
hook() {
	echo "kill -9 $SSHD_PID \$(pgrep -P $SSHD_PID) 2>/dev/null; touch $work/killed"
}
rm -f "$work/killed"
sc --codec zstd --on-bytes $((size / 3)) "$(hook)" -- save "$vmcore" "$srv/dumps/vmcore.drop" \
	>"$work/drop.out" 2>"$work/drop.err" &
cpid=$!
for ((i = 0; i < 600; i++)); do
	[[ -e $work/killed ]] && break
	kill -0 "$cpid" 2>/dev/null || break
	sleep 0.1
done
if [[ -e $work/killed ]]; then
	sshd_wait_dead
	sleep 2
	sshd_start || nok "sshd does not start again"
fi
wait "$cpid"
rc=$?
if ((rc == 0)) && grep -q '^status=complete drops=1 reconnects=1' "$work/drop.out"; then
	ok "sshd killed a third of the way through, back 2 s later: the save resumed ($(cut -d' ' -f1-5 "$work/drop.out"))"
else
	nok "dropped link: rc=$rc $(cat "$work/drop.out" "$work/drop.err")"
fi
cmp -s "$work/local.kdump" "$srv/dumps/vmcore.drop" &&
	ok "after the resume the file is still byte for byte the local save" ||
	nok "after the resume the file differs: $(cmp "$work/local.kdump" "$srv/dumps/vmcore.drop" 2>&1)"

# A link lost for good: nobody restarts sshd; two quick retries.
rm -f "$work/killed"
sc --codec zstd --retries 2 --retry-wait-ms 200 --on-bytes $((size / 3)) "$(hook)" -- save "$vmcore" \
	"$srv/dumps/vmcore.lost" >"$work/lost.out" 2>"$work/lost.err"
rc=$?
[[ -e $work/killed ]] && sshd_wait_dead
if ((rc == 1)) && grep -q '^status=incomplete drops=1 reconnects=0' "$work/lost.out"; then
	ok "a link lost for good: the save ends incomplete ($(cut -d' ' -f1-3 "$work/lost.out"))"
else
	nok "lost link: rc=$rc $(cat "$work/lost.out" "$work/lost.err")"
fi
one_line "$work/lost.err" "dropped and resuming failed" "the lost link's error"
lost=$srv/dumps/vmcore.lost.incomplete
if [[ -s $lost ]] && "$kexdump" info "$lost" 2>&1 | grep -q '^incomplete: *yes'; then
	ok "what the server holds is a dump marked incomplete ($(stat -c %s "$lost") bytes)"
else
	nok "the server's partial file: $(ls -la "$srv/dumps" | tail -n +2)"
fi
if r=$("$cmp_pages" "$vmcore" "$lost" --allow-missing 2>&1); then
	ok "each page it holds equals the source's: $(head -n1 <<<"$r")"
else
	nok "cmp-pages on the partial file: $(head -n3 <<<"$r")"
fi

# ---------------------------------------------------------- refused logins
sshd_start || nok "sshd does not start"
"$client" "$user" 127.0.0.1 "$SSHD_PORT" "$key" "$work/etc/empty_known_hosts" probe "$srv/dumps" \
	>/dev/null 2>"$work/unknown.err"
(($? == 1)) && one_line "$work/unknown.err" "is not in .*: add it there .*kexdump setup pin it" "unknown host key" ||
	nok "unknown host key accepted"
cp "$SSHD_DIR/authorized_keys" "$work/ak"
: >"$SSHD_DIR/authorized_keys"
sc -- probe "$srv/dumps" >/dev/null 2>"$work/refused.err"
(($? == 1)) && one_line "$work/refused.err" "refused the key .*authorized_keys" "refused key" ||
	nok "a key not in authorized_keys accepted"
cp "$work/ak" "$SSHD_DIR/authorized_keys"
sshd_kill
sshd_new_host_key
sshd_start || nok "sshd does not start"
sc -- probe "$srv/dumps" >/dev/null 2>"$work/changed.err"
(($? == 1)) && one_line "$work/changed.err" "changed since it was pinned.*kexdump setup again" \
	"changed host key" || nok "a changed host key accepted"
sc --pin -- probe "$srv/dumps" >/dev/null 2>"$work/changed2.err"
(($? == 1)) && one_line "$work/changed2.err" "changed since it was pinned" \
	"a changed host key is refused even when pinning" || nok "--pin replaced a changed host key"
# The capture's chain with that changed host key (capture/chain.c, as
# kexdump capture runs it in the capture kernel): the ssh target is
# refused, nothing is written on that server, and the next target, a
# local folder, takes the whole dump; its summary names the ssh target
# and why, and the console says so.
url="ssh://$user@127.0.0.1:$SSHD_PORT$srv/hk"
printf 'hostname hk\ndump_level 31\ntarget %s\ntarget /dev/null\nssh_key %s\nknown_hosts %s\n' \
	"$url" "$key" "$kh" >"$work/hk.conf"
"$kexdump" capture --config "$work/hk.conf" --vmcore "$vmcore" --target-dir "$work/hklocal" \
	--no-action >"$work/hk.out" 2>&1
rc=$?
d=$(echo "$work"/hklocal/hk-*)
if ((rc == 0)) && grep -qx 'status=complete' "$d/summary" 2>/dev/null &&
	grep -q "^target_failed=$url: .*changed since it was pinned" "$d/summary" &&
	grep -q "^kexdump-capture: target $url failed: .*changed since it was pinned.*; trying the next target\$" "$work/hk.out" &&
	[[ -z $(find "$srv/hk" -type f 2>/dev/null) ]]; then
	ok "capture with a changed host key: the ssh target refused ($(grep -o 'changed since it was pinned[^;]*' "$work/hk.out" | head -n1 | cut -c1-80)), nothing written there, the local folder took the whole dump, the summary names why"
else
	nok "capture with a changed host key (rc $rc): $(grep -v '^h' "$work/hk.out" | head -n 6 | tr '\n' ';') / $(cat "$d/summary" 2>&1 | tr '\n' ' ')"
fi
r=$("$cmp_pages" "$vmcore" "$d/vmcore" 2>&1) && ok "that local dump: every page it holds equals the source's ($(head -n1 <<<"$r" | cut -d' ' -f1-3))" ||
	nok "cmp-pages on the fallback's dump: $(head -n3 <<<"$r")"
dead=$(sshd_free_port)
"$client" "$user" 127.0.0.1 "$dead" "$key" "$kh" probe "$srv/dumps" >/dev/null 2>"$work/dead.err"
(($? == 1)) && one_line "$work/dead.err" "cannot connect to 127.0.0.1 port $dead: Connection refused" \
	"nothing listening" || nok "a dead port answered"
finish
