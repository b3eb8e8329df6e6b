#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# grub-image.sh -- print the path of a bootable disk image holding a real
# Debian bookworm system (systemd as PID 1, GRUB in the MBR, Debian's
# linux-image-amd64), built on the host from Debian packages and cached in
# $KEXDUMP_CACHE/grub-image/KEY/disk.img, KEY a hash of this script (the
# recipe and the package list): rebuilt only when the recipe changes.
# Callers never write to it: they boot a qcow2 overlay on it
# (tests/e2e/check-grub.sh).
#
# How, with no loop device or device-mapper:
#   - mmdebstrap (root mode) makes the root tree: systemd, systemd-sysv,
#     udev, grub-pc, linux-image-amd64, initramfs-tools, e2fsprogs, kmod;
#     no kexec-tools (kexdump loads kernels itself);
#   - the tree is configured for a serial console and quick boots: GRUB's
#     console=ttyS0 (GRUB_CMDLINE_LINUX) and serial terminal, no timeout, no
#     apt timers; initramfs-tools with MODULES=dep and COMPRESS=lz4 for the
#     guest's own update-initramfs (the first initrd, made in the chroot,
#     uses MODULES=most: dep would look at the host's root), and a
#     first /boot/grub/grub.cfg written here (the guest's update-grub
#     rewrites it);
#   - kdtest.service (/usr/local/sbin/kdtest-boot): at each boot, after
#     kexdump.service, it unpacks the tar the host wrote onto the disk with
#     serial kdcmd and runs its step.sh (the test's commands for that boot);
#   - mke2fs -d puts the tree into an ext4 partition image, sfdisk makes a
#     DOS partition table in the disk image, and the partition is copied in;
#   - GRUB goes in as grub-install would put it: grub-mkimage (run in the
#     tree: the guest's GRUB) makes core.img for i386-pc with biosdisk,
#     part_msdos and ext2, prefix (hd0,msdos1)/boot/grub; boot.img's code
#     goes into the MBR (its first 440 bytes: the partition table stays),
#     core.img from sector 1 (boot.img's kernel sector; diskboot.img's
#     blocklist, filled by grub-mkimage, reads the rest from sector 2), the
#     modules into /boot/grub/i386-pc.
# Logs to stderr; ~3-5 min on the first run (downloads ~250 MB).
set -euo pipefail
# shellcheck source=tests/vm/common.sh
. "$(dirname "$0")/common.sh"

PACKAGES=systemd,systemd-sysv,udev,dbus,grub-pc,linux-image-amd64,initramfs-tools,lz4,e2fsprogs,kmod,procps,util-linux,tar
ROOT_MB=3072

key=$(sha256sum "$0" | cut -c1-16)
dir=$CACHE/grub-image/$key
if [[ -e $dir/.complete ]]; then
	echo "$dir/disk.img"
	exit 0
fi
need_pkgs mmdebstrap fdisk e2fsprogs debian-archive-keyring
[[ $(id -u) == 0 ]] || die "building the image needs root (mmdebstrap's root mode, mke2fs -d keeps owners)"

