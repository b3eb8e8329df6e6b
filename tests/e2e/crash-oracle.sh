#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# crash-oracle.sh VMLINUX DUMP OUTDIR -- run the crash utility on DUMP
# (any format crash reads: ELF vmcore, kdump-compressed "diskdump") and
# write the output of each of its commands log, bt, ps and kmem -i to
# OUTDIR/log, OUTDIR/bt, OUTDIR/ps, OUTDIR/kmem-i, and what crash printed
# outside them (start-up warnings) to OUTDIR/session. check-save.sh
# compares these files between a dump and kexdump save's outputs of it:
# crash's answer on the source dump is the oracle, right or wrong.
#
# Exit status 0 when crash ran the commands; 1 when it could not open the
# dump, with its reason as the one line on stderr; 2 on usage errors.
# Env: KEXDUMP_CRASH_TIMEOUT (seconds, default 300); KEXDUMP_CRASH_CMD, the
# crash to run (default: crash from PATH; check-save.sh gives trixie's for
# 6.12 dumps, tests/vm/crash-new.sh).
set -uo pipefail
if (($# != 3)); then
	echo "usage: $0 VMLINUX DUMP OUTDIR" >&2
	exit 2
fi
vmlinux=$1 dump=$2 out=$3
crash=${KEXDUMP_CRASH_CMD:-crash}
command -v "$crash" >/dev/null || { echo "$crash is not installed" >&2; exit 1; }
mkdir -p "$out" || exit 2
rm -f "$out"/{log,bt,ps,kmem-i,session}
# Each command's output goes to its own file (crash's "> FILE"
# redirection); -s and --no_scroll keep the pager away; stdin is
# /dev/null so that the session ends after the command file.
cat >"$out/cmds" <<EOF
log > $out/log
bt > $out/bt
ps > $out/ps
kmem -i > $out/kmem-i
exit
EOF
# In the background so that a TERM from the caller (check-save.sh
# cleaning up) reaches crash too.
timeout "${KEXDUMP_CRASH_TIMEOUT:-300}" "$crash" -s --no_scroll -i "$out/cmds" \
	"$vmlinux" "$dump" </dev/null >"$out/session.raw" 2>&1 &
child=$!
trap 'kill "$child" 2>/dev/null; exit 1' TERM INT
wait "$child"
rc=$?
trap - TERM INT
# Lines that name the files or the terminal, not the dump's contents;
# crash's own "error trace:" lists its return addresses, which move with
# crash's own ASLR from one run to the next (seen on 6.12 dumps, where
# crash warns at start-up and goes on): keep the line, drop the addresses.
grep -a -v -F -e 'NOTE: stdin: not a tty' -e "$dump" "$out/session.raw" |
	sed -E 's/(error trace:).*/\1 (addresses of crash itself)/' >"$out/session"
if ((rc == 124)); then
	echo "crash timed out after ${KEXDUMP_CRASH_TIMEOUT:-300} s" >&2
	exit 1
fi
for f in log bt ps kmem-i; do
	[[ -s $out/$f ]] && continue
	# crash 8.0.2 prints the error that stops its start-up only at debug
	# level 1 or more: ask again for its reason, the last "crash: ..." line.
	if [[ ! -s $out/session.raw ]]; then
		timeout "${KEXDUMP_CRASH_TIMEOUT:-300}" "$crash" -d 1 --no_scroll -i "$out/cmds" \
			"$vmlinux" "$dump" </dev/null >"$out/session.raw" 2>&1
	fi
	why=$(grep -a '^crash: ' "$out/session.raw" | tail -n 1)
	[[ -n $why ]] || why=$(grep -a -v '^ *$' "$out/session.raw" | tail -n 1)
	echo "crash (exit $rc) wrote no '$f' output: ${why:-no message}" >&2
	exit 1
done
exit 0
