#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# run.sh OUTDIR SECONDS [MKSYNTH] -- build each libFuzzer target with clang (ASan +
# UBSan + libFuzzer) and run it for SECONDS from its seed corpus. Prints
# "ok - TARGET ..." or "not ok - TARGET ..." per target; a crash leaves the
# reproducer in OUTDIR and fails. MKSYNTH (tests/cli/mksynth.c, built by
# meson) seeds the dump target with well-formed synthetic dumps and the
# crafted files of tests/unit/hostile.c. Every target runs within 512 MB and
# 10 s per input: a crafted input that breaks either is a finding.
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
out=$1 secs=$2 mksynth=${3:-}
mkdir -p "$out"
if [[ -x $mksynth ]]; then
	mkdir -p "$out/fuzz-dump.corpus"
	"$mksynth" "$out/fuzz-dump.corpus" || exit 1
	# kdump-compressed, flattened and filtered-ELF seeds written by
	# kexdump save, so the fuzzer starts inside those readers too.
	kexdump=$(dirname "$mksynth")/../kexdump
	if [[ -x $kexdump ]]; then
		for f in "$out/fuzz-dump.corpus"/*.core; do
			for fmt in kdump:zstd kdump:zlib kdump:lz4 flat:lzo elf:none; do
				o=${f%.core}.${fmt/:/-}
				"$kexdump" save --force -d 1 --format "${fmt%%:*}" -c "${fmt#*:}" \
					"$f" "$o" >/dev/null 2>&1 || continue
				(($(stat -c %s "$o") <= 65536)) || rm -f "$o"
			done
		done
	fi
fi
# shellcheck disable=SC2054 # the commas are clang's
flags=(-g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=address,undefined
	-fno-sanitize-recover=undefined -I"$src/include" -I"$src/lib")
# The library is compiled once, instrumented for the fuzzer but without its
# main (-fsanitize=fuzzer-no-link), and linked into every target: compiling
# it per target cost ~40 s of CPU each.
mkdir -p "$out/lib"
libobj=()
for c in "$src"/lib/*/*.c; do
	o=${c#"$src"/lib/}
	libobj+=("$out/lib/${o//\//-}.o")
done
# shellcheck disable=SC2016 # expanded by the inner shell
if ! printf '%s\n' "$src"/lib/*/*.c | xargs -P "$(nproc)" -I{} sh -c '
	o=${0#"$1"/lib/}; o=$2/lib/$(echo "$o" | tr / -).o
	shift 2
	exec clang "$@" -fsanitize=fuzzer-no-link -c -o "$o" "$0"' {} "$src" "$out" "${flags[@]}" \
	2>"$out/lib.build.log"; then
	echo "not ok - fuzz library build failed: $(head -n 3 "$out/lib.build.log")"
	exit 1
fi
# The page codecs of lib/dump/codec.c, libbpf (and its libelf) of lib/kernel/btf.c,
# and liblzma, libblkid and libssh of lib/service, as meson.build links them.
libs=($(pkg-config --libs zlib libzstd liblz4 liblzma blkid libbpf libssh) -llzo2 -lsnappy -lpthread)
# The config target starts from a config that sets every key.
mkdir -p "$out/fuzz-config.corpus"
printf '%s\n' "target UUID=0a1b2c3d-0000-4000-8000-00000000abcd" "path /var/crash" \
	"fstype ext4" "dump_level 31" "compress zstd" "format kdump" "final_action reboot" \
	"failure_action poweroff" "modules virtio_blk ext4" "cmdline_append quiet=0" \
	"device_timeout 30" "hostname box" >"$out/fuzz-config.corpus/full.conf"
printf '%s\n' "target ssh://dump@[fd00::1]:2222/srv/crash" "target nfs://10.0.2.2/exports/d" \
	"raw /dev/vdb" "raw_id 00112233445566778899aabbccddeeff" >"$out/fuzz-config.corpus/chain.conf"
# The walks target starts from records that break a link each (offsets
# of tests/unit/synth-tasks.h: a task's tasks.next, a thread link, a
# per-CPU current task), in both layouts.
mkdir -p "$out/fuzz-walks.corpus"
printf '\x00\x20\x81\x00\x12\x00\x00\x00\x00\x00\x00' >"$out/fuzz-walks.corpus/tasks-link"
printf '\x01\x50\x82\x00\x11\x00\x00\x00\x00\x00\x00\x00\x71\x00\x00\x00\x00\x00\x00\x00\x00' >"$out/fuzz-walks.corpus/thread-and-cpu"
rc=0
for t in "$src"/tests/fuzz/fuzz-*.c; do
	name=$(basename "$t" .c)
	# fuzz-walks starts from the synthetic kernel of the unit tests.
	extra=()
	[[ $name == fuzz-walks ]] && extra=(-I"$src/tests/unit" "$src/tests/unit/synth.c" "$src/tests/unit/synth-tasks.c")
	if ! clang "${flags[@]}" -fsanitize=fuzzer -o "$out/$name" "$t" "${extra[@]}" "${libobj[@]}" "${libs[@]}" 2>"$out/$name.build.log"; then
		echo "not ok - $name: build failed: $(head -n 3 "$out/$name.build.log")"
		rc=1
		continue
	fi
	corpus=$out/$name.corpus
	mkdir -p "$corpus"
	if (cd "$out" && "./$name" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=512 \
		-timeout=10 "$corpus" >"$out/$name.log" 2>&1); then
		echo "ok - $name: $(grep -o 'Done [0-9]* runs' "$out/$name.log" | tail -n1) in $secs s"
	else
		echo "not ok - $name: $(grep -m1 -E 'ERROR|SUMMARY' "$out/$name.log")"
		tail -n 30 "$out/$name.log" | sed 's/^/#   /'
		rc=1
	fi
done
exit $rc
