#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# mkdump.sh --suite bullseye|bookworm|trixie --cpus N --mem 1G|4G --paging 4|5
#           --load load|file --out DIR [--fill IMAGE] [--panic KIND]
#
# Boot a Debian kernel under QEMU (TCG), crash it with sysrq-c, let the
# kdump capture kernel copy /proc/vmcore raw onto a virtio disk.
# --panic KIND crashes it another way (see init): irq (a NULL pointer write
# in the test module's hard-IRQ timer callback), oops (the same in process
# context), hung (a task of the module in D state, hung_task_panic) or oom
# (a memory hog, panic_on_oom); every KIND but sysrq (the default) loads
# tests/vm/crashmod built for the kernel (crashmod.sh).  Leaves
#   DIR/vmcore       the ELF vmcore
#   DIR/console.log  the whole serial log of both kernels
#   DIR/meta         key=value lines (sourceable), written last
# --fill IMAGE (bench/mkfilled.sh) attaches the ext4 IMAGE read-only as a
# second disk; the first kernel fills its memory from it before the crash
# (see init) and DIR/meminfo gets its /proc/meminfo of just before.
# Env: KEXDUMP_CACHE (default ~/.cache/kexdump), KEXDUMP_TIMEOUT (600 s).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vm/common.sh
. "$here/common.sh"

usage="usage: $0 --suite bullseye|bookworm|trixie --cpus N --mem 1G|4G --paging 4|5 --load load|file --out DIR [--fill IMAGE] [--panic sysrq|irq|oops|hung|oom]"
suite='' cpus='' mem='' paging='' load='' out='' fill='' panic=sysrq
while (($#)); do
	[[ $# -ge 2 ]] || die "$usage"
	case $1 in
	--suite) suite=$2 ;;
	--cpus) cpus=$2 ;;
	--mem) mem=$2 ;;
	--paging) paging=$2 ;;
	--load) load=$2 ;;
	--out) out=$2 ;;
	--fill) fill=$2 ;;
	--panic) panic=$2 ;;
	*) die "$usage" ;;
	esac
	shift 2
done
[[ $suite =~ ^(bullseye|bookworm|trixie)$ && $cpus =~ ^[1-9][0-9]*$ && $mem =~ ^[0-9]+[MG]$ &&
	$paging =~ ^[45]$ && $load =~ ^(load|file)$ && -n $out &&
	$panic =~ ^(sysrq|irq|oops|hung|oom)$ ]] || die "$usage"

need_pkgs qemu-system-x86 coreutils
start=$SECONDS
kdir=$("$here/kernel.sh" "$suite")
mkdir -p "$out"
rm -f "$out/meta" "$out/vmcore" # meta appears only once a run succeeds
work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
fillargs=() fillqemu=() fillappend=''
if [[ -n $fill ]]; then
	[[ -f $fill ]] || die "no fill image $fill"
	fillargs=(--fill)
	fillqemu=(-drive "file=$fill,format=raw,if=virtio,readonly=on")
	fillappend=' kexdump.fill=1'
fi
if [[ $panic != sysrq ]]; then
	fillargs+=(--crashmod "$("$here/crashmod.sh" "$(basename "$kdir")")")
	fillappend+=" kexdump.panic=$panic"
fi
"$here/initramfs.sh" "$kdir" "$work" "${fillargs[@]}"
vmlinuz=$(find "$kdir/boot" -name 'vmlinuz-*' | head -n1)

# LA57 is what selects 5-level paging: Debian kernels enable it whenever
# the CPU offers it, and TCG's "max" CPU does.
if [[ $paging == 5 ]]; then cpu=max; else cpu=max,la57=off; fi

# The vmcore is smaller than guest RAM; a sparse disk of RAM + 64 MiB
# always fits it.  detect-zeroes keeps the zero pages as holes on the host.
disk=$work/disk.raw
truncate -s $(($(numfmt --from=iec "$mem") + 64 * 1024 * 1024)) "$disk"
log="$out/console.log"
: >"$log"

