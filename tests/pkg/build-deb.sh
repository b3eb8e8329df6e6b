#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# build-deb.sh SRCDIR OUTDIR -- the Debian package of SRCDIR's tree (its
# git files, tracked and untracked but not ignored; the whole folder when
# it is not a git tree, build* left out): dpkg-buildpackage -b -us -uc on a
# copy of it in OUTDIR/src; prints the .deb's path on stdout and leaves the
# .changes and build.log beside it. A second call for the same tree (the
# sha256 of its files' tar, OUTDIR/tree.sha256) reuses the build and says
# so on stderr; calls on the same OUTDIR wait for each other (flock), so
# tests/pkg/check-deb.sh and tests/e2e/check-grub.sh, run side by side by
# tests/run.sh, build once. Exits 1 with the log's tail on stderr when the
# build fails.
set -uo pipefail
if (($# != 2)); then
	echo "usage: $0 SRCDIR OUTDIR" >&2
	exit 2
fi
src=$(cd "$1" && pwd) || exit 2
mkdir -p "$2" || exit 1
out=$(cd "$2" && pwd)
exec 9>"$out/.lock"
flock 9

# tree [TAR-OPTIONS...]: the tree as a tar on stdout.
tree() {
	if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$src" && git ls-files -co --exclude-standard -z | LC_ALL=C sort -z |
			tar --null --no-recursion "$@" -cf - -T -)
	else
		tar -C "$src" --exclude='./build*' --sort=name "$@" -cf - .
	fi
}
# The hash ignores times and owners; the copy keeps the times (lintian
# refuses files dated 1970).
sum=$(tree --mtime=@0 --owner=0 --group=0 | sha256sum | cut -d' ' -f1) && [[ -n $sum ]] ||
	{ echo "build-deb.sh: cannot read the tree $src" >&2; exit 1; }
deb=$(ls "$out"/kexdump_*_*.deb 2>/dev/null | head -n1)
if [[ -n $deb && -f $out/tree.sha256 && $(cat "$out/tree.sha256") == "$sum" ]]; then
	echo "build-deb.sh: reusing $(basename "$deb"), built from the same tree" >&2
	echo "$deb"
	exit 0
fi
rm -rf "$out/src" "$out/tree.sha256" "$out"/kexdump_* "$out"/kexdump-*
mkdir -p "$out/src"
tree | tar -xf - -C "$out/src" || { echo "build-deb.sh: cannot copy the tree $src" >&2; exit 1; }
start=$SECONDS
if ! (cd "$out/src" && DEB_BUILD_OPTIONS="parallel=2 nocheck noddebs" \
	dpkg-buildpackage -b -us -uc >"$out/build.log" 2>&1); then
	tail -n 30 "$out/build.log" >&2
	echo "build-deb.sh: dpkg-buildpackage -b failed (log: $out/build.log)" >&2
	exit 1
fi
deb=$(ls "$out"/kexdump_*_*.deb 2>/dev/null | head -n1)
[[ -f $deb ]] || { echo "build-deb.sh: no .deb in $out" >&2; exit 1; }
echo "$sum" >"$out/tree.sha256"
echo "build-deb.sh: built $(basename "$deb") in $((SECONDS - start)) s" >&2
echo "$deb"
