#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# service-rootfs.sh SUITE KEXDUMP OUT_DIR [--compare] -- build the guest of
# the crash-dump service test (tests/e2e/check-service.sh): a machine that
# looks like a real one to `kexdump setup`, with /boot, /lib/modules and
# /etc/kexdump.conf on an ext4 root disk.  Writes:
#   OUT_DIR/root.img   ext4 image (mke2fs -d) holding busybox (the first
#                      kernel's user space only), the static KEXDUMP as
#                      /usr/sbin/kexdump, /boot/vmlinuz-REL and
#                      /boot/initrd.img-REL (= boot.cpio.gz, for the fast
#                      reboot), a trimmed /lib/modules/REL (virtio_pci,
#                      virtio_blk, ext4, virtio_net and their dependencies,
#                      depmod'ed),
#                      /etc/kexdump.conf and /sbin/init (service-init)
#   OUT_DIR/boot.cpio.gz  the guest's own boot initramfs: busybox insmods
#                      virtio + ext4, mounts /dev/vda and switch_roots to it
#                      (the crash capture never uses it: kexdump builds its
#                      own initramfs in the guest)
#   OUT_DIR/vmlinuz, OUT_DIR/release
# --compare adds /boot/cmp-initrd.img: busybox, kexec-tools and makedumpfile
# with their shared libraries, for bench/cycle.sh's comparison run (the
# "kexectools" scenario of service-init).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vm/common.sh
. "$here/common.sh"

