#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# crashmod.sh RELEASE -- build tests/vm/crashmod/crashmod.c (the test module
# whose oops, IRQ-context oops and hung task tests/vm/init triggers) for the
# Debian kernel RELEASE (e.g. 6.1.0-57-amd64) and print the path of the
# crashmod.ko. The kernel's build tree comes from Debian's own packages,
# linux-headers-RELEASE, linux-headers-*-common and linux-kbuild-*, fetched
# with the private apt set-up of kernel.sh and extracted (dpkg-deb -x, never
# installed) under $KEXDUMP_CACHE/headers/RELEASE. The module is rebuilt
# when its source changes (cached by the source's hash).
# Env: KEXDUMP_CACHE (default ~/.cache/kexdump), KEXDUMP_MODULE_CC (gcc-12).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vm/common.sh
. "$here/common.sh"

[[ $# -eq 1 ]] || die "usage: $0 RELEASE"
release=$1
[[ $release =~ ^[0-9][0-9a-z.+~-]*$ ]] || die "bad release name '$release'"
cc=${KEXDUMP_MODULE_CC:-gcc-12}
need_pkgs apt debian-archive-keyring dpkg make "$cc" libc6-dev
hdir=$CACHE/headers/$release
if [[ ! -e $hdir/.complete ]]; then
	apt_setup
	pkg=linux-headers-$release
	# The flavour package depends on its -common package and on the
	# kbuild tools package (linux-kbuild-6.1, linux-kbuild-6.12.N+debNN):
	# take both names from its Depends line.
	deps=$(apt-cache "${APT_OPTS[@]}" show "$pkg" | sed -n 's/^Depends: //p' | head -n1)
	[[ -n $deps ]] || die "no package $pkg in the private apt lists"
	common=$(grep -o 'linux-headers-[^ ,]*-common' <<<"$deps" | head -n1)
	kbuild=$(grep -o 'linux-kbuild-[^ ,]*' <<<"$deps" | head -n1)
	[[ -n $common && -n $kbuild ]] || die "cannot find the -common and kbuild packages in $pkg's Depends: $deps"
	log "fetching $pkg $common $kbuild"
	mkdir -p "$CACHE/headers"
	tmp=$(mktemp -d "$CACHE/headers.tmp.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get "${APT_OPTS[@]}" download -qq "$pkg" "$common" "$kbuild" >&2) ||
		die "apt-get download $pkg $common $kbuild failed"
	mkdir -p "$tmp/root"
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$tmp/root" || die "dpkg-deb -x $deb failed"
	done
	[[ -e $tmp/root/usr/src/linux-headers-$release/Makefile ]] ||
		die "no usr/src/linux-headers-$release/Makefile in $pkg"
	touch "$tmp/root/.complete"
	rm -rf "$hdir"
	mv "$tmp/root" "$hdir"
fi
kbuild_dir=$hdir/usr/src/linux-headers-$release
# The flavour tree's Makefile includes the -common tree's by its absolute
# /usr/src path: point it into the extracted copy (its scripts and tools
# links are relative, into the extracted linux-kbuild-* already).
sed -i "s|^include /usr/src/|include $hdir/usr/src/|" "$kbuild_dir/Makefile"

src=$here/crashmod
hash=$(cat "$src/crashmod.c" "$src/Kbuild" | sha256sum | cut -c1-16)
out=$CACHE/crashmod/$release-$hash
if [[ ! -s $out/crashmod.ko ]]; then
	log "building crashmod.ko for $release with $cc"
	mkdir -p "$CACHE/crashmod"
	bdir=$(mktemp -d "$CACHE/crashmod.tmp.XXXXXX")
	trap 'rm -rf "$bdir"' EXIT
	cp "$src/crashmod.c" "$src/Kbuild" "$bdir/"
	make -s -C "$kbuild_dir" M="$bdir" CC="$cc" HOSTCC="$cc" modules >"$bdir/build.log" 2>&1 ||
		die "module build failed: $(tail -n 20 "$bdir/build.log")"
	[[ -s $bdir/crashmod.ko ]] || die "the build made no crashmod.ko"
	rm -rf "$out"
	mkdir -p "$out"
	mv "$bdir/crashmod.ko" "$out/crashmod.ko"
fi
echo "$out/crashmod.ko"
