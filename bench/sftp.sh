#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/sftp.sh BUILDDIR [--runs N] [--no-docs] DUMP... -- a dump over ssh:
# kexdump's ssh target (lib/service/sftp.c through BUILDDIR/tests/sftp-client:
# a kdump-compressed file written at offsets over SFTP) against kdump-tools'
# way, `makedumpfile -F -l -d 31 VMCORE | ssh HOST 'cat > vmcore.flat'`,
# plus the `makedumpfile -R` the peer's dump still needs before crash can
# open it. Both to a real OpenSSH sshd of the script's own (tests/e2e/sshd.sh)
# on the loopback of a network namespace made for the run (unshare -n), so
# that the loopback's byte counter is the bytes on the wire of that run
# alone: the SSH stream both ways with its TCP/IP headers. Wall time per
# run, the median of N (default 3). Writes its section of
# docs/benchmarks.md (replacing only that section) unless --no-docs.
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$bench/.." && pwd)
[[ $# -ge 2 ]] || { echo "usage: $0 BUILDDIR [--runs N] [--no-docs] DUMP..." >&2; exit 2; }
build=$(realpath "$1")
shift
runs=3 docs=1
while [[ ${1:-} == --* ]]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--no-docs) docs=0; shift ;;
	*) echo "$0: unknown option $1" >&2; exit 2 ;;
	esac
done
dumps=("$@")
client=$build/tests/sftp-client
[[ -x $client ]] || { echo "$0: $client missing (ninja -C $build)" >&2; exit 1; }
if [[ ${SFTP_BENCH_INNER:-} != 1 ]]; then
	# Everything below in a network namespace of our own, loopback only.
	exec unshare -n env SFTP_BENCH_INNER=1 "$0" "$build" --runs "$runs" \
		$( ((docs)) || echo --no-docs) "${dumps[@]}"
fi
ip link set lo up
work=$(mktemp -d /var/tmp/kd-sftp-bench.XXXXXX)
# shellcheck source=tests/e2e/sshd.sh
source "$src/tests/e2e/sshd.sh"
trap 'sshd_kill; rm -rf "$work"' EXIT
sshd_init "$work/sshd"
sshd_start
key=$work/id_ed25519 kh=$work/known_hosts srv=$work/srv
mkdir -p "$srv"
"$client" keygen "$key" >>"$SSHD_DIR/authorized_keys"
user=$(id -un)
"$client" --pin "$user" 127.0.0.1 "$SSHD_PORT" "$key" "$kh" probe "$srv" >/dev/null
ssh_opts=(-p "$SSHD_PORT" -i "$key" -o UserKnownHostsFile="$kh" -o StrictHostKeyChecking=yes
	-o BatchMode=yes)
# /proc/net/dev is this namespace's (sysfs shows the mounter's): lo's tx bytes.
lo() { sed -n 's/^ *lo: *//p' /proc/net/dev | awk '{print $9}'; }
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }

table=$work/table
{
	echo "| dump | way | dump complete s | + makedumpfile -R s | readable after s | MiB on the wire | file MiB |"
	echo "|---|---|---:|---:|---:|---:|---:|"
} >"$table"
for d in "${dumps[@]}"; do
	name=$(basename "$(dirname "$d")")
	for way in kexdump-zstd kexdump-lzo makedumpfile-lzo; do
		ts=() rs=() wire=0 size=0
		for ((r = 0; r < runs; r++)); do
			rm -f "$srv"/vmcore*
			b0=$(lo) t0=$(now)
			case $way in
			kexdump-*)
				"$client" --codec "${way#kexdump-}" "$user" 127.0.0.1 "$SSHD_PORT" "$key" "$kh" \
					save "$d" "$srv/vmcore" >/dev/null
				t1=$(now) b1=$(lo) t2=$t1
				;;
			makedumpfile-lzo)
				makedumpfile -F -l -d 31 "$d" 2>/dev/null |
					ssh "${ssh_opts[@]}" "$user@127.0.0.1" "cat > $srv/vmcore.flat"
				t1=$(now) b1=$(lo)
				makedumpfile -R "$srv/vmcore" <"$srv/vmcore.flat" >/dev/null 2>&1
				t2=$(now)
				;;
			esac
			ts+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
			rs+=("$(awk -v a="$t1" -v b="$t2" 'BEGIN {print b - a}')")
			wire=$((b1 - b0))
			size=$(stat -c %s "$srv/vmcore")
		done
		t=$(printf '%s\n' "${ts[@]}" | median)
		rt=$(printf '%s\n' "${rs[@]}" | median)
		printf '| %s | %s | %.2f | %s | %.2f | %s | %s |\n' "$name" "$way" "$t" \
			"$([[ $way == makedumpfile-* ]] && printf '%.2f' "$rt" || echo -)" \
			"$(awk -v a="$t" -v b="$rt" 'BEGIN {print a + b}')" "$(mib "$wire")" \
			"$(mib "$size")" >>"$table"
		echo "$name $way: $t s (+ $rt s), wire $(mib "$wire") MiB, file $(mib "$size") MiB" >&2
	done
done
cat "$table"
((docs)) || exit 0

md=$src/docs/benchmarks.md
head='## Dumps over ssh (bench/sftp.sh)'
{
	echo "$head"
	echo
	echo "On the test machine ($(nproc) cores, shared: other jobs ran, so compare the"
	echo "rows, not the absolute numbers), from the real dumps of the test matrix"
	echo "(tests/vm) to an OpenSSH $(sshd -V 2>&1 | grep -o 'OpenSSH_[0-9.p]*' | head -n1) sshd on the loopback of a"
	echo "network namespace of the run's own (bytes on the wire: the loopback's"
	echo "counter, the SSH stream both ways with TCP/IP headers), dump level 31,"
	echo "median of $runs runs. kexdump: its ssh target (\`sftp-client save\`, the"
	echo "library the capture calls), a kdump-compressed file written at offsets"
	echo "over SFTP, readable by crash as soon as it is complete; with zstd (what"
	echo "\`auto\` picks at level 31) and with lzo. makedumpfile: kdump-tools' way,"
	echo "\`makedumpfile -F -l -d 31 VMCORE | ssh HOST 'cat > vmcore.flat'\`, which"
	echo "still needs \`makedumpfile -R\` on the server before crash opens it."
	echo
	cat "$table"
	echo
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
