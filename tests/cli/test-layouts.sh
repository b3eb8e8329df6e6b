#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-layouts.sh KEXDUMP MKSYNTH -- storage layouts of dump targets on
# REAL filesystems on loop devices (docs/setup.md):
#   btrfs with the dump folder in the subvolume @rootfs (Debian's installer's
#   layout): setup --dry-run and the capture initramfs's config name the
#   filesystem's UUID, the subvolume and the folder inside it; `kexdump
#   capture` with the filesystem unmounted mounts it with subvol= and the
#   dump lands in @rootfs/var/crash, nothing at the top level;
#   btrfs over two devices: the capture mounts it with device= for each;
#   XFS as /var of its own: the folder is /crash on it.
# The device-mapper (LVM) layout needs /dev/mapper/control, which a host
# without dm lacks: then it says so (the service e2e tests it in a guest).
# Needs root, loop devices, btrfs and xfs in the kernel and their mkfs;
# exits 77 (skipped) without them.
set -uo pipefail
kexdump=$(realpath "$1")
export PATH=$PATH:/usr/sbin:/sbin
# shellcheck source=tests/cli/common.sh
. "$(dirname "$0")/common.sh"
skip() { echo "SKIP: $*"; exit 77; }

((EUID == 0)) || skip "needs root (losetup, mount)"
for t in losetup mkfs.btrfs btrfs mkfs.xfs blkid mount umount cpio gzip; do
	command -v "$t" >/dev/null || skip "no $t (tools/deps.sh: btrfs-progs xfsprogs)"
done
[[ -e /dev/loop-control ]] || skip "no loop devices (/dev/loop-control)"
for fs in btrfs xfs; do
	grep -qw "$fs" /proc/filesystems || modprobe -q "$fs" 2>/dev/null ||
		skip "this kernel has no $fs"
done

cli_work "$2"
small=$work/small.core
loops=()
mounts=()
cleanup() {
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		mountpoint -q "${mounts[i]}" && umount "${mounts[i]}"
	done
	for l in "${loops[@]}"; do losetup -d "$l"; done
	chmod -R u+rwx "$work"
	rm -rf "$work"
}
trap cleanup EXIT
# newloop NAME SIZE: a loop device over a new image file, in $loop.
newloop() {
	truncate -s "$2" "$work/$1.img"
	loop=$(losetup -f --show "$work/$1.img" 2>"$work/err") || skip "losetup: $(cat "$work/err")"
	loops+=("$loop")
}
mnt() { # mnt [OPTS] DEV DIR
	mkdir -p "${*: -1}"
	mount "$@" 2>"$work/err" || { nok "mount $*: $(cat "$work/err")"; return 1; }
	mounts+=("${*: -1}")
}

# A module tree where the filesystems are built in (loop devices need no
# driver), and a static "init" (kd_initramfs_write checks only that).
mkdir "$work/mods"
: >"$work/mods/modules.dep"
printf 'kernel/fs/btrfs/btrfs.ko\nkernel/fs/xfs/xfs.ko\n' >"$work/mods/modules.builtin"
python3 - "$work/init" <<'PY'
import struct, sys
ehdr = b'\x7fELF' + bytes([2, 1, 1, 0]) + bytes(8)
ehdr += struct.pack('<HHIQQQIHHHHHH', 2, 62, 1, 0x400000, 64, 0, 0, 64, 56, 1, 0, 0, 0)
phdr = struct.pack('<IIQQQQQQ', 1, 5, 0, 0x400000, 0x400000, 120, 120, 0x1000)
open(sys.argv[1], 'wb').write(ehdr + phdr)
PY
chmod 755 "$work/init"

# kv FILE KEY: the value of KEY=VALUE in setup --dry-run's output.
kv() { sed -n "s/^$2=//p" "$1"; }

# ---- 1. btrfs, the folder in the subvolume @rootfs
newloop btrfs 256M
bl=$loop
mkfs.btrfs -q -f -L kdlay "$bl" >/dev/null 2>&1 || { nok "mkfs.btrfs $bl"; cli_done; exit 1; }
buuid=$(blkid -o value -s UUID "$bl")
mnt "$bl" "$work/top" && btrfs -q subvolume create "$work/top/@rootfs" >/dev/null &&
	mkdir -p "$work/top/@rootfs/var/crash" && chmod 700 "$work/top/@rootfs/var/crash"
umount "$work/top"
mnt -o subvol=@rootfs "$bl" "$work/root"
printf 'path %s/root/var/crash\nhostname h\ndump_level 1\n' "$work" >"$work/b.conf"
if "$kexdump" setup --dry-run --config "$work/b.conf" >"$work/b-setup" 2>&1 &&
	[[ $(kv "$work/b-setup" target) == "UUID=$buuid" && $(kv "$work/b-setup" fstype) == btrfs &&
		$(kv "$work/b-setup" subvol) == /@rootfs && $(kv "$work/b-setup" path) == /var/crash &&
		$(kv "$work/b-setup" device) == "${bl}" &&
		$(kv "$work/b-setup" local_path) == "$work/root/var/crash" ]]; then
	ok "btrfs: setup --dry-run: UUID=$buuid, subvolume /@rootfs, folder /var/crash on ${bl}"
else
	nok "btrfs: setup --dry-run: $(tr '\n' ' ' <"$work/b-setup")"
