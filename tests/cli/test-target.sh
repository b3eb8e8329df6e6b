#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-target.sh KEXDUMP -- the one dump-target resolver (kd_target_resolve)
# seen through `kexdump setup --dry-run`, `kexdump initramfs` (the config it
# writes into the archive, read back with cpio(1)) and `kexdump status
# --json`, on a REAL ext4 filesystem on a loop device mounted as ROOT/var:
# all three must name the same device, filesystem type and dump folder
# INSIDE that filesystem (/crash, not /var/crash), which is what the capture
# kernel, mounting the device alone, needs. Then the same with /var itself
# replaced by the loop device in a private mount namespace and no
# /etc/kexdump.conf: every command must take the defaults.
# Needs root and a free loop device; exits 77 (skipped) without them.
set -uo pipefail
kexdump=$(realpath "$1")
export PATH=$PATH:/usr/sbin:/sbin
# shellcheck source=tests/cli/common.sh
. "$(dirname "$0")/common.sh"
skip() { echo "SKIP: $*"; exit 77; }

# The check run inside the private mount namespace (see the end).
if [[ ${2:-} == --inner ]]; then
	loop=$3 uuid=$4 work=$5
	mount --make-rprivate / || exit 3
	mount "$loop" /var || exit 3
	set -e
	"$kexdump" setup --dry-run >"$work/ns-setup" 2>&1
	"$kexdump" initramfs -o "$work/ns.img" --moddir "$work/mods" --init "$work/init" \
		>"$work/ns-initramfs" 2>&1
	gzip -dc "$work/ns.img" | cpio -i --to-stdout --quiet etc/kexdump.conf >"$work/ns-conf"
	"$kexdump" status --json >"$work/ns-status" 2>&1 || true	# 1: not armed
	"$kexdump" list >"$work/ns-list" 2>&1
	exit 0
fi

((EUID == 0)) || skip "needs root (losetup, mount)"
for t in losetup mkfs.ext4 blkid mount umount cpio gzip python3; do
	command -v "$t" >/dev/null || skip "no $t"
done
[[ -e /dev/loop-control ]] || skip "no loop devices (/dev/loop-control)"

work=$(mktemp -d /tmp/kd-target.XXXXXX)
loop=""
cleanup() {
	mountpoint -q "$work/root/var" && umount "$work/root/var"
	[[ -n $loop ]] && losetup -d "$loop"
	rm -rf "$work"
}
trap cleanup EXIT

