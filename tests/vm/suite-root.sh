#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# suite-root.sh SUITE PKG[,PKG...] -- print the path of a minimal root of
# the Debian SUITE (mmdebstrap --variant=minbase) with the packages PKG
# installed, made once under $KEXDUMP_CACHE (default ~/.cache/kexdump)/roots/
# and reused (keyed by suite and package list). For tools this machine's
# Debian has only in older versions: trixie's gcc-14 for the 6.12 test
# module (crashmod.sh), trixie's crash 8.0.6 as an oracle (crash-new.sh).
# Nothing is installed on the system; the root is only ever read or
# chrooted into.
set -euo pipefail
# shellcheck source=tests/vm/common.sh
. "$(dirname "$0")/common.sh"

[[ $# -eq 2 ]] || die "usage: $0 SUITE PKG[,PKG...]"
suite=$1 pkgs=$2
[[ $suite =~ ^[a-z]+$ ]] || die "bad suite name '$suite'"
[[ $pkgs =~ ^[a-z0-9.+-]+(,[a-z0-9.+-]+)*$ ]] || die "bad package list '$pkgs'"
root=$CACHE/roots/$suite-$(sha256sum <<<"$pkgs" | cut -c1-12)
if [[ ! -e $root/.complete ]]; then
	need_pkgs mmdebstrap debian-archive-keyring
	log "making a minimal $suite root with $pkgs (once)"
	mkdir -p "$CACHE/roots"
	rm -rf "$root"
	mmdebstrap --quiet --variant=minbase --include="$pkgs" \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		"$suite" "$root" http://deb.debian.org/debian >&2 || die "mmdebstrap of $suite with $pkgs failed"
	echo "$pkgs" >"$root/.packages"
	touch "$root/.complete"
fi
echo "$root"
