#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# demo.sh [bookworm|trixie] -- the main job, end to end: build kexdump, boot
# a real Debian kernel in QEMU, crash it (sysrq-c), let kdump capture
# /proc/vmcore, then show what kexdump reads from that dump: `kexdump info`
# and the last lines of `kexdump dmesg`. Installs what is missing; caches
# kernels and the dump under ~/.cache/kexdump.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
suite=${1:-bookworm}
cache=${KEXDUMP_CACHE:-$HOME/.cache/kexdump}
"$src/tools/deps.sh" all
build=$src/build
if [[ ! -f $build/build.ninja ]]; then
	echo "demo: configuring $build"
	meson setup "$build" "$src" >/dev/null
fi
echo "demo: building kexdump"
ninja -C "$build" kexdump >/dev/null
dir=$cache/demo/$suite
rm -rf "$dir"
echo "demo: crashing a $suite kernel in QEMU (about 30 s under TCG)"
"$src/tests/vm/mkdump.sh" --suite "$suite" --cpus 2 --mem 1G --paging 4 --load file --out "$dir"
chmod 700 "$dir"
chmod 600 "$dir/vmcore"
echo
echo "\$ kexdump info $dir/vmcore"
"$build/kexdump" info "$dir/vmcore"
echo
echo "\$ kexdump dmesg $dir/vmcore | tail -n 25"
"$build/kexdump" dmesg "$dir/vmcore" | tail -n 25