usage="usage: $0 bookworm|trixie KEXDUMP OUT_DIR [--compare]"
[[ $# -eq 3 || ($# -eq 4 && $4 == --compare) ]] || die "$usage"
suite=$1 kexdump=$2 out=$3 compare=${4:-}
need_pkgs busybox-static e2fsprogs cpio kmod xz-utils zstd gzip
[[ -x $kexdump ]] || die "no kexdump binary $kexdump"
file -L "$kexdump" | grep -q 'statically linked' || die "$kexdump is not statically linked"
[[ -z $compare ]] || need_pkgs kexec-tools makedumpfile

kdir=$("$here/kernel.sh" "$suite")
vmlinuz=$(find "$kdir/boot" -name 'vmlinuz-*' | head -n1)
release=${vmlinuz##*/vmlinuz-}
moddir=$kdir/lib/modules/$release
[[ -d $moddir ]] || die "no $moddir"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/sbin,etc,dev,proc,sys,run,tmp,mnt,boot,var/crash,var/lib/kdtest,root}
chmod 1777 "$root/tmp"

# busybox: the guest's first-kernel user space (never in the capture path).
cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
	[[ -e $root/bin/$a ]] || ln -s busybox "$root/bin/$a"
done
install -m 755 "$kexdump" "$root/usr/sbin/kexdump"
# The lvm layout's installer (service-init, scenario lvm): Debian's own
# lvm2 tools (lvm, dmsetup) and mke2fs, dynamically linked, with what ldd
# resolves, in the first kernel's root only (the boot initramfs runs lvm
# from there through chroot to find the root LV; the capture initramfs,
# which kexdump builds, never holds them).
# The luks layout's installer the same way: Debian's cryptsetup (LUKS2),
# which the boot initramfs also runs through chroot to open the root.
need_pkgs lvm2 dmsetup e2fsprogs cryptsetup-bin
for b in /sbin/lvm /sbin/dmsetup /sbin/mke2fs /sbin/cryptsetup; do
	cp -L "$b" "$root/usr/sbin/${b##*/}"
	for lib in $(ldd "$b" | grep -o '/[^ ]*'); do
		cp -L --parents "$lib" "$root"
	done
done
mkdir -p "$root/etc/lvm" "$root/run"
install -m 755 "$here/service-init" "$root/sbin/init"
cp "$vmlinuz" "$root/boot/vmlinuz-$release"
echo guest >"$root/etc/hostname"
cat >"$root/etc/kexdump.conf" <<'EOF'
# kexdump test guest: dumps go to /var/crash on the root filesystem.
path /var/crash
final_action reboot
failure_action reboot
device_timeout 20
EOF

# The trimmed module tree: what it takes to reach an ext4 filesystem on a
# virtio disk, kept in the package's own (maybe .ko.xz) form, plus the
# crc32c providers ext4's "softdep pre: crypto-crc32c" names.  depmod then
# writes modules.dep/.alias/.softdep as on an installed system.
declare -A seen=()
order=()
add_mod() { # add_mod NAME: copy NAME and its depends= (depth first)
	local m=$1 f d
	[[ -z ${seen[$m]:-} ]] || return 0
	seen[$m]=1
	f=$(find "$moddir/kernel" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" \) | head -n1)
	if [[ -z $f ]]; then
		grep -q "/$m.ko\$" "$moddir/modules.builtin" || die "module $m not found for $release"
		return 0
	fi
	for d in $(modinfo -F depends "$f" | tr , ' '); do
		add_mod "$d"
	done
	local rel=${f#"$moddir"/}
	mkdir -p "$root/lib/modules/$release/$(dirname "$rel")"
	cp "$f" "$root/lib/modules/$release/$rel"
	order+=("$m:$rel")
}
# virtio_net (with net_failover, failover): the net scenarios' NIC, whose
# driver chain setup copies into the capture initramfs from sysfs.
for m in virtio_pci virtio_blk crc32c_generic crc32c-intel ext4 virtio_net; do add_mod "$m"; done
# The boot initramfs loads these; the kernel's NFSv4 client (nfs:// targets,
# setup's check and the capture initramfs) is only in the root's tree.
boot_order=("${order[@]}")
add_mod nfsv4
# The storage layouts (service-run.sh's btrfs and xfsnvme scenarios):
# each group is in the root's tree (setup copies it into the capture
# initramfs from there) and in the boot initramfs as a list of its own,
# loaded when kdtest.bootmods= names it.
# dm: dm-mod (linear, striped) for the lvm layout, and dm-delay, a target
# kexdump cannot re-create, for setup's refusal.
# crypt: dm-crypt and what its aes-xts-plain64 needs that is not built in
# (xts, ecb on 6.1; algif_skcipher, cryptsetup's way to the kernel's
# ciphers for the LUKS2 keyslots) for the luks layout's root: in the
# root's tree too, where setup could take them, and must not.
declare -A layout_mods=([btrfs]="btrfs" [xfs]="xfs" [nvme]="nvme" [dm]="dm-mod dm-delay"
	[crypt]="dm-crypt xts ecb algif_skcipher")
declare -A layout_order=() gseen=()
group_mods() { # group_mods NAME: NAME:REL of NAME and its depends=, deps first
	local m=$1 f d
	[[ -z ${gseen[$m]:-} ]] || return 0
	gseen[$m]=1
	f=$(find "$moddir/kernel" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" \) | head -n1)
	[[ -n $f ]] || return 0	# built in (add_mod checked)
	for d in $(modinfo -F depends "$f" | tr , ' '); do group_mods "$d"; done
	echo "$m:${f#"$moddir"/}"
}
for g in "${!layout_mods[@]}"; do
	gseen=()
	for m in ${layout_mods[$g]}; do
		add_mod "$m"
		layout_order[$g]+=" $(group_mods "$m" | tr '\n' ' ')"
	done
done
cp "$moddir"/modules.{builtin,builtin.modinfo,order} "$root/lib/modules/$release/"
depmod -b "$root" "$release" || die "depmod -b $root $release failed"
[[ -s $root/lib/modules/$release/modules.dep ]] || die "depmod wrote no modules.dep"

# The boot initramfs: busybox + the same modules uncompressed (busybox
# insmod takes plain .ko only), in dependency order.
boot=$work/boot
mkdir -p "$boot"/{bin,dev,proc,sys,newroot,modules}
mknod -m 600 "$boot/dev/console" c 5 1
cp /bin/busybox "$boot/bin/busybox"
for a in sh mount umount insmod switch_root sleep cat echo mkdir tr grep chroot; do ln -s busybox "$boot/bin/$a"; done
: >"$boot/modules.list"
for e in "${boot_order[@]}"; do
	m=${e%%:*} rel=${e#*:}
	case $rel in
	*.xz) xz -dc "$moddir/$rel" >"$boot/modules/$m.ko" ;;
	*.zst) zstd -qdc "$moddir/$rel" >"$boot/modules/$m.ko" ;;
	*) cp "$moddir/$rel" "$boot/modules/$m.ko" ;;
	esac
	echo "$m" >>"$boot/modules.list"
done
for g in "${!layout_order[@]}"; do
	: >"$boot/modules-$g.list"
	for e in ${layout_order[$g]}; do
		m=${e%%:*} rel=${e#*:}
		case $rel in
		*.xz) xz -dc "$moddir/$rel" >"$boot/modules/$m.ko" ;;
		*.zst) zstd -qdc "$moddir/$rel" >"$boot/modules/$m.ko" ;;
		*) cp "$moddir/$rel" "$boot/modules/$m.ko" ;;
		esac
		echo "$m" >>"$boot/modules-$g.list"
	done
done
cat >"$boot/init" <<'EOF'
#!/bin/sh
# The test guest's boot initramfs: load virtio + ext4, mount the root disk,
# hand over to its /sbin/init.  Any failure powers off (no hang).
# The storage layouts (service-run.sh) add, on the command line:
#   kdtest.bootmods=G,G  module groups to load too (btrfs, xfs, nvme, dm,
#                        crypt)
#   kdtest.rootfstype=T kdtest.rootflags=O   the root's type and options
#                        (btrfs, subvol=@rootfs: Debian's installer's)
#   kdtest.var=DEV:TYPE  a /var of its own, mounted before init (fstab's job)
#   kdtest.lvmroot=VG-LV the root on that LVM logical volume once it exists
#                        (the lvm layout: the first boot's installer makes
#                        it): Debian's lvm from the disk /dev/vda, run
#                        through chroot, activates the volume groups
#   kdtest.luksroot=PART:NAME  the root in the LUKS container on /dev/PART
#                        once it is one (the luks layout: the first boot's
#                        installer makes it): Debian's cryptsetup from
#                        /dev/vda, through chroot, opens it as NAME with
#                        the key file /etc/keys/NAME.key there
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
fail() { echo "KDTEST-ERROR: boot initramfs: $*"; echo o >/proc/sysrq-trigger; sleep 10; }
arg() { for w in $(cat /proc/cmdline); do case $w in "$1="*) echo "${w#*=}" ;; esac; done; }
waitdev() {
	i=0
	while [ ! -b "$1" ]; do
		i=$((i + 1)); [ $i -le 100 ] || fail "no $1"; sleep 0.1
	done
}
while read -r m; do insmod "/modules/$m.ko" || fail "insmod $m"; done </modules.list
for g in $(arg kdtest.bootmods | tr , ' '); do
	[ -f "/modules-$g.list" ] || fail "no module group $g"
	while read -r m; do
		grep -q "^$(echo "$m" | tr - _) " /proc/modules || insmod "/modules/$m.ko" || fail "insmod $m"
	done <"/modules-$g.list"
