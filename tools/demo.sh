#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# demo.sh [bookworm|trixie] -- the main job, end to end: build the static
# kexdump, boot a real Debian kernel in QEMU from a small root disk, run
# `kexdump setup` there (capture initramfs, kexec_file_load), crash it with
# `kexdump test --yes-crash-now`; the capture kernel runs kexdump as PID 1,
# writes the dump to the disk and reboots; the next boot runs `kexdump list`.
# Then show what the guest printed and what kexdump reads from the dump.
# Installs what is missing; caches kernels and the run under ~/.cache/kexdump.
# Runs as root or as a user: only tools/deps.sh needs root, to install
# missing packages (through sudo when not root; it says so and fails when
# there is no sudo).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
suite=${1:-bookworm}
case $suite in bookworm | trixie) ;; *) echo "usage: $0 [bookworm|trixie]" >&2; exit 2 ;; esac
cache=${KEXDUMP_CACHE:-$HOME/.cache/kexdump}
"$src/tools/deps.sh" all
build=$src/build-static
if [[ ! -f $build/build.ninja ]]; then
	echo "demo: configuring $build (static: the capture initramfs's /init)"
	meson setup "$build" "$src" -Dstatic=true >/dev/null
fi
echo "demo: building kexdump"
ninja -C "$build" kexdump >/dev/null
work=$cache/demo
rm -rf "$work"
mkdir -p "$work"
chmod 700 "$work"
# The sysrq scenario of the service test: setup, panic, capture, reboot,
# list, then a fast reboot (kexdump load --reboot + exec).
scenario=sysrq
[[ $suite == bookworm ]] || scenario=pid1
echo "demo: kexdump setup + crash + capture + reboot in a $suite guest (about 1-2 min under TCG)"
KEXDUMP_SERVICE_SCENARIOS=$scenario "$src/tests/e2e/check-service.sh" "$build/kexdump" "$work"
run=$work/run-$scenario
dir=$(find "$run/crash" -mindepth 1 -maxdepth 1 -type d | head -n1)
[[ -n $dir && -f $dir/vmcore ]] || { echo "demo: no dump folder in $run/crash" >&2; exit 1; }
echo
echo "--- in the guest, before the crash: kexdump setup"
cat "$run/kdtest/p1/setup.out"
echo
echo "--- in the guest, after the reboot: kexdump list"
cat "$run/kdtest/p2/list.out"
echo
echo "--- on this machine, the dump the capture kernel wrote: $dir"
ls -l "$dir"
echo
echo "\$ kexdump info $dir/vmcore"
"$build/kexdump" info "$dir/vmcore"
echo
echo "\$ kexdump dmesg $dir/vmcore | tail -n 15"
"$build/kexdump" dmesg "$dir/vmcore" | tail -n 15