fi
if "$kexdump" initramfs -o "$work/b.img" --config "$work/b.conf" --moddir "$work/mods" \
	--init "$work/init" >"$work/b-initramfs" 2>&1 &&
	gzip -dc "$work/b.img" | cpio -i --to-stdout --quiet etc/kexdump.conf >"$work/b-conf" &&
	grep -qx "target UUID=$buuid" "$work/b-conf" && grep -qx 'subvol /@rootfs' "$work/b-conf" &&
	grep -qx 'path /var/crash' "$work/b-conf" && grep -qx 'fstype btrfs' "$work/b-conf"; then
	ok "btrfs: the capture initramfs's config says target UUID=$buuid, subvol /@rootfs, path /var/crash"
else
	nok "btrfs: initramfs: $(cat "$work/b-initramfs") config: $(tr '\n' ' ' <"$work/b-conf" 2>/dev/null)"
fi
# The capture with the filesystem unmounted: it mounts it itself.
umount "$work/root"
printf 'target UUID=%s\nsubvol /@rootfs\npath /var/crash\nhostname h\ndump_level 1\n' "$buuid" >"$work/bn.conf"
"$kexdump" capture --config "$work/bn.conf" --vmcore "$small" --no-action >"$work/out" 2>&1
rc=$?
mnt "$bl" "$work/top"
d=$(ls -d "$work"/top/@rootfs/var/crash/h-*/ 2>/dev/null | head -n1)
if ((rc == 0)) && grep -q "kexdump-capture: mounted $bl (btrfs, subvol=/@rootfs) on " "$work/out" &&
	[[ -n $d ]] && grep -qx status=complete "$d/summary" && [[ ! -e $work/top/var ]]; then
	ok "btrfs: capture mounted UUID=$buuid with subvol=/@rootfs; the dump is complete in @rootfs/var/crash, nothing at the top level"
else
	nok "btrfs: capture (rc $rc): $(tr '\n' ' ' <"$work/out") top: $(ls "$work/top" | tr '\n' ' ')"
fi
umount "$work/top"
mnt -o subvol=@rootfs "$bl" "$work/root"
out=$("$kexdump" list --config "$work/b.conf" 2>&1)
[[ $out == *"h  "*complete* && $out == *"$work/root/var/crash/h-"* ]] &&
	ok "btrfs: list finds the dump through the subvolume's mount" || nok "btrfs: list: $out"
umount "$work/root"

# ---- 2. btrfs over two devices
newloop m1 256M
m1=$loop
newloop m2 256M
m2=$loop
if mkfs.btrfs -q -f -d single -m raid1 "$m1" "$m2" >/dev/null 2>&1; then
	muuid=$(blkid -o value -s UUID "$m1")
	printf 'target UUID=%s\npath /crash\nhostname h\ndump_level 1\n' "$muuid" >"$work/m.conf"
	"$kexdump" capture --config "$work/m.conf" --vmcore "$small" --no-action >"$work/out" 2>&1
	rc=$?
	mnt "$m1" "$work/m"
	d=$(ls -d "$work"/m/crash/h-*/ 2>/dev/null | head -n1)
	if ((rc == 0)) &&
		grep -q "kexdump-capture: mounted $m1 (btrfs, device=$m1,device=$m2) on " "$work/out" &&
		[[ -n $d ]] && grep -qx status=complete "$d/summary"; then
		ok "btrfs over $m1 and $m2: capture mounted it with device= for each; the dump is complete"
	else
		nok "btrfs over two devices: capture (rc $rc): $(tr '\n' ' ' <"$work/out")"
	fi
	umount "$work/m"
else
	nok "mkfs.btrfs over $m1 $m2"
fi

# ---- 3. XFS as /var of its own
newloop xfs 320M
xl=$loop
mkfs.xfs -q -f -L kdvar "$xl" >/dev/null 2>&1 || { nok "mkfs.xfs $xl"; cli_done; exit 1; }
xuuid=$(blkid -o value -s UUID "$xl")
mnt "$xl" "$work/var"
mkdir -m 700 "$work/var/crash"
printf 'path %s/var/crash\nhostname h\ndump_level 1\n' "$work" >"$work/x.conf"
if "$kexdump" setup --dry-run --config "$work/x.conf" >"$work/x-setup" 2>&1 &&
	[[ $(kv "$work/x-setup" target) == "UUID=$xuuid" && $(kv "$work/x-setup" fstype) == xfs &&
		$(kv "$work/x-setup" path) == /crash && -z $(kv "$work/x-setup" subvol) ]]; then
	ok "xfs: setup --dry-run: UUID=$xuuid, folder /crash on $xl"
else
	nok "xfs: setup --dry-run: $(tr '\n' ' ' <"$work/x-setup")"
fi
umount "$work/var"
printf 'target UUID=%s\npath /crash\nhostname h\ndump_level 1\n' "$xuuid" >"$work/xn.conf"
"$kexdump" capture --config "$work/xn.conf" --vmcore "$small" --no-action >"$work/out" 2>&1
rc=$?
mnt "$xl" "$work/var"
d=$(ls -d "$work"/var/crash/h-*/ 2>/dev/null | head -n1)
if ((rc == 0)) && grep -q "kexdump-capture: mounted $xl (xfs) on " "$work/out" &&
	[[ -n $d ]] && grep -qx status=complete "$d/summary"; then
	ok "xfs: capture mounted UUID=$xuuid; the dump is complete in /crash"
else
	nok "xfs: capture (rc $rc): $(tr '\n' ' ' <"$work/out")"
fi
umount "$work/var"

if [[ ! -e /dev/mapper/control ]]; then
	echo "# no device-mapper on this host (/dev/mapper/control): no LVM layout here"
fi
cli_done
