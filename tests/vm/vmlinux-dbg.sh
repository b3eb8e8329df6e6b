#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# vmlinux-dbg.sh [--system-map] RELEASE -- print the path of the debug
# vmlinux of the Debian kernel RELEASE (e.g. 6.1.0-56-amd64), taken from
# the package linux-image-RELEASE-dbg (Debian ships it in main, not in
# debian-debug); with --system-map, the path of its System.map instead (the
# linux-image package's own /boot/System.map-RELEASE is a one-line
# placeholder pointing at the -dbg package). Only these two files are kept
# (the package is ~0.8-1 GB, mostly module debug info), cached in
# $KEXDUMP_CACHE/dbg/RELEASE/{vmlinux,System.map}.
set -euo pipefail
# shellcheck source=tests/vm/common.sh
. "$(dirname "$0")/common.sh"

want=vmlinux
if [[ ${1:-} == --system-map ]]; then
	want=System.map
	shift
fi
[[ $# -eq 1 ]] || die "usage: $0 [--system-map] RELEASE"
release=$1
[[ $release =~ ^[0-9][0-9a-z.+~-]*$ ]] || die "bad release name '$release'"
dir=$CACHE/dbg/$release
if [[ ! -s $dir/$want ]]; then
	need_pkgs apt debian-archive-keyring dpkg
	apt_setup
	pkg=linux-image-$release-dbg
	log "fetching $pkg (only its vmlinux and System.map are kept)"
	mkdir -p "$CACHE/dbg"
	tmp=$(mktemp -d "$CACHE/dbg.tmp.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get "${APT_OPTS[@]}" download -qq "$pkg" >&2) ||
		die "apt-get download $pkg failed"
	dpkg-deb --fsys-tarfile "$tmp"/"$pkg"_*.deb |
		tar -x -C "$tmp" --wildcards '*/debug/boot/vmlinux-*' '*/debug/boot/System.map-*' ||
		die "cannot extract vmlinux and System.map from $pkg"
	mkdir -p "$dir"
	for f in vmlinux System.map; do
		v=$(find "$tmp" -path "*/debug/boot/$f-$release" -print -quit)
		[[ -n $v ]] || die "no $f-$release in $pkg"
		mv "$v" "$dir/$f.tmp"
		mv "$dir/$f.tmp" "$dir/$f"
	done
fi
echo "$dir/$want"