mkdir -p "$CACHE/grub-image"
tmp=$(mktemp -d "$CACHE/grub-image/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
t0=$SECONDS
uuid=$(cat /proc/sys/kernel/random/uuid)
root=$tmp/root

# initramfs-tools' config before the kernel's postinst runs mkinitramfs.
setup_hook='mkdir -p "$1/etc/initramfs-tools/conf.d" &&
printf "MODULES=most\nCOMPRESS=lz4\n" >"$1/etc/initramfs-tools/conf.d/kdtest.conf"'

log "mmdebstrap bookworm ($PACKAGES)"
mmdebstrap --mode=root --variant=minbase --include="$PACKAGES" \
	--aptopt='APT::Install-Recommends "false"' \
	--setup-hook="$setup_hook" \
	--customize-hook='chroot "$1" grub-mkimage -O i386-pc -o /kdtest-core.img -p "(hd0,msdos1)/boot/grub" biosdisk part_msdos ext2' \
	bookworm "$root" \
	"deb http://deb.debian.org/debian bookworm main" \
	"deb http://deb.debian.org/debian-security bookworm-security main" >"$tmp/mmdebstrap.log" 2>&1 ||
	{ tail -n 30 "$tmp/mmdebstrap.log" >&2; die "mmdebstrap failed"; }
log "mmdebstrap: $((SECONDS - t0)) s"

release=$(ls "$root/lib/modules" | sort -V | tail -n1)
[[ -e $root/boot/vmlinuz-$release && -e $root/boot/initrd.img-$release ]] ||
	die "no kernel or initrd for '$release' in the tree"

# The guest's later update-initramfs runs on its own root: dep works there.
printf 'MODULES=dep\nCOMPRESS=lz4\n' >"$root/etc/initramfs-tools/conf.d/kdtest.conf"
echo kdgrub >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tkdgrub\n' >"$root/etc/hosts"
echo "UUID=$uuid / ext4 errors=remount-ro 0 1" >"$root/etc/fstab"
# root may log in on the serial console without a password (debugging).
chroot "$root" passwd -d root >/dev/null
cat >"$root/etc/default/grub" <<'EOF'
# Written by kexdump's tests/vm/grub-image.sh.
GRUB_DEFAULT=0
GRUB_TIMEOUT=0
GRUB_DISTRIBUTOR=Debian
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_CMDLINE_LINUX="console=ttyS0,115200"
GRUB_TERMINAL=serial
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_DISABLE_OS_PROBER=true
EOF
mkdir -p "$root/boot/grub/i386-pc"
cp "$root"/usr/lib/grub/i386-pc/*.mod "$root"/usr/lib/grub/i386-pc/*.lst "$root/boot/grub/i386-pc/"
chroot "$root" grub-editenv /boot/grub/grubenv create
# The first grub.cfg; the guest's update-grub (kexdump setup
# --apply-bootloader, a kernel's postinst) rewrites it.
cat >"$root/boot/grub/grub.cfg" <<EOF
# Written by kexdump's tests/vm/grub-image.sh; update-grub replaces it.
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
set timeout=0
insmod part_msdos
insmod ext2
search --no-floppy --fs-uuid --set=root $uuid
menuentry 'Debian GNU/Linux (first boot)' {
	echo 'Loading Linux $release ...'
	linux /boot/vmlinuz-$release root=UUID=$uuid ro console=ttyS0,115200
	initrd /boot/initrd.img-$release
}
EOF
# No timers or daemons that would compete with the test under TCG.
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
	e2scrub_reap.service systemd-timesyncd.service; do
	ln -sf /dev/null "$root/etc/systemd/system/$u"
done
chroot "$root" systemctl set-default multi-user.target >/dev/null 2>&1
# The test's driver: the host's commands for this boot, from the kdcmd disk.
cat >"$root/usr/local/sbin/kdtest-boot" <<'EOF'
#!/bin/sh
# Written by kexdump's tests/vm/grub-image.sh: runs step.sh of the tar
# on the disk with serial kdcmd (tests/e2e/check-grub.sh writes it).
cmd=/dev/disk/by-id/virtio-kdcmd
echo "KDTEST: driver up ($(uname -r))"
n=0
while [ ! -e $cmd ] && [ $n -lt 30 ]; do sleep 1; n=$((n + 1)); done
rm -rf /run/kdtest
mkdir -p /run/kdtest/out
if ! tar -xf $cmd -C /run/kdtest; then
	echo "KDTEST: no commands on $cmd"
	exit 0
fi
cd /run/kdtest && exec sh ./step.sh
EOF
chmod 755 "$root/usr/local/sbin/kdtest-boot"
cat >"$root/etc/systemd/system/kdtest.service" <<'EOF'
# Written by kexdump's tests/vm/grub-image.sh.
[Unit]
Description=kexdump GRUB e2e: this boot's commands from the host
After=local-fs.target kexdump.service

[Service]
Type=exec
ExecStart=/usr/local/sbin/kdtest-boot
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/kdtest.service "$root/etc/systemd/system/multi-user.target.wants/kdtest.service"
mv "$root/kdtest-core.img" "$tmp/core.img"
cp "$root/usr/lib/grub/i386-pc/boot.img" "$tmp/boot.img"
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*_Packages

# The root partition and the disk around it.
core_sectors=$((($(stat -c %s "$tmp/core.img") + 511) / 512))
((core_sectors < 2047)) || die "core.img is $core_sectors sectors: it does not fit before the partition"
mke2fs -q -t ext4 -L kdroot -U "$uuid" -d "$root" "$tmp/part.img" "${ROOT_MB}M" ||
	die "mke2fs -d failed"
truncate -s $(((ROOT_MB + 1) * 1024 * 1024)) "$tmp/disk.img"
echo 'label: dos
start=2048, type=83, bootable' | sfdisk -q "$tmp/disk.img" >/dev/null || die "sfdisk failed"
dd if="$tmp/part.img" of="$tmp/disk.img" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$tmp/boot.img" of="$tmp/disk.img" bs=440 count=1 conv=notrunc status=none
dd if="$tmp/core.img" of="$tmp/disk.img" bs=512 seek=1 conv=notrunc status=none
printf '%s\n' "release=$release" "uuid=$uuid" "packages=$PACKAGES" \
	"build_seconds=$((SECONDS - t0))" >"$tmp/info"
rm -rf "$root" "$tmp/part.img"
touch "$tmp/.complete"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
log "image $dir/disk.img ($release) built in $((SECONDS - t0)) s"
echo "$dir/disk.img"
