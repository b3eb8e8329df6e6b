#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/cycle.sh KEXDUMP_STATIC [--runs N] [--min-crashkernel] [--no-docs]
# The crash cycle in QEMU (TCG, 1 GiB guest, 1 vCPU, bookworm 6.1), timed
# from the host's arrival time of each console line (tests/vm/service-run.sh):
#   panic            "Kernel panic - not syncing" of the first kernel
#   capture up       the capture init's first line ("kexdump-capture:
#                    started" / "KDCMP: started")
#   dump written     "... dump complete"
#   back up          the rebooted first kernel's init ("KDTEST: phase 2 up")
# for kexdump (setup; its own initramfs, kexdump as PID 1; zstd and lzo)
# and for kexec-tools + makedumpfile in the same VM (busybox initramfs,
# makedumpfile --dump-dmesg then -l -d 31: tests/vm/service-cmp-init).
# --min-crashkernel also finds the smallest crashkernel= with which the
# kexdump cycle completes (kexdump load --crash past setup's estimate:
# the minres scenario of service-init), going down from 192M (192, 128, 112, 96, 80,
# 64, 56, 48) until one fails.
# Writes the results as a section of docs/benchmarks.md (replacing only
# that section) unless --no-docs.
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$bench/.." && pwd)
vm=$src/tests/vm
[[ $# -ge 1 ]] || { echo "usage: $0 KEXDUMP_STATIC [--runs N] [--min-crashkernel] [--no-docs]" >&2; exit 2; }
kexdump=$(realpath "$1")
shift
runs=2 minck=0 docs=1
while (($#)); do
	case $1 in
	--runs) runs=$2; shift ;;
	--min-crashkernel) minck=1 ;;
	--no-docs) docs=0 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
work=$(mktemp -d "${TMPDIR:-/var/tmp}/kexdump-cycle.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 700 "$work"
suite=bookworm
"$vm/service-rootfs.sh" "$suite" "$kexdump" "$work/guest-$suite" --compare 2>"$work/guest.log" ||
	{ cat "$work/guest.log" >&2; exit 1; }
release=$(cat "$work/guest-$suite/release")

at() { awk -v re="$2" '/KDTEST: phase 1 up/ { on = 1 } on && $0 ~ re { print $1; exit }' "$1"; }
delta() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "-"; else printf "%.1f", b - a }'; }

# cycle NAME SCENARIO CRASHKERNEL EXTRA [SUITE]: one run; prints
# "capture_up dump_written back_up vmcore_bytes" or "fail WHY".
cycle() {
	local scen=$2 ck=$3 extra=$4 g=$work/guest-${5:-$suite} out=$work/$1
	local args=(--guest "$g" --scenario "$scen" --cpus 1 --out "$out" --crashkernel "$ck")
	[[ -z $extra ]] || args+=(--extra "$extra")
	KEXDUMP_TIMEOUT=300 "$vm/service-run.sh" "${args[@]}" 2>"$out.log" || true
	local con=$out/console.log
	local tp ts tc tb size dir
	tp=$(at "$con" 'Kernel panic - not syncing')
	ts=$(at "$con" '(kexdump-capture|KDCMP): started')
	tc=$(at "$con" '(kexdump-capture|KDCMP): dump complete')
	tb=$(at "$con" 'KDTEST: phase 2 up')
	if [[ -z $tp || -z $tc || -z $tb ]]; then
		echo "fail $(grep -E 'KDTEST-ERROR|dump (failed|incomplete)|KDCMP: failed|Kernel panic' "$con" 2>/dev/null |
			tail -n 1 | cut -d' ' -f2- | cut -c1-100)"
		return
	fi
	dir=$(ls -d "$out"/crash/*/ | tail -n1)
	size=$(stat -c %s "$dir/vmcore" 2>/dev/null || echo 0)
	echo "$(delta "$tp" "$ts") $(delta "$tp" "$tc") $(delta "$tp" "$tb") $size"
}

table=$work/table
{
	echo "| tool | run | panic → capture init | panic → dump written | panic → machine back up | vmcore |"
	echo "|---|---|---|---|---|---|"
} >"$table"
for ((i = 1; i <= runs; i++)); do
	for t in "kexdump (zstd)|sysrq|" "kexdump (lzo)|sysrq|kdtest.compress=lzo" \
		"kexec-tools + makedumpfile -l -d 31|kexectools|"; do
		IFS='|' read -r label scen extra <<<"$t"
		r=$(cycle "run$i-$scen${extra:+-lzo}" "$scen" 256M "$extra")
		echo "# $label, run $i: $r" >&2
		read -r a b c size <<<"$r"
		if [[ $a == fail ]]; then
			echo "| $label | $i | failed: ${r#fail } | | | |" >>"$table"
		else
			echo "| $label | $i | $a s | $b s | $c s | $((size / 1048576)) MiB |" >>"$table"
		fi
	done
done

min=''
if ((minck)); then
	ck_table=$work/ck
	echo "| kernel | crashkernel= | kexdump cycle |" >"$ck_table"
	echo "|---|---|---|" >>"$ck_table"
	for s in bookworm trixie; do
		[[ -d $work/guest-$s ]] || "$vm/service-rootfs.sh" "$s" "$kexdump" "$work/guest-$s" 2>>"$work/guest.log" ||
			{ cat "$work/guest.log" >&2; exit 1; }
		rel=$(cat "$work/guest-$s/release")
		last_ok=''
		for ck in 192 128 112 96 80 64 56 48; do
			r=$(cycle "ck-$s-$ck" minres "${ck}M" "" "$s")
			echo "# $rel crashkernel=${ck}M: $r" >&2
			if [[ $r == fail* ]]; then
				echo "| $rel | ${ck}M | fails: ${r#fail } |" >>"$ck_table"
				break
			fi
			read -r _ b _ _ <<<"$r"
			echo "| $rel | ${ck}M | completes (dump written $b s after the panic) |" >>"$ck_table"
			last_ok=$ck
		done
		# The largest of the kernels' minimums is the one to document.
		if [[ -n $last_ok ]] && [[ -z $min || ${min%M} -lt $last_ok ]]; then min=${last_ok}M; fi
	done
	echo "# smallest crashkernel= that worked on both kernels: ${min:-none}" >&2
fi

cat "$table"
[[ -z $min ]] || { echo; cat "$ck_table"; }
((docs)) || exit 0

# Replace (or append) our section of docs/benchmarks.md only.
md=$src/docs/benchmarks.md
head='## Crash cycle: panic to dump to machine back up (bench/cycle.sh)'
{
	echo "$head"
	echo
	echo "QEMU TCG (no KVM) on the 2-core test machine, 1 GiB guest, 1 vCPU,"
	echo "crashkernel=256M, Debian $suite kernel $release, the guest of"
	echo "tests/vm/service-rootfs.sh. Times are the host's arrival times of the"
	echo "console lines (TCG makes every step several times slower than on"
	echo "hardware; compare the rows, not the absolute numbers). kexdump: \`kexdump"
	echo "setup\` then \`kexdump test --yes-crash-now\`; its capture initramfs has"
	echo "kexdump as PID 1 and writes dmesg.txt, the vmcore (dump level 31) and a"
	echo "summary. kexec-tools + makedumpfile: \`kexec -s -p\` with a busybox"
	echo "initramfs holding makedumpfile $(makedumpfile -v 2>/dev/null | sed -n 's/^makedumpfile: version \([^ ]*\).*/\1/p')"
	echo "and its libraries, running \`makedumpfile --dump-dmesg\` then"
	echo "\`makedumpfile -l -d 31\` (this makedumpfile has no zstd). \"Back up\" is"
	echo "the first kernel's init after the reboot through the firmware."
	echo
	cat "$table"
	if [[ -n $min ]]; then
		echo
		echo "Smallest reservation with which the kexdump cycle completes, per"
		echo "kernel (1 GiB guest, \`kexdump load --crash\` past setup's own"
		echo "estimate; the first failing size is the last row; docs/setup.md):"
		echo "**$min** covers both."
		echo
		cat "$ck_table"
	fi
	echo
	echo "Measured $(date -u +%Y-%m-%d)."
} >"$work/section"
python3 - "$md" "$work/section" "$head" <<'EOF'
import sys
md, sec, head = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
text = open(md).read() if __import__("os").path.exists(md) else ""
i = text.find(head + "\n")
if i < 0:
    text = text.rstrip("\n") + "\n\n" + sec
else:
    j = text.find("\n## ", i + len(head))
    text = text[:i] + sec + ("\n" + text[j + 1:] if j >= 0 else "")
open(md, "w").write(text)
EOF
echo "wrote the section to $md" >&2
