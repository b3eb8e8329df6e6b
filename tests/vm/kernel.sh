#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# kernel.sh SUITE -- print the directory holding the current Debian
# linux-image-amd64 kernel of SUITE (bullseye, bookworm or trixie),
# extracted with dpkg-deb -x (so it has boot/vmlinuz-*, boot/System.map-*
# and lib/modules/*).  The package
# is fetched through a private apt set-up in $KEXDUMP_CACHE (default
# ~/.cache/kexdump) and reused when already extracted.
set -euo pipefail
# shellcheck source=tests/vm/common.sh
. "$(dirname "$0")/common.sh"

[[ $# -eq 1 ]] || die "usage: $0 bullseye|bookworm|trixie"
suite=$1
[[ $suite =~ ^[a-z]+$ ]] || die "bad suite name '$suite'"

need_pkgs apt debian-archive-keyring dpkg
apt_setup

# The suite's newest meta package: the suite itself or its security
# updates (bookworm's point releases lag behind bookworm-security).
# madison lists one "pkg | version | url suite/comp arch Packages" per row.
version=$(apt-cache "${APT_OPTS[@]}" madison linux-image-amd64 |
	awk -F' *[|] *' -v s="$suite" '$3 ~ (" " s "(-security|-updates)?/") {print $2}' |
	sort -V | tail -n1)
[[ -n $version ]] || die "no linux-image-amd64 found for suite '$suite'"

# The meta package depends on exactly one versioned image package.
image=$(apt-cache "${APT_OPTS[@]}" show "linux-image-amd64=$version" |
	sed -n 's/^Depends: *\(linux-image-[^ ,]*\).*/\1/p' | head -n1)
[[ -n $image ]] || die "cannot resolve the image package of linux-image-amd64=$version"
release=${image#linux-image-}
dir=$CACHE/kernels/$release

if [[ ! -e $dir/.complete ]]; then
	log "fetching $image ($suite, linux-image-amd64 $version)"
	tmp=$(mktemp -d "$CACHE/kernels.tmp.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get "${APT_OPTS[@]}" download -qq "$image" >&2) ||
		die "apt-get download $image failed"
	mkdir -p "$tmp/root"
	dpkg-deb -x "$tmp"/"$image"_*.deb "$tmp/root" || die "dpkg-deb -x failed"
	[[ -e $tmp/root/boot/vmlinuz-$release ]] || die "no vmlinuz in $image"
	# trixie ships merged-/usr packages (usr/lib/modules); give every
	# kernel dir the same lib/modules layout.
	if [[ ! -e $tmp/root/lib/modules && -d $tmp/root/usr/lib/modules ]]; then
		mkdir -p "$tmp/root/lib"
		ln -s ../usr/lib/modules "$tmp/root/lib/modules"
	fi
	touch "$tmp/root/.complete"
	mkdir -p "$CACHE/kernels"
	rm -rf "$dir"
	mv "$tmp/root" "$dir"
fi
echo "$dir"
