#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# makedumpfile-new.sh -- print the path of a command that runs Debian's
# newest makedumpfile (sid's, 1.7.8 at the time of writing: the rules of
# upstream 1.7.9 for Linux 6.x pages: isSlab() in isAnon() and slab as a
# page type from 6.10, hugetlb as a page type from 6.9, PG_hugetlb 6.6-6.8,
# folio orders from _flags_1, unaccepted pages 6.16). tests/e2e/check-pages.sh
# compares kexdump's page classes with its counts; bookworm's own
# makedumpfile (1.7.2) predates those kernels.
#
# Made once under $KEXDUMP_CACHE (default ~/.cache/kexdump)/makedumpfile-new/
# and reused; a private apt set-up (own sources, lists and cache), the
# system's apt sources are never touched. Two ways, in this order:
#   1. build: `apt-get source` of sid's package, built with the upstream
#      Makefile against this machine's -dev packages (tools/deps.sh);
#   2. Debian's binary package: when the archive serves no source
#      packages (some mirrors and proxies serve only the pool's .debs),
#      sid's makedumpfile .deb with the runtime libraries it needs from
#      trixie (glibc >= 2.38, libdw1t64, ...), run through that glibc's
#      dynamic loader; nothing is installed on the system.
# The file "how" next to the command says which way and the version.
set -euo pipefail
# shellcheck source=tests/vm/common.sh
. "$(dirname "$0")/common.sh"

dir=$CACHE/makedumpfile-new
if [[ -x $dir/makedumpfile && -s $dir/how ]]; then
	echo "$dir/makedumpfile"
	exit 0
fi
need_pkgs apt debian-archive-keyring dpkg
adir=$CACHE/apt-mdf
mkdir -p "$adir/lists/partial" "$adir/cache/archives/partial"
key=/usr/share/keyrings/debian-archive-keyring.gpg
mirror=http://deb.debian.org/debian
for s in trixie sid; do
	echo "deb [signed-by=$key] $mirror $s main"
	echo "deb-src [signed-by=$key] $mirror $s main"
done >"$adir/sources.list"
opts=(
	-o "Dir::Etc::SourceList=$adir/sources.list"
	-o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$adir/lists"
	-o "Dir::Cache=$adir/cache"
	-o APT::Sandbox::User=root
)
if [[ -z $(find "$adir/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 -print -quit) ]]; then
	log "updating private apt lists in $adir"
	apt-get "${opts[@]}" update -qq >&2 || die "private apt-get update failed"
fi
version=$(apt-cache "${opts[@]}" show makedumpfile/sid | sed -n 's/^Version: *//p' | head -n1)
[[ -n $version ]] || die "no makedumpfile in sid"

tmp=$(mktemp -d "$CACHE/makedumpfile-new.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out"

# 1. From source.
if (cd "$tmp" && apt-get "${opts[@]}" source -qq --download-only "makedumpfile=$version" >"$tmp/source.log" 2>&1) &&
	dpkg-source -x "$tmp"/makedumpfile_*.dsc "$tmp/src" >>"$tmp/source.log" 2>&1; then
	need_pkgs make gcc libelf-dev libdw-dev libbz2-dev zlib1g-dev liblzo2-dev libsnappy-dev libzstd-dev
	log "building makedumpfile $version from source"
	make -C "$tmp/src" -j"$(nproc)" LINKTYPE=dynamic USELZO=on USESNAPPY=on USEZSTD=on \
		>"$tmp/build.log" 2>&1 || { tail -n 20 "$tmp/build.log" >&2; die "building makedumpfile $version failed"; }
	install -m 755 "$tmp/src/makedumpfile" "$tmp/out/makedumpfile"
	echo "built from Debian's source package makedumpfile $version (sid)" >"$tmp/out/how"
else
	# 2. Debian's binary package and its libraries.
	log "no source package ($(grep -m1 -E '^E:' "$tmp/source.log" || tail -n1 "$tmp/source.log")); using sid's binary package makedumpfile $version"
	pkgs=(makedumpfile/sid libc6/trixie libgcc-s1/trixie libdw1t64/trixie libelf1t64/trixie
		liblzo2-2/trixie libzstd1/trixie zlib1g/trixie libbz2-1.0/trixie liblzma5/trixie)
	(cd "$tmp" && apt-get "${opts[@]}" download -qq "${pkgs[@]}" >&2) ||
		die "apt-get download ${pkgs[*]} failed"
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$tmp/out/root" || die "dpkg-deb -x $deb failed"
	done
	root=$tmp/out/root
	bin=$(cd "$root" && find usr/bin usr/sbin sbin -maxdepth 1 -name makedumpfile -type f -print -quit 2>/dev/null)
	[[ -n $bin ]] || die "no makedumpfile command in the package"
	ld=$(find "$root/usr/lib/x86_64-linux-gnu" "$root/lib/x86_64-linux-gnu" -maxdepth 1 \
		-name 'ld-linux-x86-64.so.2' -print -quit 2>/dev/null)
	[[ -n $ld ]] || die "no ld-linux-x86-64.so.2 in libc6"
	# Paths relative to the wrapper, so the cache directory can move.
	{
		echo '#!/bin/sh'
		echo '# SPDX-License-Identifier: LGPL-2.1-or-later'
		echo "# Debian's makedumpfile $version (sid) with trixie's libraries (tests/vm/makedumpfile-new.sh)."
		echo 'r=$(dirname "$0")/root'
		echo "exec \"\$r/${ld#"$root"/}\" --library-path \"\$r/usr/lib/x86_64-linux-gnu:\$r/lib/x86_64-linux-gnu\" \"\$r/$bin\" \"\$@\""
	} >"$tmp/out/makedumpfile"
	chmod 755 "$tmp/out/makedumpfile"
	echo "Debian's binary package makedumpfile $version (sid; no source package served), trixie's glibc" >"$tmp/out/how"
fi
# It must run and say its version.
got=$("$tmp/out/makedumpfile" -v 2>&1 | head -n1) || true
upstream=${version#*:}
upstream=${upstream%-*}
[[ $got == "makedumpfile: version $upstream "* ]] ||
	die "the new makedumpfile does not run: '$got'"
rm -rf "$dir"
mv "$tmp/out" "$dir"
echo "$dir/makedumpfile"