truncate -s 32M "$work/img"
mkfs.ext4 -q -F -L kdtarget "$work/img" || { nok "mkfs.ext4"; exit 1; }
loop=$(losetup -f --show "$work/img" 2>"$work/err") || skip "losetup: $(cat "$work/err")"
mkdir -p "$work/root/var"
mount "$loop" "$work/root/var" 2>"$work/err" || skip "cannot mount $loop: $(cat "$work/err")"
mkdir "$work/root/var/crash"
uuid=$(blkid -o value -s UUID "$loop")
name=${loop#/dev/}
devnum=$(printf '%d:%d' "0x$(stat -c %t "$loop")" "0x$(stat -c %T "$loop")")
[[ -n $uuid ]] || { nok "blkid gave no UUID for $loop"; exit 1; }

# A module tree where ext4 is built in (the loop device needs no driver
# module: it sits under /sys/devices/virtual), and a static "init": a
# 64-bit ELF executable without PT_INTERP is all kd_initramfs_write checks.
mkdir "$work/mods"
: >"$work/mods/modules.dep"
echo kernel/fs/ext4/ext4.ko >"$work/mods/modules.builtin"
python3 - "$work/init" <<'PY'
import struct, sys
ehdr = b'\x7fELF' + bytes([2, 1, 1, 0]) + bytes(8)
ehdr += struct.pack('<HHIQQQIHHHHHH', 2, 62, 1, 0x400000, 64, 0, 0, 64, 56, 1, 0, 0, 0)
phdr = struct.pack('<IIQQQQQQ', 1, 5, 0, 0x400000, 0x400000, 120, 120, 0x1000)
open(sys.argv[1], 'wb').write(ehdr + phdr)
PY
chmod 755 "$work/init"

# check_all TAG SETUP_OUT CONF_IN_ARCHIVE STATUS_JSON LOCAL: the three agree.
check_all() {
	local tag=$1 setup=$2 conf=$3 status=$4 local=$5
	if python3 - "$setup" "$conf" "$status" "$uuid" "$name" "$devnum" "$local" <<'PY'; then
import json, sys
setup_f, conf_f, status_f, uuid, name, devnum, local = sys.argv[1:]
s = dict(l.split('=', 1) for l in open(setup_f).read().splitlines())
c = {}
for l in open(conf_f).read().splitlines():
    if l and not l.startswith('#'):
        k, _, v = l.partition(' ')
        c[k] = v
t = json.load(open(status_f))['target']
want = {'target': 'UUID=' + uuid, 'fstype': 'ext4', 'path': '/crash'}
got = {
    'setup': {'target': s['target'], 'fstype': s['fstype'], 'path': s['path']},
    'initramfs': {'target': c.get('target'), 'fstype': c.get('fstype'), 'path': c.get('path')},
    'status': {'target': t['resolved'], 'fstype': t['fstype'], 'path': t['path_in_fs']},
}
for cmd, g in got.items():
    assert g == want, (cmd, g, want)
assert s['device'] == '/dev/' + name and s['devnum'] == devnum, s
assert t['device'] == name and t['devnum'] == devnum, t
assert s['local_path'] == local and t['dumps'] == local, (s['local_path'], t['dumps'])
assert t['mountpoint'] == local[:-len('/crash')] == s['mountpoint'], (t['mountpoint'], s)
assert 'error' not in t, t['error']
PY
		ok "$tag: setup, initramfs and status agree: UUID=$uuid ext4 /dev/$name ($devnum), folder /crash inside it = $local"
	else
		nok "$tag: setup: $(tr '\n' ' ' <"$setup") initramfs conf: $(tr '\n' ' ' <"$conf") status: $(cat "$status")"
	fi
}

# 1. No target: the path is a folder of this machine.
printf 'path %s/root/var/crash\n' "$work" >"$work/notarget.conf"
# 2. The target named, the path inside it.
printf 'target UUID=%s\npath /crash\n' "$uuid" >"$work/named.conf"
for kind in notarget named; do
	conf=$work/$kind.conf
	"$kexdump" setup --dry-run --config "$conf" >"$work/$kind-setup" 2>&1 ||
		nok "$kind: setup --dry-run: $(cat "$work/$kind-setup")"
	if "$kexdump" initramfs -o "$work/$kind.img" --config "$conf" --moddir "$work/mods" \
		--init "$work/init" --list >"$work/$kind-initramfs" 2>&1; then
		grep -q " /etc/kexdump.conf\$" "$work/$kind-initramfs" &&
			grep -q "target UUID=$uuid ext4, folder /crash\$" "$work/$kind-initramfs" &&
			ok "$kind: initramfs says target UUID=$uuid ext4, folder /crash; --list shows the config" ||
			nok "$kind: initramfs output: $(cat "$work/$kind-initramfs")"
	else
		nok "$kind: initramfs: $(cat "$work/$kind-initramfs")"
	fi
	gzip -dc "$work/$kind.img" | cpio -i --to-stdout --quiet etc/kexdump.conf >"$work/$kind-conf"
	"$kexdump" status --json --config "$conf" >"$work/$kind-status" 2>&1
	check_all "$kind" "$work/$kind-setup" "$work/$kind-conf" "$work/$kind-status" \
		"$work/root/var/crash"
done

# status and list find a dump the capture kernel left in /crash on the device.
d=$work/root/var/crash/host-2026-01-02-03:04:05
mkdir "$d" && printf 'status=complete\nrelease=6.1.0-test\n' >"$d/summary"
for kind in notarget named; do
	"$kexdump" status --json --config "$work/$kind.conf" >"$work/out" 2>&1
	out=$("$kexdump" list --config "$work/$kind.conf" 2>&1)
	if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["ndumps"]==1 and d["last_dump"]["release"]=="6.1.0-test", d' "$work/out" &&
		[[ $out == *"host  6.1.0-test"*complete* ]]; then
		ok "$kind: status and list see the dump in the folder on the device"
	else
		nok "$kind: status $(cat "$work/out") / list: $out"
	fi
done
rm -r "$d"

# setup says what the capture would refuse in the dump folder (the base of
# kd_dumpdir_create): writable by others without the sticky bit, owned by
# another user; writable by others with it is a warning.
c=$work/root/var/crash
for mode in 0777:1:"writable by other users (mode 0777) without the sticky bit" \
	1777:0:"warning: $c is writable by other users (mode 1777, sticky)" \
	0700,65534:1:"$c: owned by uid 65534, not root"; do
	IFS=: read -r m want msg <<<"$mode"
	chmod "${m%,*}" "$c" && { [[ $m != *,* ]] || chown "${m#*,}" "$c"; }
	"$kexdump" setup --dry-run --config "$work/notarget.conf" >"$work/out" 2>"$work/err"
	rc=$?
	if ((rc == want)) && [[ $(wc -l <"$work/err") == 1 ]] && grep -qF -- "$msg" "$work/err"; then
		ok "setup --dry-run, dump folder mode $m: rc $rc, $(cat "$work/err")"
	else
		nok "setup --dry-run, dump folder mode $m: rc $rc (want $want): $(cat "$work/err")"
	fi
	chown 0 "$c" && chmod 0700 "$c"
done

# 3. /var is the loop device and there is no /etc/kexdump.conf: the
# defaults (path /var/crash) in every command, resolved to /crash on it.
if [[ -e /etc/kexdump.conf ]]; then
	echo "# /etc/kexdump.conf exists on this machine: the missing-config case is not run"
elif ! command -v unshare >/dev/null || ! unshare -m true 2>/dev/null; then
	echo "# no private mount namespace (unshare -m): the missing-config case is not run"
else
	umount "$work/root/var"
	if unshare -m "$0" "$kexdump" --inner "$loop" "$uuid" "$work" >"$work/ns-out" 2>&1; then
		grep -qx "config=/etc/kexdump.conf" "$work/ns-setup" &&
			ok "no /etc/kexdump.conf: setup --dry-run takes the defaults" ||
			nok "setup --dry-run without a config: $(cat "$work/ns-setup")"
		check_all "default config, /var on its own filesystem" "$work/ns-setup" \
			"$work/ns-conf" "$work/ns-status" /var/crash
		grep -q "^no dumps in /var/crash" "$work/ns-list" &&
			ok "no /etc/kexdump.conf: list takes the defaults" ||
			nok "list without a config: $(cat "$work/ns-list")"
	else
		nok "without /etc/kexdump.conf (rc $?): $(cat "$work/ns-out") setup: $(cat "$work/ns-setup" 2>/dev/null) initramfs: $(cat "$work/ns-initramfs" 2>/dev/null) list: $(cat "$work/ns-list" 2>/dev/null)"
	fi
fi

cli_done
