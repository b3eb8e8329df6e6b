#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# gen-units.sh KEXDUMP EXE OUTDIR -- the systemd units `kexdump setup`
# writes, as files in OUTDIR, for the command installed as EXE. They come
# from `KEXDUMP setup --print-units` (src/cmd-setup.c, the one place that
# says what they hold), which names the binary it runs from
# (/proc/self/exe): that path is replaced by EXE.
set -eu
kexdump=$1 exe=$2 out=$3
self=$(readlink -f "$kexdump")
"$kexdump" setup --print-units >"$out/units.txt"
awk -v self="$self" -v exe="$exe" -v out="$out" '
function flush_unit() { if (f != "") close(f); blank = 0 }
/^### / { flush_unit(); f = out "/" $2; nunits++
	print "# kexdump'"'"'s unit, as kexdump setup writes it (src/cmd-setup.c). Installing" > f
	print "# the package does not enable it: kexdump setup checks the machine, then" > f
	print "# writes its copy into /etc/systemd/system and enables that." > f
	next }
/^$/ { blank++; next }
{
	line = $0
	while ((i = index(line, self)) > 0) {
		line = substr(line, 1, i - 1) exe substr(line, i + length(self))
		n++
	}
	for (; blank > 0; blank--)
		print "" > f
	print line > f
}
END {
	if (!nunits || !n) {
		print "gen-units.sh: no unit naming " self " in kexdump setup --print-units" > "/dev/stderr"
		exit 1
	}
}' "$out/units.txt"
rm -f "$out/units.txt"