done
waitdev /dev/vda
rootdev=/dev/vda
lvmroot=$(arg kdtest.lvmroot)
if [ -n "$lvmroot" ]; then
	# The installer's disk holds lvm and its libraries: vgchange -ay in
	# a chroot into it, no udev (libdevmapper makes /dev/mapper's nodes).
	mkdir -p /inst
	mount -t ext4 -o ro /dev/vda /inst || fail "mount /dev/vda for lvm"
	mount -o bind /dev /inst/dev && mount -t proc proc /inst/proc &&
		mount -t sysfs sysfs /inst/sys && mount -t tmpfs tmpfs /inst/run ||
		fail "mounts for lvm"
	mkdir -p /inst/run/lock/lvm
	DM_DISABLE_UDEV=1 LVM_SUPPRESS_FD_WARNINGS=1 chroot /inst /usr/sbin/lvm vgchange -ay \
		--config 'devices { obtain_device_list_from_udev = 0 } activation { udev_sync = 0 udev_rules = 0 } global { locking_dir = "/run/lock/lvm" }'
	umount /inst/run /inst/sys /inst/proc /inst/dev /inst
	[ ! -b "/dev/mapper/$lvmroot" ] || rootdev=/dev/mapper/$lvmroot
fi
luksroot=$(arg kdtest.luksroot)
if [ -n "$luksroot" ]; then
	part=${luksroot%%:*} name=${luksroot#*:}
	waitdev "/dev/$part"
	mkdir -p /inst
	mount -t ext4 -o ro /dev/vda /inst || fail "mount /dev/vda for cryptsetup"
	mount -o bind /dev /inst/dev && mount -t proc proc /inst/proc &&
		mount -t sysfs sysfs /inst/sys && mount -t tmpfs tmpfs /inst/run ||
		fail "mounts for cryptsetup"
	mkdir -p /inst/run/cryptsetup
	# Not LUKS yet (the installer's boot): the root stays /dev/vda.
	if DM_DISABLE_UDEV=1 chroot /inst /usr/sbin/cryptsetup isLuks "/dev/$part"; then
		DM_DISABLE_UDEV=1 chroot /inst /usr/sbin/cryptsetup open --key-file "/etc/keys/$name.key" \
			"/dev/$part" "$name" || fail "cryptsetup open /dev/$part"
	fi
	umount /inst/run /inst/sys /inst/proc /inst/dev /inst
	[ ! -b "/dev/mapper/$name" ] || rootdev=/dev/mapper/$name
fi
rootfstype=$(arg kdtest.rootfstype) rootflags=$(arg kdtest.rootflags)
mount -t "${rootfstype:-ext4}" -o "rw${rootflags:+,$rootflags}" $rootdev /newroot ||
	fail "mount $rootdev (${rootfstype:-ext4} ${rootflags})"
var=$(arg kdtest.var)
if [ -n "$var" ]; then
	waitdev "${var%%:*}"
	mount -t "${var#*:}" "${var%%:*}" /newroot/var || fail "mount $var on /var"
fi
mount --move /dev /newroot/dev
umount /proc /sys
exec switch_root /newroot /sbin/init
EOF
chmod 755 "$boot/init"
mkcpio() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -6; }
mkdir -p "$out"
mkcpio "$boot" >"$out/boot.cpio.gz"
cp "$out/boot.cpio.gz" "$root/boot/initrd.img-$release"

