#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-chain.sh KEXDUMP MKSYNTH -- the target chain in `kexdump capture`
# (the capture kernel's flow on this machine, capture/init.c): a first
# target that cannot be reached (an nfs:// URL on a port of 127.0.0.1
# where nothing listens; an ssh:// target) gives way to the next, a local
# folder, which gets the whole dump; its summary names the target it went
# to and each one that failed, with why; the console says so too. When
# every target fails, the exit is 1 and the error lists them all.
set -uo pipefail
kexdump=$(realpath "$1") mksynth=$2
# shellcheck source=tests/cli/common.sh
. "$(dirname "$0")/common.sh"
cli_work "$mksynth"
small=$work/small.core

# A TCP port of 127.0.0.1 where nothing listens.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nfs="nfs://127.0.0.1:$port/exports/dumps"
ssh="ssh://kexdump@127.0.0.1:$port/var/crash"

# nfs:// refused, then the local folder.
printf 'hostname chain\ndump_level 1\ntarget %s\ntarget /dev/null\ndevice_timeout 5\n' "$nfs" >"$work/c1.conf"
"$kexdump" capture --config "$work/c1.conf" --vmcore "$small" --target-dir "$work/d1" \
	--no-action >"$work/out" 2>&1
rc=$?
d=$(echo "$work"/d1/chain-*)
why="cannot connect to 127.0.0.1 port $port (is the NFS server running there?): Connection refused"
if ((rc == 0)) && grep -qx 'status=complete' "$d/summary" &&
	grep -qx "target=$work/d1" "$d/summary" &&
	grep -qx "target_failed=$nfs: $why" "$d/summary" &&
	grep -q "^kexdump-capture: target 1 of 2: $nfs\$" "$work/out" &&
	grep -q "^kexdump-capture: ERROR: $why\$" "$work/out" &&
	grep -q "^kexdump-capture: target $nfs failed: $why; trying the next target\$" "$work/out" &&
	grep -q "^kexdump-capture: dump complete: $d " "$work/out" &&
	[[ -f $d/dmesg.txt ]] && "$kexdump" info "$d/vmcore" >/dev/null; then
	ok "chain: nfs:// refused, the local folder takes the whole dump; the summary names the failed target and why"
else
	nok "chain nfs -> local (rc $rc): $(cat "$work/out") / $(cat "$d/summary" 2>&1)"
fi

# ssh:// and nfs:// on a port where nothing listens, then local.
printf 'hostname chain\ndump_level 1\ntarget %s\ntarget %s\ntarget /dev/null\n' "$ssh" "$nfs" >"$work/c2.conf"
"$kexdump" capture --config "$work/c2.conf" --vmcore "$small" --target-dir "$work/d2" \
	--no-action >"$work/out" 2>&1
rc=$?
d=$(echo "$work"/d2/chain-*)
if ((rc == 0)) && grep -qx 'status=complete' "$d/summary" &&
	[[ $(grep -c '^target_failed=' "$d/summary") == 2 ]] &&
	[[ $(grep '^target_failed=' "$d/summary" | head -n1) == "target_failed=$ssh: "* ]] &&
	[[ $(grep '^target_failed=' "$d/summary" | tail -n1) == "target_failed=$nfs: $why" ]]; then
	ok "chain: two failed targets named in order in the summary"
else
	nok "chain ssh, nfs -> local (rc $rc): $(cat "$work/out") / $(cat "$d/summary" 2>&1)"
fi

# Every target fails: exit 1, each one named; the log on the console.
printf 'hostname chain\ntarget %s\ntarget %s/other\n' "$nfs" "$nfs" >"$work/c3.conf"
"$kexdump" capture --config "$work/c3.conf" --vmcore "$small" --no-action >"$work/out" 2>&1
rc=$?
if ((rc == 1)) &&
	grep -q "^kexdump-capture: dump failed: every target failed: $nfs: $why; $nfs/other: $why\$" "$work/out" &&
	grep -Eq '^kexdump-capture: (last [0-9]* lines of the crashed kernel|cannot read the kernel log)' "$work/out"; then
	ok "chain: every target failed: exit 1, each named, the log on the console"
else
	nok "chain all failed (rc $rc): $(cat "$work/out")"
fi

# A config without target lines is one local link, as before chains.
printf 'hostname plain\ndump_level 1\n' >"$work/c4.conf"
"$kexdump" capture --config "$work/c4.conf" --vmcore "$small" --target-dir "$work/d4" \
	--no-action >"$work/out" 2>&1
rc=$?
d=$(echo "$work"/d4/plain-*)
if ((rc == 0)) && grep -qx 'status=complete' "$d/summary" && ! grep -q '^target_failed=' "$d/summary" &&
	! grep -q 'target 1 of' "$work/out"; then
	ok "no chain: one local target, no failed targets"
else
	nok "plain capture (rc $rc): $(cat "$work/out")"
fi
cli_done
