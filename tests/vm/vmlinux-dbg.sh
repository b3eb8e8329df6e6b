#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# vmlinux-dbg.sh RELEASE -- print the path of the debug vmlinux of the
# Debian kernel RELEASE (e.g. 6.1.0-56-amd64), taken from the package
# linux-image-RELEASE-dbg (Debian ships it in main, not in debian-debug).
# Only the vmlinux is kept (the package is ~1 GB, mostly module debug
# info), cached in $KEXDUMP_CACHE/dbg/RELEASE/vmlinux.
set -euo pipefail
# shellcheck source=tests/vm/common.sh
. "$(dirname "$0")/common.sh"

[[ $# -eq 1 ]] || die "usage: $0 RELEASE"
release=$1
[[ $release =~ ^[0-9][0-9a-z.+~-]*$ ]] || die "bad release name '$release'"
dir=$CACHE/dbg/$release
if [[ ! -s $dir/vmlinux ]]; then
	need_pkgs apt debian-archive-keyring dpkg
	apt_setup
	pkg=linux-image-$release-dbg
	log "fetching $pkg (only its vmlinux is kept)"
	mkdir -p "$CACHE/dbg"
	tmp=$(mktemp -d "$CACHE/dbg.tmp.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get "${APT_OPTS[@]}" download -qq "$pkg" >&2) ||
		die "apt-get download $pkg failed"
	dpkg-deb --fsys-tarfile "$tmp"/"$pkg"_*.deb |
		tar -x -C "$tmp" --wildcards '*/debug/boot/vmlinux-*' ||
		die "cannot extract vmlinux from $pkg"
	v=$(find "$tmp" -path "*/debug/boot/vmlinux-$release" -print -quit)
	[[ -n $v ]] || die "no vmlinux-$release in $pkg"
	mkdir -p "$dir"
	mv "$v" "$dir/vmlinux.tmp"
	mv "$dir/vmlinux.tmp" "$dir/vmlinux"
fi
echo "$dir/vmlinux"