if [[ -n $compare ]]; then
	# kexec-tools + makedumpfile, dynamically linked: copy them with what
	# ldd resolves (as tests/vm/initramfs.sh does for kexec).  The capture
	# side is busybox with the same modules.
	cmp=$work/cmp
	mkdir -p "$cmp"/{bin,dev,proc,sys,mnt,modules,tmp}
	mknod -m 600 "$cmp/dev/console" c 5 1
	cp /bin/busybox "$cmp/bin/busybox"
	for a in $(/bin/busybox --list); do
		[[ -e $cmp/bin/$a ]] || ln -s busybox "$cmp/bin/$a"
	done
	cp "$boot"/modules/*.ko "$cmp/modules/"
	cp "$boot/modules.list" "$cmp/modules.list"
	for b in /usr/sbin/kexec /usr/bin/makedumpfile; do
		cp "$b" "$cmp/bin/"
		for lib in $(ldd "$b" | grep -o '/[^ ]*'); do
			cp -L --parents "$lib" "$cmp"
		done
	done
	install -m 755 "$here/service-cmp-init" "$cmp/init"
	mkcpio "$cmp" >"$root/boot/cmp-initrd.img"
	# The first kernel runs kexec -p itself (kexectools scenario).
	cp /usr/sbin/kexec "$root/usr/sbin/kexec"
	for lib in $(ldd /usr/sbin/kexec | grep -o '/[^ ]*'); do
		cp -L --parents "$lib" "$root"
	done
fi

# 512 MiB, sparse on the host: room for a few dumps of a 1 GiB guest.
rm -f "$out/root.img"
mke2fs -q -t ext4 -L kdroot -d "$root" "$out/root.img" 512M >&2 ||
	die "mke2fs -d failed"
# The btrfs layout's root disk (service-run.sh --scenario btrfs): the same
# tree in the subvolume @rootfs of a btrfs filesystem whose default
# subvolume stays the top level, as Debian's installer leaves it. btrfs-progs
# 6.2 makes no subvolume with --rootdir: made on a loop device (root).
rm -f "$out/root-btrfs.img"
if ((EUID == 0)) && command -v mkfs.btrfs >/dev/null && [[ -e /dev/loop-control ]] &&
	grep -qw btrfs /proc/filesystems; then
	truncate -s 512M "$out/root-btrfs.img"
	mkfs.btrfs -q -L kdbtrfs "$out/root-btrfs.img" >&2
	bmnt=$work/btrfs
	mkdir -p "$bmnt"
	mount -o loop "$out/root-btrfs.img" "$bmnt" || die "cannot mount the btrfs image"
	if btrfs -q subvolume create "$bmnt/@rootfs" >&2 && cp -a "$root/." "$bmnt/@rootfs/"; then
		umount "$bmnt"
	else
		umount "$bmnt"
		die "cannot fill the btrfs image's @rootfs"
	fi
fi
cp "$vmlinuz" "$out/vmlinuz"
echo "$release" >"$out/release"
log "guest for $release: root.img ($(du -h "$out/root.img" | cut -f1) used), modules: $(for e in "${order[@]}"; do printf '%s ' "${e%%:*}"; done)"