# crashkernel=256M fits both the 1G and the 4G guest; the default "pc"
# machine puts RAM beyond 3 GiB above the 4 GiB PCI hole.  panic=1 plus
# -no-reboot turn any unexpected panic/reboot into a quick QEMU exit.
log "booting $suite ($(basename "$kdir")) cpus=$cpus mem=$mem paging=$paging load=$load"
rc=0
timeout "${KEXDUMP_TIMEOUT:-600}" qemu-system-x86_64 \
	-accel tcg -machine pc -cpu "$cpu" -smp "$cpus" -m "$mem" \
	-nodefaults -display none -no-reboot \
	-serial "file:$log" \
	-kernel "$vmlinuz" -initrd "$work/initrd.cpio.gz" \
	-append "console=ttyS0 crashkernel=256M panic=1 kexdump.load=$load$fillappend" \
	-drive "file=$disk,format=raw,if=virtio,cache=unsafe,discard=unmap,detect-zeroes=unmap" \
	"${fillqemu[@]}" \
	</dev/null >"$work/qemu.out" 2>&1 || rc=$?
((rc != 124)) || die "QEMU timed out after ${KEXDUMP_TIMEOUT:-600} s (see $log)"
((rc == 0)) || die "QEMU failed (rc=$rc): $(tr '\n' ' ' <"$work/qemu.out")"

# Serial output has CRLF line ends; compare on plain lines.
console=$(tr -d '\r' <"$log")
err=$(sed -n 's/.*KEXDUMP-ERROR: //p' <<<"$console" | head -n1)
[[ -z $err ]] || die "guest: $err (see $log)"
grep -q 'hello from the crashed kernel marker' <<<"$console" ||
	die "first kernel never reached /init (see $log)"
size=$(sed -n 's/.*KEXDUMP-VMCORE-SIZE=\([0-9]*\).*/\1/p' <<<"$console" | head -n1)
[[ -n $size ]] || die "capture kernel never reported KEXDUMP-VMCORE-SIZE (see $log)"
la57=$(sed -n 's/.*KEXDUMP-LA57=\([a-z]*\).*/\1/p' <<<"$console" | head -n1)
want=no
[[ $paging == 4 ]] || want=yes
[[ $la57 == "$want" ]] || die "paging=$paging but the guest reported la57=${la57:-?}"
banner=$(sed -n 's/^\[ *[0-9.]*\] \(Linux version .*\)/\1/p' <<<"$console" | head -n1)
release=$(awk '{print $3}' <<<"$banner")
[[ -n $release && $release == "$(basename "$kdir")" ]] ||
	die "unexpected kernel banner '$banner' (wanted $(basename "$kdir"))"

if [[ -n $fill ]]; then
	sed -n '/KEXDUMP-MEMINFO-BEGIN/,/KEXDUMP-MEMINFO-END/{/KEXDUMP-/d;p}' <<<"$console" >"$out/meminfo"
	[[ -s $out/meminfo ]] || die "the filled guest printed no meminfo (see $log)"
fi
truncate -s "$size" "$disk"
mv "$disk" "$out/vmcore"
secs=$((SECONDS - start))
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; } # single-quote for the shell
{
	echo "suite=$suite"
	echo "release=$(q "$release")"
	echo "cpus=$cpus"
	echo "mem=$mem"
	echo "paging=$paging"
	echo "load=$load"
	echo "la57=$la57"
	echo "vmcore_size=$size"
	echo "wall_seconds=$secs"
	echo "banner=$(q "$banner")"
	[[ -z $fill ]] || echo "fill=$(q "$fill")"
	[[ $panic == sysrq ]] || echo "panic=$panic"
} >"$out/meta.tmp"
mv "$out/meta.tmp" "$out/meta"
log "vmcore: $size bytes in $out (${secs} s)"
