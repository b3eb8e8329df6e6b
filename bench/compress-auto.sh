#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/compress-auto.sh BUILDDIR [--runs N] [--rate BYTES_PER_S] [--no-docs] DUMP...
# -- `compress auto` against a fixed codec, on a fast link and on a slow
# one: kexdump's ssh target (lib/service/sftp.c through
# BUILDDIR/tests/sftp-client, the library the capture calls) writes the
# dump at dump level 31 with compress none, zstd (its default level -1)
# and auto, to a real OpenSSH sshd of the script's own
# (tests/e2e/sshd.sh) on the loopback of a network namespace made for the
# run (unshare -n): directly (fast), and through tests/e2e/slowlink.py, a
# rate-limiting TCP proxy of the script's own (slow; --rate, default
# 8 MiB/s each way). Time to "dump complete", median of N runs (default
# 3), the file's size, and what auto chose (the codec of most pages, and
# the last choice with the link it measured). Writes its section of
# docs/benchmarks.md (replacing only that section) unless --no-docs.
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$bench/.." && pwd)
[[ $# -ge 2 ]] || { echo "usage: $0 BUILDDIR [--runs N] [--rate B/S] [--no-docs] DUMP..." >&2; exit 2; }
build=$(realpath "$1")
shift
runs=3 docs=1 rate=8388608
while [[ ${1:-} == --* ]]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	--no-docs) docs=0; shift ;;
	*) echo "$0: unknown option $1" >&2; exit 2 ;;
	esac
done
dumps=("$@")
client=$build/tests/sftp-client
[[ -x $client ]] || { echo "$0: $client missing (ninja -C $build)" >&2; exit 1; }
if [[ ${AUTO_BENCH_INNER:-} != 1 ]]; then
	# Everything below in a network namespace of our own, loopback only.
	exec unshare -n env AUTO_BENCH_INNER=1 "$0" "$build" --runs "$runs" --rate "$rate" \
		$( ((docs)) || echo --no-docs) "${dumps[@]}"
fi
ip link set lo up
work=$(mktemp -d /var/tmp/kd-auto-bench.XXXXXX)
# shellcheck source=tests/e2e/sshd.sh
source "$src/tests/e2e/sshd.sh"
proxy_pid=
stop() {
	[[ -z $proxy_pid ]] || { kill "$proxy_pid" 2>/dev/null; wait "$proxy_pid" 2>/dev/null; } || true
	sshd_kill
	rm -rf "$work"
}
trap stop EXIT
sshd_init "$work/sshd"
sshd_start
python3 "$src/tests/e2e/slowlink.py" --to "$SSHD_PORT" --rate "$rate" \
	--port-file "$work/slow.port" --log "$work/slow.log" &
proxy_pid=$!
for _ in $(seq 50); do [[ -s $work/slow.port ]] && break; sleep 0.1; done
slow_port=$(cat "$work/slow.port")
key=$work/id_ed25519 kh=$work/known_hosts srv=$work/srv
mkdir -p "$srv"
"$client" keygen "$key" >>"$SSHD_DIR/authorized_keys"
user=$(id -un)
# The host key pinned once: both ports reach the same sshd, pinned per port.
for port in "$SSHD_PORT" "$slow_port"; do
	"$client" --pin "$user" 127.0.0.1 "$port" "$key" "$kh" probe "$srv" >/dev/null
done
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }

table=$work/table
{
	echo "| dump | link | compress | dump complete s | file MiB | auto chose: most pages / last (link it measured) |"
	echo "|---|---|---|---:|---:|---|"
} >"$table"
for d in "${dumps[@]}"; do
	name=$(basename "$(dirname "$d")")
	for link in fast slow; do
		port=$SSHD_PORT label="loopback"
		[[ $link == slow ]] && port=$slow_port label="$(mib "$rate") MiB/s proxy"
		for codec in none zstd auto; do
			ts=() size=0 chose=-
			for ((r = 0; r < runs; r++)); do
				rm -f "$srv"/vmcore*
				t0=$(now)
				"$client" --codec "$codec" "$user" 127.0.0.1 "$port" "$key" "$kh" \
					save "$d" "$srv/vmcore" >"$work/out"
				t1=$(now)
				ts+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
				size=$(stat -c %s "$srv/vmcore")
				if [[ $codec == auto ]]; then
					chose=$(sed -n 's/^codec=\([^ ]*\) compress_auto=\([^ ]*\) .*: link \([0-9.]*\) MB\/s.*/\1 \/ \2 (\3 MB\/s)/p' "$work/out")
					sed -n 's/^codec=.* compress_auto=/# auto: /p' "$work/out" >&2
				fi
			done
			t=$(printf '%s\n' "${ts[@]}" | median)
			printf '| %s | %s | %s | %.2f | %s | %s |\n' "$name" "$label" "$codec" "$t" \
				"$(mib "$size")" "$chose" >>"$table"
			echo "$name $link $codec: $t s, file $(mib "$size") MiB, $chose" >&2
		done
	done
done
cat "$table"
# What the slow link really carried: its largest connection (a none run).
eff=$(awk '/: up [0-9]+ bytes in/ { if ($4 > b) { b = $4; s = $7 } } END { if (s > 0) printf "%.2f", b / s / 1e6 }' "$work/slow.log")
echo "slow link: ${eff:-?} MB/s carried by its largest connection" >&2
((docs)) || exit 0

md=$src/docs/benchmarks.md
head='## compress auto on a fast and a slow link (bench/compress-auto.sh)'
{
	echo "$head"
	echo
	echo "On the test machine ($(nproc) cores, shared: other jobs ran, so compare the"
	echo "rows, not the absolute numbers), from the real dumps of the test matrix"
	echo "(tests/vm) at dump level 31, kexdump's ssh target (\`sftp-client save\`,"
	echo "the library the capture calls, $(nproc) compressing threads) to an OpenSSH"
	echo "$(sshd -V 2>&1 | grep -o 'OpenSSH_[0-9.p]*' | head -n1) sshd on the loopback of a network namespace of the run's own:"
	echo "directly, and through tests/e2e/slowlink.py, a TCP proxy that forwards"
	echo "$(mib "$rate") MiB/s each way. Median of $runs runs. \`auto\` measures each codec on"
	echo "128 of the dump's pages and the link from its own writes, and decides"
	echo "again every 4 MiB written (docs/kexdump.conf.md, *compress auto*). The"
	echo "proxy caps at $(mib "$rate") MiB/s; SFTP's acknowledged writes through it carried"
	echo "${eff:-?} MB/s (its largest connection, compress none)."
	echo
	cat "$table"
	echo
	echo "On the loopback the link is faster than compression on this loaded"
	echo "machine: auto measures the codecs in CPU seconds, and other jobs' load"
	echo "stretches those into more wall time than it predicts, so it compresses"
	echo "where none was faster. In a capture kernel nothing else runs."
	echo "Measured $(date -u +%Y-%m-%d)."
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
