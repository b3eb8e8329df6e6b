#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/report.sh BUILDDIR [--runs N] [--crash-runs N] [--no-docs] DIR --
# `kexdump report` against crash with its debug vmlinux doing
# `log; bt; ps; mod`, on one real dump of the test matrix (DIR/vmcore,
# DIR/meta; a 4 GiB one: /work/dumps/*4G*), raw ELF and after
# `kexdump save -d 31` (kdump-compressed, zstd). Wall time and peak RSS
# from GNU time (-v), median of N runs (default 5) after a warm-up run;
# crash: N runs (default 1) without one (a session takes minutes on the
# test machine), the dump already in the page cache from kexdump's runs,
# its vmlinux read cold the first time; the bytes of debug data each
# needs (kexdump: none; crash: the -dbg package's vmlinux, which must
# match the crashed build). Writes its section of docs/benchmarks.md
# (replacing only that section) unless --no-docs.
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$bench/.." && pwd)
usage() { echo "usage: $0 BUILDDIR [--runs N] [--crash-runs N] [--no-docs] DIR" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
build=$(realpath "$1")
shift
runs=5 crash_runs=1 docs=1
while [[ ${1:-} == --* ]]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--crash-runs) crash_runs=$2; shift 2 ;;
	--no-docs) docs=0; shift ;;
	*) usage ;;
	esac
done
[[ $# -eq 1 ]] || usage
dir=${1%/}
kexdump=$build/kexdump
[[ -x $kexdump ]] || { echo "$0: $kexdump missing (ninja -C $build)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "$0: GNU time missing (apt-get install time)" >&2; exit 1; }
# shellcheck disable=SC1091
. "$dir/meta"
vmlinux=$("$src/tests/vm/vmlinux-dbg.sh" "$release")
work=$(mktemp -d /var/tmp/kd-report-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$kexdump" save -d 31 "$dir/vmcore" "$work/d31.kdump" >/dev/null 2>&1
printf 'log > /dev/null\nbt > /dev/null\nps > /dev/null\nmod > /dev/null\nexit\n' >"$work/crash.cmds"

# measure N WARM CMD...: "WALL_S RSS_KIB CPU_S" medians of N runs, after a
# warm-up run when WARM is 1.
measure() {
	local n=$1 warm=$2 i
	shift 2
	((warm == 0)) || "$@" >/dev/null 2>&1 || true
	for ((i = 0; i < n; i++)); do
		/usr/bin/time -v -o "$work/time" "$@" >/dev/null 2>"$work/err" ||
			{ echo "$0: $* failed: $(tail -n 2 "$work/err")" >&2; exit 1; }
		python3 - "$work/time" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
w = re.search(r'Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)', t)
wall = int(w.group(1) or 0) * 3600 + int(w.group(2)) * 60 + float(w.group(3))
rss = int(re.search(r'Maximum resident set size \(kbytes\): (\d+)', t).group(1))
cpu = sum(float(re.search(r'%s time \(seconds\): ([\d.]+)' % k, t).group(1)) for k in ('User', 'System'))
print(wall, rss, cpu)
EOF
	done >"$work/runs"
	python3 -c 'import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
print("%.2f %d %.2f" % tuple(statistics.median(r[i] for r in rows) for i in range(3)))' "$work/runs"
}

table=$work/table
{
	echo "| dump | tool | wall (median) | CPU user+sys | peak RSS (median) | debug data needed |"
	echo "|---|---|---|---|---|---|"
} >"$table"
vm_bytes=$(stat -c %s "$vmlinux")
for kind in raw d31; do
	if [[ $kind == raw ]]; then d=$dir/vmcore; label="raw ELF ($(($(stat -c %s "$d") >> 20)) MiB)"
	else d=$work/d31.kdump; label="save -d 31 kdump ($(($(stat -c %s "$d") >> 20)) MiB)"; fi
	read -r w r c < <(measure "$runs" 1 "$kexdump" report "$d")
	echo "$kind $w $r $c" >>"$work/verdict"
	echo "| $label | \`kexdump report\` | $w s | $c s | $((r / 1024)) MiB | none (0 bytes) |" >>"$table"
	echo "# $kind kexdump report: $w s, $c s CPU, $r KiB" >&2
	read -r w r c < <(measure "$runs" 1 "$kexdump" report --json "$d")
	echo "| $label | \`kexdump report --json\` (every task's stack) | $w s | $c s | $((r / 1024)) MiB | none (0 bytes) |" >>"$table"
	echo "# $kind kexdump report --json: $w s, $c s CPU, $r KiB" >&2
	read -r w r c < <(measure "$crash_runs" 0 crash -s --no_scroll -i "$work/crash.cmds" "$vmlinux" "$d")
	echo "| $label | crash 8.0.2 \`log; bt; ps; mod\` | $w s | $c s | $((r / 1024)) MiB | vmlinux $((vm_bytes >> 20)) MiB |" >>"$table"
	echo "# $kind crash: $w s, $c s CPU, $r KiB" >&2
done
cat "$table"
((docs)) || exit 0

md=$src/docs/benchmarks.md
head='## Triage: kexdump report vs crash (bench/report.sh)'
{
	echo "$head"
	echo
	echo "\`bench/report.sh\` on the test matrix's $(basename "$dir") dump (Debian $release,"
	echo "$mem guest, $cpus CPUs), raw and after \`kexdump save -d 31\`, on the test machine"
	echo "($(nproc) cores, shared with other jobs: compare the rows). kexdump: \`kexdump report\`"
	echo "(the text: panic, every CPU's stack, memory, modules, tasks, log tail) and"
	echo "\`--json\` (the same with every task's stack), from the dump alone (kallsyms,"
	echo "BTF, ORC). crash $(dpkg-query -W -f '${Version}' crash 2>/dev/null) with the debug vmlinux of"
	echo "linux-image-$release-dbg, \`log; bt; ps; mod\` (output to /dev/null)."
	echo "Median of $runs runs after a warm-up run (the dump in the page cache); crash:"
	echo "$crash_runs run(s) without a warm-up (a session takes minutes here), the dump in the"
	echo "page cache from kexdump's runs. Goal for \`kexdump report\`: under 1 s and 64 MiB,"
	echo "no debug data. The machine was shared (load average $(cut -d' ' -f1 /proc/loadavg) at the end):"
	echo "wall times carry the wait for a CPU; the CPU column is the work itself."
	echo
	cat "$table"
	echo
	python3 "$bench/report-verdict.py" "$work/verdict"
	echo
	echo "Measured $(date -u +%Y-%m-%d) at $(git -C "$src" rev-parse --short HEAD)."
} >"$work/section"
python3 - "$md" "$work/section" "$head" <<'EOF'
import sys
md, sec, head = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
text = open(md).read()
i = text.find(head + "\n")
if i < 0:
    text = text.rstrip("\n") + "\n\n" + sec
else:
    j = text.find("\n## ", i + len(head))
    text = text[:i] + sec + ("\n" + text[j + 1:] if j >= 0 else "")
open(md, "w").write(text)
EOF
echo "wrote the section to $md" >&2
