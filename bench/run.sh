#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/run.sh [DUMPS] -- benchmarks of kexdump against the peers on real
# dumps, written to docs/benchmarks.md. DUMPS is a directory of
# tests/vm/matrix.sh dumps (made there if missing; default
# ~/.cache/kexdump/bench-dumps).
# BENCH_SAVE="8G" (or "2G 4G 8G") also benchmarks `kexdump save` against
# makedumpfile on the large dumps of bench/mkfilled.sh (bench/save.py);
# without it, the save section already in docs/benchmarks.md is kept.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
dumps=${1:-${KEXDUMP_CACHE:-$HOME/.cache/kexdump}/bench-dumps}
"$src/tools/deps.sh" all
dpkg -s time >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time
[[ -f $src/build/build.ninja ]] || meson setup "$src/build" "$src" >/dev/null
ninja -C "$src/build" kexdump >/dev/null
"$src/tests/vm/matrix.sh" "$dumps"
runs=${BENCH_RUNS:-7}
table=$(BENCH_RUNS=$runs python3 "$src/bench/dmesg.py" "$src/build/kexdump" "$dumps"/*/vmcore)
save_section=$(sed -n '/^<!-- bench-save begin -->$/,/^<!-- bench-save end -->$/p' \
	"$src/docs/benchmarks.md" 2>/dev/null || true)
{
	echo "# Benchmarks"
	echo
	echo "Written by \`bench/run.sh\`; rerun it to refresh. Machine: $(nproc) cores,"
	echo "$(free -g | awk '/Mem:/ {print $2}') GiB, $(sed -n 's/^model name.*: //p' /proc/cpuinfo | head -n1);"
	echo "Debian $(cat /etc/debian_version); makedumpfile $(dpkg-query -W -f '${Version}' makedumpfile),"
	echo "kexec-tools $(dpkg-query -W -f '${Version}' kexec-tools); kexdump at $(git -C "$src" rev-parse --short HEAD)."
	echo
	echo "## Kernel log extraction"
	echo
	echo "\`python3 bench/dmesg.py build/kexdump DUMP...\`: \`kexdump dmesg DUMP\`,"
	echo "\`makedumpfile --dump-dmesg DUMP OUT\` and \`vmcore-dmesg DUMP\` on the real"
	echo "dumps of the test matrix (tests/vm), alternating runs in one process,"
	echo "median of $runs; peak RSS from GNU time. All three print the same log"
	echo "(kexdump's is byte-identical to makedumpfile's, checked by tests/e2e)."
	echo
	echo "$table"
	echo
	echo "kexdump decodes no symbols for \`dmesg\` (they load on first use);"
	echo "before that change it spent 25 ms (6.1) to 45 ms (6.12) decoding kallsyms"
	echo "and was 7-13x slower than the peers."
	[[ -z $save_section ]] || printf '\n%s\n' "$save_section"
} >"$src/docs/benchmarks.md"
if [[ -n ${BENCH_SAVE:-} ]]; then
	# shellcheck disable=SC2086 # a list of sizes
	"$src/bench/mkfilled.sh" $BENCH_SAVE
	saves=()
	for s in $BENCH_SAVE; do saves+=("${KEXDUMP_BENCH_DIR:-/var/tmp/kexdump-bench}/filled-$s/vmcore"); done
	python3 "$src/bench/save.py" --doc "$src/docs/benchmarks.md" "$src/build/kexdump" "${saves[@]}" >/dev/null
fi
cat "$src/docs/benchmarks.md"
