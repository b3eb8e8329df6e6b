#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/mkfilled.sh [SIZE...] -- large, realistic vmcores for bench/save.py:
# a bookworm guest of SIZE RAM (default 8G; e.g. "2G 4G 8G") whose memory
# was filled with real files and partly freed before the crash, so the page
# cache is big and the free pages are not zero (tests/vm/init, fill=1).
# Leaves $KEXDUMP_BENCH_DIR/filled-SIZE/{vmcore,meminfo,meta,console.log}
# (default /var/tmp/kexdump-bench) and reuses a complete one.
#
# The fill disk is an ext4 image of the host's /usr (binaries, libraries,
# text), split into directories p000, p001, ... of about 128 MiB each,
# built once and cached as $KEXDUMP_CACHE/bench/fill.ext4.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/vm/common.sh
. "$src/tests/vm/common.sh"

root=${KEXDUMP_BENCH_DIR:-/var/tmp/kexdump-bench}
image=$CACHE/bench/fill.ext4
partmib=128
sizes=("$@")
((${#sizes[@]})) || sizes=(8G)
for s in "${sizes[@]}"; do
	[[ $s =~ ^[0-9]+G$ ]] || die "usage: $0 [SIZE...] (SIZE like 8G)"
done
need_pkgs e2fsprogs python3 qemu-system-x86 coreutils

if [[ ! -s $image ]]; then
	stage=$CACHE/bench/fill.stage
	rm -rf "$stage" "$image.tmp"
	mkdir -p "$stage"
	log "staging about 6 GiB of /usr files in $partmib MiB parts under $stage"
	# Hard links when /usr and the cache share a file system, copies
	# otherwise; files are taken in sorted order, so the parts are stable.
	blocks=$(python3 - "$stage" "$partmib" /usr/lib /usr/share /usr/bin /usr/sbin /usr/libexec /usr/include <<'EOF'
import os, shutil, sys
stage, partmib, tops = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
part, used, blocks, files = 0, 0, 0, 0
for top in tops:
    for d, dirs, names in os.walk(top):
        dirs.sort()
        for n in sorted(names):
            p = os.path.join(d, n)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if not os.path.isfile(p) or os.path.islink(p) or st.st_size == 0:
                continue
            if used and used + st.st_size > partmib << 20:
                part, used = part + 1, 0
            dst = os.path.join(stage, "p%03d" % part, p.lstrip("/"))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            try:
                os.link(p, dst)
            except OSError:
                try:
                    shutil.copyfile(p, dst)
                except OSError:
                    continue
            used += st.st_size
            blocks += (st.st_size + 4095) // 4096
            files += 1
with open(os.path.join(stage, "partmib"), "w") as f:
    f.write(f"{partmib}\n")
print(blocks, files, part + 1)
EOF
)
	read -r nblocks nfiles nparts <<<"$blocks"
	# Data blocks plus 1/8 for directories, extent blocks and slack.
	kib=$((nblocks * 4 * 9 / 8 + 256 * 1024))
	log "mke2fs: $nfiles files in $nparts parts, image $((kib / 1024)) MiB"
	mke2fs -q -t ext4 -O ^has_journal,^metadata_csum -m 0 -N $((nfiles * 2 + 65536)) \
		-E root_owner=0:0 -L kexdump-fill -d "$stage" "$image.tmp" "${kib}k"
	mv "$image.tmp" "$image"
	rm -rf "$stage"
fi

# A directory is complete when its meta says so for this size and image and
# the vmcore has the size the guest reported.
complete() {
	local dir=$1 want=$2
	[[ -s $dir/meta && -s $dir/vmcore && -s $dir/meminfo ]] || return 1
	(
		unset mem fill vmcore_size
		# shellcheck disable=SC1091
		. "$dir/meta"
		[[ "${mem:-} ${fill:-}" == "$want" && $(stat -c %s "$dir/vmcore") == "${vmcore_size:-}" ]]
	)
}

for s in "${sizes[@]}"; do
	out=$root/filled-$s
	if complete "$out" "$s $image"; then
		log "$out: up to date"
		continue
	fi
	need=$(($(numfmt --from=iec "$s") + (1 << 30)))
	mkdir -p "$root"
	avail=$(($(df -k --output=avail "$root" | tail -n1) * 1024))
	((avail > need)) || die "$root needs $((need >> 30)) GiB free, has $((avail >> 30)) GiB"
	t=$SECONDS
	KEXDUMP_TIMEOUT=${KEXDUMP_TIMEOUT:-5400} "$src/tests/vm/mkdump.sh" --suite bookworm \
		--cpus 2 --mem "$s" --paging 4 --load file --fill "$image" --out "$out"
	log "$out: $((SECONDS - t)) s, vmcore $(stat -c %s "$out/vmcore") bytes"
done
