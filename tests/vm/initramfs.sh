#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# initramfs.sh KERNEL_DIR OUT_DIR -- build the test initramfs for the
# kernel extracted in KERNEL_DIR (see kernel.sh).  Writes:
#   OUT_DIR/capture.cpio.gz  busybox, kexec + libs, virtio modules, /init
#   OUT_DIR/initrd.cpio.gz   capture.cpio.gz followed by a second archive
#                            holding /kexdump/{vmlinuz,capture.cpio.gz}
# The first kernel boots initrd.cpio.gz and hands capture.cpio.gz (same
# /init and tools, just without the payload it cannot contain) to kexec -p.
# With --fill (bench/mkfilled.sh), initrd.cpio.gz gets a third archive
# holding /fill/modules/*.ko and /fill/modules.list: the ext4 stack the
# first kernel needs to mount the fill disk (see init).
# With --crashmod KO (mkdump.sh --panic irq|oops|hung|oom), the payload
# archive holds /kexdump/crashmod.ko too: the test module tests/vm/crashmod.sh
# built, which the first kernel loads (see init).
set -euo pipefail
# shellcheck source=tests/vm/common.sh
. "$(dirname "$0")/common.sh"

usage="usage: $0 KERNEL_DIR OUT_DIR [--fill] [--crashmod KO]"
(($# >= 2)) || die "$usage"
kdir=$1 out=$2 fill='' crashmod=''
shift 2
while (($#)); do
	case $1 in
	--fill) fill=1 ;;
	--crashmod) [[ $# -ge 2 && -s $2 ]] || die "$usage"; crashmod=$2; shift ;;
	*) die "$usage" ;;
	esac
	shift
done
need_pkgs busybox-static kexec-tools cpio kmod xz-utils gzip

vmlinuz=$(find "$kdir/boot" -name 'vmlinuz-*' | head -n1)
[[ -n $vmlinuz ]] || die "no vmlinuz in $kdir/boot"
release=${vmlinuz##*/vmlinuz-}
moddir=$kdir/lib/modules/$release
[[ -d $moddir ]] || die "no $moddir"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,modules,kexdump}
# The kernel opens /dev/console before /init can mount devtmpfs.
mknod -m 600 "$root/dev/console" c 5 1

cp /bin/busybox "$root/bin/busybox"
for a in $(/bin/busybox --list); do
	[[ -e $root/bin/$a ]] || ln -s busybox "$root/bin/$a"
done

# kexec is dynamically linked: copy it plus everything ldd resolves,
# keeping the library paths (including the /lib64 loader path).
cp /usr/sbin/kexec "$root/bin/kexec"
for lib in $(ldd /usr/sbin/kexec | grep -o '/[^ ]*'); do
	cp -L --parents "$lib" "$root"
done

install -m 755 "$(dirname "$0")/init" "$root/init"

# Resolve the virtio block stack from the two roots through modinfo's
# depends= field, depth first, so each module follows its dependencies.
# Built-in modules have no .ko and are skipped.
declare -A seen=()
add_mod() {
	local m=$1 f d
	[[ -z ${seen[$m]:-} ]] || return 0
	seen[$m]=1
	f=$(find "$moddir/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -n1)
	if [[ -z $f ]]; then
		grep -q "/$m.ko\$" "$moddir/modules.builtin" || die "module $m not found for $release"
		return 0
	fi
	for d in $(modinfo -F depends "$f" | tr , ' '); do
		add_mod "$d"
	done
	# busybox insmod only takes plain .ko files.
	case $f in
	*.xz) xz -dc "$f" >"$root/modules/$m.ko" ;;
	*.zst) zstd -qdc "$f" >"$root/modules/$m.ko" ;;
	*) cp "$f" "$root/modules/$m.ko" ;;
	esac
	echo "$m" >>"$root/modules.list"
}
: >"$root/modules.list"
for m in virtio_pci virtio_blk; do add_mod "$m"; done

mkdir -p "$out"
mkcpio() { (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -6; }
mkcpio "$root" >"$out/capture.cpio.gz"

payload=$root.payload
mkdir -p "$payload/kexdump"
trap 'rm -rf "$root" "$payload"' EXIT
cp "$vmlinuz" "$payload/kexdump/vmlinuz"
cp "$out/capture.cpio.gz" "$payload/kexdump/capture.cpio.gz"
[[ -z $crashmod ]] || cp "$crashmod" "$payload/kexdump/crashmod.ko"
# Concatenated cpio archives are unpacked one after the other by the kernel.
cat "$out/capture.cpio.gz" <(mkcpio "$payload") >"$out/initrd.cpio.gz"
if [[ -n $fill ]]; then
	# Same resolver, into a separate tree: the capture image stays as is.
	fillroot=$root.fill
	trap 'rm -rf "$root" "$payload" "$fillroot"' EXIT
	mv "$root/modules.list" "$root/capture.list" # for the log line below
	rm -rf "$root/modules"
	mkdir -p "$root/modules"
	: >"$root/modules.list"
	seen=()
	for m in virtio_pci virtio_blk crc32c_generic ext4; do add_mod "$m"; done
	mkdir -p "$fillroot/fill"
	mv "$root/modules" "$root/modules.list" "$fillroot/fill/"
	mv "$root/capture.list" "$root/modules.list"
	mkcpio "$fillroot" >>"$out/initrd.cpio.gz"
fi
log "initramfs for $release: $(tr '\n' ' ' <"$root/modules.list")($(du -h "$out/initrd.cpio.gz" | cut -f1))"
