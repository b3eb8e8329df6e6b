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
# The compiler is the one the kernel was built with (its .config's
# CONFIG_CC_VERSION_TEXT): kbuild passes that compiler's flags
# (trixie's 6.12 uses gcc-14's -fmin-function-alignment, which bookworm's
# gcc-12 refuses). When the host lacks it, the build runs in a minimal
# root of the Debian suite that ships it (suite-root.sh), with the cache
# bind-mounted at its own path in a private mount namespace, so every
# absolute path stays the same. Only a build looks for the compiler: a
# cached module needs neither it nor that root.
# Env: KEXDUMP_CACHE (default ~/.cache/kexdump), KEXDUMP_MODULE_CC (the
# compiler's name, instead of the .config's).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vm/common.sh
. "$here/common.sh"

[[ $# -eq 1 ]] || die "usage: $0 RELEASE"
release=$1
[[ $release =~ ^[0-9][0-9a-z.+~-]*$ ]] || die "bad release name '$release'"
need_pkgs apt debian-archive-keyring dpkg make
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

# "x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0": the command name
# and, for the toolchain root, the version of its Debian package.
cctext=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$kbuild_dir/.config")
cc=${KEXDUMP_MODULE_CC:-${cctext%% *}}
[[ $cc =~ ^[A-Za-z0-9_.+-]+$ ]] || die "cannot tell the compiler of $release from its .config ('$cctext')"

src=$here/crashmod
hash=$(cat "$src/crashmod.c" "$src/Kbuild" | sha256sum | cut -c1-16)
out=$CACHE/crashmod/$release-$hash
if [[ ! -s $out/crashmod.ko ]]; then
	run=()
	if ! command -v "$cc" >/dev/null; then
		gcc=gcc-${cc##*gcc-}
		[[ $gcc =~ ^gcc-[0-9]+$ ]] || die "$cc is not on this machine and is not a Debian gcc-N"
		ccver=$(sed -n 's/.*(Debian \([^)]*\)).*/\1/p' <<<"$cctext")
		apt_setup
		# The suite whose gcc-N is that version (else any suite that has gcc-N).
		suite=$(apt-cache "${APT_OPTS[@]}" madison "$gcc" |
			awk -F' *[|] *' -v v="$ccver" '{split($3, a, " "); sub("/.*", "", a[2]); if ($2 == v) {print a[2]; exit} else if (!any) any = a[2]} END {if (any) print any}' |
			head -n1)
		[[ $suite =~ ^[a-z]+(-[a-z]+)?$ ]] || die "no Debian suite in the private apt lists ships $gcc"
		suite=${suite%%-*}
		# libelf: kbuild's objtool, built for that suite, runs in there too;
		# pahole (dwarves): the module's BTF (CONFIG_DEBUG_INFO_BTF_MODULES).
		pkgs=$gcc,make,libc6-dev,libelf1t64,dwarves
		tc=$("$here/suite-root.sh" "$suite" "$pkgs")
		command -v unshare >/dev/null || die "unshare is missing (util-linux)"
		mkdir -p "$tc$CACHE"
		# shellcheck disable=SC2016 # expanded by the inner shell
		run=(unshare -m sh -c 'mount --bind "$1" "$0$1" && shift && exec chroot "$0" "$@"' "$tc" "$CACHE")
	fi
	log "building crashmod.ko for $release with $cc"
	mkdir -p "$CACHE/crashmod"
	bdir=$(mktemp -d "$CACHE/crashmod.tmp.XXXXXX")
	trap 'rm -rf "$bdir"' EXIT
	cp "$src/crashmod.c" "$src/Kbuild" "$bdir/"
	"${run[@]}" make -s -C "$kbuild_dir" M="$bdir" CC="$cc" HOSTCC="$cc" modules >"$bdir/build.log" 2>&1 ||
		die "module build failed: $(tail -n 20 "$bdir/build.log")"
	[[ -s $bdir/crashmod.ko ]] || die "the build made no crashmod.ko"
	rm -rf "$out"
	mkdir -p "$out"
	mv "$bdir/crashmod.ko" "$out/crashmod.ko"
fi
echo "$out/crashmod.ko"
