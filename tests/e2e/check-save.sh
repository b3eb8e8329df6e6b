#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-save.sh DUMPDIR KEXDUMP CMP_PAGES -- check "kexdump save" on one
# real dump made by tests/vm/mkdump.sh (DUMPDIR/vmcore, console.log, meta):
# every format and codec it writes must keep the source's pages bit for bit
# (CMP_PAGES, tests/e2e/cmp-pages.c), its log and facts, and give the crash
# utility and gdb the same answers as the source does (crash's output on
# the source is the oracle, right or wrong). Also the flattened stream,
# re-filtering, thread-count determinism, overwrite protection, file mode,
# a full disk (root only: a tmpfs of 8 MiB), and faults injected with
# tests/fault/faultfs.so: an unreadable source page, a full disk in each
# phase, the page count after it, SIGKILL and SIGTERM mid-save.
# makedumpfile, a reader that is not kexdump, must read kexdump's outputs:
# --dump-dmesg on the zlib and lzo kdump-compressed files (and zstd with the
# newer makedumpfile, tests/vm/makedumpfile-new.sh) gives the log it gives
# on the source, and -R reassembles kexdump's flattened streams into a dump
# it reads the same way (and crash too).
# Prints "ok - ..." / "not ok - ..." per check (skipped checks as
# "ok - ... # SKIP why", counted as skipped, never as passed), a "# ... s"
# timing line and a closing "N passed, N failed, N skipped" line; exits
# non-zero when any check failed.
# Env: KEXDUMP_CRASH=0 skips the crash and gdb checks;
# KEXDUMP_CRASH_TIMEOUT (default 300 s) per crash session.
set -uo pipefail
if (($# != 3)); then
	echo "usage: $0 DUMPDIR KEXDUMP CMP_PAGES" >&2
	exit 2
fi
dir=${1%/} kexdump=$2 cmp_pages=$3
here=$(cd "$(dirname "$0")" && pwd)
vmcore=$dir/vmcore
name=$(basename "$dir")
pass=0 fail=0 skip=0
t_start=$SECONDS
ok() { echo "ok - $name: $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $name: $*"; fail=$((fail + 1)); }
skip() { echo "ok - $name: $1 # SKIP $2"; skip=$((skip + 1)); }
excerpt() { head -n "${2:-10}" "$1" | sed 's/^/#   /'; }

# shellcheck disable=SC1091
. "$dir/meta" || { echo "not ok - $name: no meta"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
release=${release:-} banner=${banner:-}
# A private directory: the outputs hold the guest's memory.
work=$(mktemp -d "${TMPDIR:-/var/tmp}/kexdump-save.XXXXXX") || exit 1
chmod 700 "$work"
tiny=
cleanup() {
	local pids
	pids=$(jobs -p)
	# shellcheck disable=SC2086 # one argument per job
	[[ -n $pids ]] && kill $pids 2>/dev/null
	wait 2>/dev/null
	[[ -n $tiny ]] && umount "$tiny" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
# Modes must come from kexdump (0600), not from a strict umask.
umask 022

# save TAG ARGS...: kexdump save --json ARGS; rc in $rc, summary in
# $work/TAG.json, errors in $work/TAG.err, time in $secs.
save() {
	local tag=$1 t0
	shift
	t0=$(date +%s%N)
	"$kexdump" save --json "$@" >"$work/$tag.json" 2>"$work/$tag.err"
	rc=$?
	secs=$(printf '%d.%02d' $((($(date +%s%N) - t0) / 1000000000)) $(((($(date +%s%N) - t0) / 10000000) % 100)))
}
# What a save's JSON summary says, for the ok lines.
summary() { # summary TAG
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print("%d pages written, %.1f MiB" % (d["pages_written"], d["bytes_out"] / 1048576))' "$work/$1.json" 2>/dev/null ||
		echo "no JSON summary"
}
# codec_is TAG CODEC DESC: the save's JSON names CODEC as the one used.
codec_is() {
	local got
	got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["compress"])' "$work/$1.json" 2>&1)
	[[ $got == "$2" ]] && ok "$3: compressed with $2" || nok "$3: compressed with '$got', not $2"
}
# save_ok TAG DESC ARGS...: a save that must succeed.
save_ok() {
	local tag=$1 desc=$2
	shift 2
	save "$tag" "$@"
	if ((rc == 0)); then
		ok "save $desc: exit 0 ($(summary "$tag"), $secs s)"
		return 0
	fi
	nok "save $desc: exit $rc: $(head -c 400 "$work/$tag.err")"
	return 1
}
# cmp_pages DESC SOURCE OUTPUT [OPTIONS]: every page OUTPUT holds equals SOURCE's.
cmp_pages() {
	local desc=$1 src=$2 out=$3 r
	shift 3
	r=$("$cmp_pages" "$src" "$out" "$@" 2>&1)
	if (($? == 0)); then
		ok "$desc: cmp-pages${1:+ $*}: $(head -n1 <<<"$r")"
	else
		nok "$desc: cmp-pages${1:+ $*}:"
		sed 's/^/#   /' <<<"$r"
	fi
}
# Facts of a dump that every output of it must keep.
facts() { # facts DUMP OUT: kexdump info --json's key fields, one a line
	"$kexdump" info --json "$1" >"$2.json" 2>"$2.err" || return 1
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in ("release", "build_id", "cpus", "panic_cpu", "crash_time", "panic",
          "kaslr_offset", "paging_levels", "page_size", "cpu_states"):
    print(k, "=", json.dumps(d.get(k)))' "$2.json" >"$2"
}
field() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print(v)' "$1" "$2" 2>/dev/null; }

# check_output TAG FILE FORMAT: what every complete output must satisfy.
check_output() {
	local tag=$1 f=$2 fmt=$3 mode
	mode=$(stat -c %a "$f" 2>/dev/null)
	[[ $mode == 600 ]] && ok "$tag: mode 0600" || nok "$tag: mode '$mode', wanted 600"
	[[ ! -e $f.incomplete ]] && ok "$tag: no $(basename "$f").incomplete left" ||
		nok "$tag: $(basename "$f").incomplete left after success"
	cmp_pages "$tag" "$vmcore" "$f"
	if "$kexdump" dmesg "$f" >"$work/$tag.dmesg" 2>"$work/$tag.dmesg.err" &&
		cmp -s "$work/$tag.dmesg" "$work/src.dmesg"; then
		ok "$tag: dmesg identical to the source's ($(wc -l <"$work/$tag.dmesg") lines)"
	else
		nok "$tag: dmesg differs from the source's: $(head -c 300 "$work/$tag.dmesg.err")"
		diff "$work/src.dmesg" "$work/$tag.dmesg" | excerpt /dev/stdin
	fi
	local err
	if facts "$f" "$work/$tag.facts" && cmp -s "$work/$tag.facts" "$work/src.facts"; then
		ok "$tag: info --json release, build_id, cpus, crash_time, panic, kaslr_offset, cpu_states... equal the source's"
	else
		err=$(head -c 300 "$work/$tag.facts.err")
		nok "$tag: info --json differs from the source's${err:+: $err}"
		diff "$work/src.facts" "$work/$tag.facts" | excerpt /dev/stdin
	fi
	local got
	got="$(field "$work/$tag.facts.json" format) $(field "$work/$tag.facts.json" incomplete)"
	[[ $got == "$fmt False" ]] && ok "$tag: info format $fmt, complete" ||
		nok "$tag: info format/incomplete '$got', wanted '$fmt False'"
}

# ------------------------------------------------------------------ source
"$kexdump" dmesg "$vmcore" >"$work/src.dmesg" 2>"$work/src.dmesg.err" ||
	nok "source: kexdump dmesg failed: $(cat "$work/src.dmesg.err")"
# makedumpfile's log of the source: the oracle for its log of the outputs.
makedumpfile --dump-dmesg "$vmcore" "$work/src.md-dmesg" >"$work/src.md-dmesg.out" 2>&1 ||
	nok "source: makedumpfile --dump-dmesg failed: $(tail -n2 "$work/src.md-dmesg.out")"
# md_dmesg DESC FILE [MAKEDUMPFILE]: makedumpfile --dump-dmesg reads FILE,
# a dump kexdump wrote, and finds the log it finds in the source (each
# version against itself: 1.7.8 prints caller ids, 1.7.2 does not).
md_dmesg() {
	local desc=$1 f=$2 md=${3:-makedumpfile} out ref=$work/src.md-dmesg
	out=$work/md-dmesg.$RANDOM
	if [[ $md != makedumpfile ]]; then
		ref=$work/src.mdnew-dmesg
		[[ -s $ref ]] || "$md" --dump-dmesg "$vmcore" "$ref" >"$ref.out" 2>&1 ||
			nok "source: $md --dump-dmesg failed: $(tail -n2 "$ref.out")"
	fi
	if "$md" --dump-dmesg "$f" "$out" >"$out.log" 2>&1 && [[ -s $out ]] &&
		cmp -s "$out" "$ref"; then
		ok "$desc: $("$md" -v 2>&1 | head -n1 | sed 's/: version//') --dump-dmesg reads it, log identical to its log of the source ($(wc -l <"$out") lines)"
	else
		nok "$desc: $md --dump-dmesg: $(grep -m2 -iE 'error|fail|not|support' "$out.log" | tr '\n' ' ')"
		[[ -s $out ]] && diff "$ref" "$out" | excerpt /dev/stdin
	fi
	rm -f "$out" "$out.log"
}
mdnew=$("$here/../vm/makedumpfile-new.sh" 2>"$work/mdnew.err") || mdnew=
facts "$vmcore" "$work/src.facts" ||
	nok "source: kexdump info --json failed: $(cat "$work/src.facts.err")"
kaslr=$(field "$work/src.facts.json" kaslr_offset)

# crash and gdb need the kernel's debug vmlinux; crash starts three times
# faster from a copy with a .gdb_index, made once next to it.
vmlinux='' crash_why=
if [[ ${KEXDUMP_CRASH:-1} == 0 ]]; then
	crash_why="KEXDUMP_CRASH=0"
elif ! command -v crash >/dev/null || ! command -v gdb >/dev/null; then
	crash_why="crash or gdb not installed"
elif ! vmlinux=$("$here/../vm/vmlinux-dbg.sh" "$release" 2>"$work/vmlinux.err"); then
	crash_why="no debug vmlinux for $release: $(tail -n1 "$work/vmlinux.err")"
	vmlinux=
else
	idx=$vmlinux.gdb-index
	if [[ ! -s $idx || $idx -ot $vmlinux ]] && command -v gdb-add-index >/dev/null; then
		if tmp=$(mktemp "$idx.XXXXXX"); then
			if ! { cp "$vmlinux" "$tmp" && gdb-add-index "$tmp" >/dev/null 2>&1 && mv "$tmp" "$idx"; }; then
				rm -f "$tmp"
			fi
		fi
	fi
	[[ -s $idx ]] && vmlinux=$idx
fi
# The crash of the dump's own Debian release: bookworm's 8.0.2 cannot open
# Linux 6.12 (below), trixie's 8.0.6 can (tests/vm/crash-new.sh).
crash_cmd=crash
if [[ -n $vmlinux && ${suite:-} == trixie ]]; then
	if crash_cmd=$("$here/../vm/crash-new.sh" 2>"$work/crash-new.err"); then
		export KEXDUMP_CRASH_CMD=$crash_cmd
	else
		crash_why="no trixie crash: $(tail -n1 "$work/crash-new.err")"
		vmlinux=
	fi
fi
crash_ver=$("$crash_cmd" --version 2>/dev/null | grep -m1 -o '^crash [0-9][0-9.]*')
# oracle TAG DUMP: crash-oracle.sh in the background; oracle_rc TAG waits
# for it. The source's runs first: crash 8.0.2 cannot open Linux 6.12
# (it finds KASLR through the symbol module_load_offset, which 6.12 no
# longer has, so it reads page_offset_base unrelocated; forcing
# --kaslr=auto gets it further, then bt fails and it dies of heap
# corruption), and then the outputs' runs would be wasted time.
declare -A oracle_pid
oracle() {
	[[ -n $vmlinux ]] || return
	"$here/crash-oracle.sh" "$vmlinux" "$2" "$work/crash-$1" 2>"$work/crash-$1.why" &
	oracle_pid[$1]=$!
}
oracle_rc() { wait "${oracle_pid[$1]}"; }
oracle src "$vmcore"

# ----------------------------------------- kdump (zstd, zlib) and ELF, -d 31
t_save=$SECONDS
declare -A outputs=([kdump-zstd]="kdump" [kdump-zlib]="kdump" [elf]="elf")
save_ok kdump-zstd "-d 31 --format kdump --compress zstd" -d 31 --format kdump --compress zstd "$vmcore" "$work/kz.kdump"
save_ok kdump-zlib "-d 31 --format kdump --compress zlib" -d 31 --format kdump --compress zlib "$vmcore" "$work/kc.kdump"
save_ok elf "--format elf -d 31" --format elf -d 31 "$vmcore" "$work/el.elf"
declare -A file=([kdump-zstd]=$work/kz.kdump [kdump-zlib]=$work/kc.kdump [elf]=$work/el.elf)
for tag in kdump-zstd kdump-zlib elf; do
	[[ -f ${file[$tag]} ]] && check_output "$tag" "${file[$tag]}" "${outputs[$tag]}"
done
[[ -f ${file[kdump-zlib]} ]] && md_dmesg "kdump-zlib (-d 31 -c zlib)" "${file[kdump-zlib]}"
# Debian 12's makedumpfile 1.7.2 has no zstd; the newer one reads it.
if [[ -z $mdnew ]]; then
	nok "kdump-zstd: no newer makedumpfile to read it: $(tail -n1 "$work/mdnew.err")"
elif [[ -f ${file[kdump-zstd]} ]]; then
	md_dmesg "kdump-zstd (-d 31 -c zstd)" "${file[kdump-zstd]}" "$mdnew"
fi
# crash on the outputs, in the background while the checks below run.
src_oracle_rc=1
if [[ -n $vmlinux ]]; then
	oracle_rc src
	src_oracle_rc=$?
fi
if ((src_oracle_rc == 0)); then
	for tag in kdump-zstd kdump-zlib elf; do
		[[ -f ${file[$tag]} ]] && oracle "$tag" "${file[$tag]}"
	done
fi

# gdb on the ELF output: the kernel is relocated by KASLR, so the symbols
# are loaded at the offset kexdump info reports.
if [[ -z $vmlinux ]]; then
	skip "gdb linux_banner on the ELF output" "$crash_why"
elif [[ ! -f $work/el.elf || -z $kaslr || $kaslr == None ]]; then
	nok "gdb linux_banner: no ELF output or no KASLR offset ('$kaslr')"
else
	got=$(timeout 300 gdb -batch -nx -ex "symbol-file -o $kaslr $vmlinux" -ex "core-file $work/el.elf" \
		-ex 'printf "banner=%s", linux_banner' 2>"$work/gdb.err" | sed -n 's/^banner=//p')
	kd=$("$kexdump" read "$work/el.elf" linux_banner --string 2>&1)
	if [[ -n $got && $got == "$banner" && $got == "$kd" ]]; then
		ok "gdb (symbol-file -o $kaslr) prints the console's linux_banner from the ELF output, as kexdump read does"
	else
		nok "gdb linux_banner on the ELF output: '$got' (kexdump read: '$kd', console: '$banner') $(tail -n2 "$work/gdb.err")"
	fi
fi

# -------------------------------------------------------- -d 0: every page
if save_ok d0 "-d 0 --compress zstd" -d 0 --compress zstd "$vmcore" "$work/d0.kdump"; then
	cmp_pages "-d 0" "$vmcore" "$work/d0.kdump" --all
fi

# ------------------------------------------------------- flattened streams
"$kexdump" save -d 31 "$vmcore" - >"$work/stream.flat" 2>"$work/stream.err"
rc=$?
if ((rc == 0)); then
	ok "save -d 31 SRC - (stdout): exit 0 ($(($(stat -c %s "$work/stream.flat") >> 20)) MiB)"
	cmp_pages "flattened stdout read directly" "$vmcore" "$work/stream.flat"
	if "$kexdump" save - "$work/re.kdump" <"$work/stream.flat" >"$work/re.out" 2>&1; then
		ok "save - DEST < stream: reassembled, exit 0"
		cmp_pages "reassembled" "$vmcore" "$work/re.kdump"
		got=$(field <("$kexdump" info --json "$work/re.kdump" 2>&1) format)
		[[ $got == kdump ]] && ok "reassembled: info format kdump" || nok "reassembled: info format '$got'"
		mode=$(stat -c %a "$work/re.kdump")
		[[ $mode == 600 ]] && ok "reassembled: mode 0600" || nok "reassembled: mode '$mode', wanted 600"
		# makedumpfile -R reassembles the same stream into the same file.
		if makedumpfile -R "$work/re-md.kdump" <"$work/stream.flat" >"$work/re-md.out" 2>&1; then
			if cmp "$work/re-md.kdump" "$work/re.kdump" >"$work/re-md.cmp" 2>&1; then
				ok "makedumpfile -R < stream: byte-identical to kexdump's reassembly ($(stat -c %s "$work/re-md.kdump") bytes)"
			else
				nok "makedumpfile -R < stream differs from kexdump's reassembly: $(head -n1 "$work/re-md.cmp")"
			fi
		else
			nok "makedumpfile -R < stream: $(tail -n2 "$work/re-md.out")"
		fi
	else
		nok "save - DEST < stream: $(head -c 400 "$work/re.out")"
	fi
else
	nok "save -d 31 SRC - : exit $rc: $(head -c 400 "$work/stream.err")"
fi
if save_ok flat "--format flat -d 31" --format flat -d 31 "$vmcore" "$work/ff.flat"; then
	got=$(field <("$kexdump" info --json "$work/ff.flat" 2>&1) format)
	[[ $got == flattened ]] && ok "--format flat: info format flattened" ||
		nok "--format flat: info format '$got', wanted flattened"
	cmp_pages "--format flat read directly" "$vmcore" "$work/ff.flat"
	"$kexdump" dmesg "$work/ff.flat" 2>&1 | cmp -s - "$work/src.dmesg" &&
		ok "--format flat: dmesg identical to the source's" ||
		nok "--format flat: dmesg differs from the source's"
fi
# A flattened zlib stream (what makedumpfile -F writes, and 1.7.2 reads
# zlib): makedumpfile -R turns it into a dump that makedumpfile and
# crash read as they read the source, and that holds the source's pages.
"$kexdump" save -d 31 -c zlib "$vmcore" - 2>"$work/zstream.err" |
	makedumpfile -R "$work/mdR.kdump" >"$work/mdR.out" 2>&1
rcs=("${PIPESTATUS[@]}")
if [[ ${rcs[*]} == "0 0" && -s $work/mdR.kdump ]]; then
	ok "kexdump save -d 31 -c zlib SRC - | makedumpfile -R DEST: both exit 0 ($(($(stat -c %s "$work/mdR.kdump") >> 20)) MiB)"
	md_dmesg "makedumpfile -R of the zlib stream" "$work/mdR.kdump"
	cmp_pages "makedumpfile -R of the zlib stream" "$vmcore" "$work/mdR.kdump"
else
	nok "kexdump save -c zlib SRC - | makedumpfile -R: exits ${rcs[*]}: $(head -c 300 "$work/zstream.err") $(tail -n2 "$work/mdR.out")"
fi

# ------------------------------------------- re-filtering kexdump's output
# An lzo -d 1 save (zstd at -d 31 with --force below): crash reads it as
# it reads the source. The codecs are named: compress auto chooses by
# measured speed (lib/save/save-auto.c, with its own tests), and these
# checks are about lzo, which Debian 12's makedumpfile 1.7.2 reads.
if save_ok d1 "-d 1" -d 1 --compress lzo "$vmcore" "$work/d1.kdump" &&
	save_ok d1-31 "-d 31 of the -d 1 output" -d 31 --compress zstd "$work/d1.kdump" "$work/d1-31.kdump"; then
	codec_is d1 lzo "-d 1 --compress lzo"
	md_dmesg "-d 1 (lzo)" "$work/d1.kdump"
	[[ -s $work/mdR.kdump ]] && ((src_oracle_rc == 0)) && oracle mdR "$work/mdR.kdump"
	((src_oracle_rc == 0)) && oracle d1-lzo "$work/d1.kdump"
	cmp_pages "-d 1" "$vmcore" "$work/d1.kdump"
	# Both ways: the same set of pages, all identical.
	if [[ -f $work/kz.kdump ]]; then
		cmp_pages "-d 31 of -d 1 = direct -d 31" "$work/kz.kdump" "$work/d1-31.kdump" --all
	fi
fi

# ------------------------------------------------- threads: same bytes
if save_ok j1 "-j 1" -d 31 --compress zstd -j 1 "$vmcore" "$work/j1.kdump" &&
	save_ok j2 "-j 2" -d 31 --compress zstd -j 2 "$vmcore" "$work/j2.kdump"; then
	if cmp "$work/j1.kdump" "$work/j2.kdump" >"$work/cmp.out" 2>&1; then
		ok "-j 1 and -j 2 outputs byte-identical ($(stat -c %s "$work/j1.kdump") bytes)"
	else
		nok "-j 1 and -j 2 outputs differ: $(head -n1 "$work/cmp.out")"
	fi
fi

# ------------------------------------------------------ existing DEST
printf 'not a dump\n' >"$work/exists"
save exists -d 31 "$vmcore" "$work/exists"
if ((rc != 0)) && [[ $(cat "$work/exists") == "not a dump" ]] && [[ ! -e $work/exists.incomplete ]]; then
	ok "existing DEST: refused, exit $rc, left unchanged ($(head -n1 "$work/exists.err"))"
else
	nok "existing DEST: exit $rc, content now $(head -c 40 "$work/exists" | od -An -c | head -n1)"
fi
if save_ok force "--force over an existing DEST" -d 31 --compress zstd --force "$vmcore" "$work/exists"; then
	cmp_pages "--force" "$vmcore" "$work/exists"
	codec_is force zstd "-d 31 --compress zstd"
	mode=$(stat -c %a "$work/exists")
	[[ $mode == 600 ]] && ok "--force: mode 0600" || nok "--force: mode '$mode', wanted 600"
fi

# ------------------------------------ a full disk: exit 3, incomplete dump
if ((EUID != 0)); then
	skip "full disk (8 MiB tmpfs): exit 3, incomplete flag, log readable" "needs root to mount a tmpfs"
elif ! mkdir "$work/tiny" || ! mount -t tmpfs -o size=8m,mode=0700 tmpfs "$work/tiny" 2>"$work/mount.err"; then
	skip "full disk (8 MiB tmpfs): exit 3, incomplete flag, log readable" "cannot mount a tmpfs: $(head -n1 "$work/mount.err")"
else
	tiny=$work/tiny
	save full -d 31 "$vmcore" "$tiny/out"
	if ((rc == 3)); then
		ok "full disk: exit 3 ($(tail -n1 "$work/full.err"))"
	else
		nok "full disk: exit $rc, wanted 3: $(head -c 400 "$work/full.err")"
	fi
	if [[ -f $tiny/out && ! -e $tiny/out.incomplete ]]; then
		ok "full disk: DEST exists ($(stat -c %s "$tiny/out") bytes), no .incomplete left"
	else
		nok "full disk: DEST $( [[ -f $tiny/out ]] && echo exists || echo missing), $(ls "$tiny")"
	fi
	got=$(field <("$kexdump" info --json "$tiny/out" 2>&1) incomplete)
	[[ $got == True ]] && ok "full disk: info says incomplete" || nok "full disk: info incomplete = '$got'"
	if "$kexdump" dmesg "$tiny/out" >"$work/full.dmesg" 2>"$work/full.dmesg.err" &&
		cmp -s "$work/full.dmesg" "$work/src.dmesg"; then
		ok "full disk: dmesg of the incomplete dump identical to the source's"
	else
		nok "full disk: dmesg of the incomplete dump: $(head -c 300 "$work/full.dmesg.err")"
	fi
	r=$("$cmp_pages" "$vmcore" "$tiny/out" --allow-missing 2>&1)
	if (($? == 0)) && grep -q ' differ=0 missing_in_source=0 ' <<<"$r" && ! grep -q ' missing_in_output=0 ' <<<"$r"; then
		ok "full disk: no page differs, unwritten ones reported missing: $(head -n1 <<<"$r")"
	else
		nok "full disk: cmp-pages --allow-missing:"
		sed 's/^/#   /' <<<"$r"
	fi
	umount "$tiny" && tiny=
fi
# --------------- faults (tests/fault/faultfs.so, built next to CMP_PAGES)
# A source page that cannot be read (EIO) is left out and counted, the
# rest saved; a full disk in each phase of the kdump writer leaves an
# incomplete dump that kexdump info says is one; pages_written is what the
# file holds; SIGKILL mid-save never leaves a DEST.
faultfs=$(dirname "$cmp_pages")/faultfs.so
if [[ ! -f $faultfs ]]; then
	skip "faults (EIO, ENOSPC per phase, SIGKILL)" "no $faultfs"
else
	preload=$faultfs
	for rt in $(ldd "$kexdump" 2>/dev/null | awk '/lib(asan|ubsan)\.so/ {print $3}'); do
		preload=$rt:$preload
	done
	faulty() { env LD_PRELOAD="$preload" ASAN_OPTIONS=verify_asan_link_order=0 "$@"; }
	jfield() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2" 2>/dev/null; }
	cfield() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" $2" | head -n1; }
	# A byte 32 MiB into the largest PT_LOAD of the source.
	bad_off=$(python3 - "$vmcore" <<'PY'
import struct, sys
f = open(sys.argv[1], 'rb')
eh = f.read(64)
phoff, = struct.unpack_from('<Q', eh, 32)
phnum, = struct.unpack_from('<H', eh, 56)
f.seek(phoff)
best = max((struct.unpack_from('<IIQQQQQQ', f.read(56)) for _ in range(phnum)),
           key=lambda p: p[5] if p[0] == 1 else -1)
print(best[2] + (32 << 20) + 100)
PY
)
	vbase=$(basename "$vmcore")
	faulty FAULTFS_SRC="$dir/$vbase" FAULTFS_EIO_AT="$bad_off" \
		"$kexdump" save --json -d 1 -c lzo "$vmcore" "$work/eio.kdump" >"$work/eio.json" 2>"$work/eio.err"
	rc=$? un=$(jfield "$work/eio.json" pages_unreadable)
	r=$("$cmp_pages" "$vmcore" "$work/eio.kdump" --all --allow-missing 2>&1)
	if ((rc == 0)) && [[ $un == 1 ]] && grep -q ' differ=0 ' <<<"$r" &&
		[[ $(cfield not_in_output "$r") == 1 && $(cfield missing_in_output "$r") == 0 ]]; then
		ok "EIO at source offset $bad_off, -d 1: exit 0, 1 page unreadable and left out, every other page identical ($(head -n1 <<<"$r"))"
	else
		nok "EIO at source offset $bad_off: exit $rc, pages_unreadable '$un': $(head -c 300 "$work/eio.err") $r"
	fi
	got=$(field <("$kexdump" info --json "$work/eio.kdump" 2>&1) incomplete)
	[[ $got == False ]] && ok "EIO: info says complete" || nok "EIO: info incomplete '$got'"
	# The layout of the -d 31 zstd output (kdump-layout.h, makedumpfile's
	# diskdump_mod.h): header block, sub header, bitmaps, descriptors, data.
	if [[ -f $work/kz.kdump ]]; then
		read -r bitmap_off desc_off data_off < <(python3 - "$work/kz.kdump" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read()
bs, sub, bmb = struct.unpack_from('<III', b, 428)
bm = (1 + sub) * bs
desc = bm + bmb * bs
half = bmb * bs // 2
n = sum(bin(x).count('1') for x in b[bm + half:bm + 2 * half])
print(bm, desc, (desc + n * 24 + bs - 1) // bs * bs)
PY
)
		for phase in "header 4096-$bitmap_off" "bitmaps $((bitmap_off + 4096))-$desc_off" \
			"descriptors $((desc_off + 65536))-$data_off" "pages $((data_off + (4 << 20)))-"; do
			read -r pname range <<<"$phase"
			out=$work/nospc-$pname
			faulty FAULTFS_DST=nospc-$pname FAULTFS_ENOSPC_RANGE=$range \
				"$kexdump" save --json -d 31 --compress zstd "$vmcore" "$out" >"$out.json" 2>"$out.err"
			rc=$?
			info=$("$kexdump" info --json "$out" 2>&1)
			got=$(field <(echo "$info") incomplete)
			[[ $info == kexdump:*incomplete* ]] && got="True (cannot be read: ${info#kexdump: })"
			if ((rc == 3)) && [[ -f $out && ! -e $out.incomplete && $got == True* ]]; then
				ok "ENOSPC in the $pname ($range): exit 3, DEST exists, info says incomplete${got#True}"
			else
				nok "ENOSPC in the $pname: exit $rc, info: $(head -c 200 <<<"$info") $(head -c 200 "$out.err")"
			fi
		done
	fi
	# -d 0 cut by a full disk after 64 MiB: pages_written is what it holds.
	faulty FAULTFS_DST=count.kdump FAULTFS_ENOSPC_AFTER=$((64 << 20)) \
		"$kexdump" save --json -d 0 --compress zstd "$vmcore" "$work/count.kdump" >"$work/count.json" 2>"$work/count.err"
	rc=$? written=$(jfield "$work/count.json" pages_written)
	r=$("$cmp_pages" "$vmcore" "$work/count.kdump" --allow-missing 2>&1)
	if ((rc == 3)) && [[ -n $written && $written == "$(cfield identical "$r")" ]] && grep -q ' differ=0 ' <<<"$r"; then
		ok "ENOSPC after 64 MiB, -d 0: exit 3, pages_written $written = pages the file holds"
	else
		nok "ENOSPC after 64 MiB: exit $rc, pages_written '$written': $r"
	fi
	# SIGKILL and SIGTERM mid-save (slowed writes): never a DEST.
	for sig in KILL TERM; do
		faulty FAULTFS_DST=sig$sig FAULTFS_DELAY_US=2000 \
			"$kexdump" save -d 0 --compress none "$vmcore" "$work/sig$sig" >/dev/null 2>&1 &
		pid=$!
		sleep 1
		kill -"$sig" "$pid"
		wait "$pid"
		rc=$?
		if ((rc > 128)) && [[ ! -e $work/sig$sig ]]; then
			ok "SIG$sig after 1 s of a -d 0 save: exit $rc, no DEST$([[ -e $work/sig$sig.incomplete ]] && echo ", DEST.incomplete left")"
		else
			nok "SIG$sig mid-save: exit $rc, DEST $([[ -e $work/sig$sig ]] && echo exists || echo absent)"
		fi
	done
fi
t_saves=$((SECONDS - t_save))

# ------------------------------------------------------------ crash oracle
t_crash=$SECONDS
if [[ -z $vmlinux ]]; then
	for tag in kdump-zstd kdump-zlib elf d1-lzo mdR; do
		skip "crash log/bt/ps/kmem -i on $tag as on the source" "$crash_why"
	done
elif ((src_oracle_rc != 0)); then
	why=$(sed 's/^crash (exit [0-9]*) wrote no .* output: //' "$work/crash-src.why")
	for tag in kdump-zstd kdump-zlib elf d1-lzo mdR; do
		skip "crash log/bt/ps/kmem -i on $tag as on the source" "${crash_ver:-crash} cannot read $release: $why"
	done
else
	for tag in kdump-zstd kdump-zlib elf d1-lzo mdR; do
		if [[ -z ${oracle_pid[$tag]:-} ]]; then
			nok "crash on $tag: no output to run it on"
			continue
		fi
		if ! oracle_rc "$tag"; then
			nok "crash on $tag: $(cat "$work/crash-$tag.why")"
			continue
		fi
		for c in log bt ps kmem-i session; do
			a=$work/crash-src/$c b=$work/crash-$tag/$c
			what="crash '${c/-/ }'"
			[[ $c == session ]] && what="crash's start-up messages"
			if cmp -s "$a" "$b"; then
				ok "$tag: $what identical to the source's ($(wc -l <"$a") lines)"
			else
				nok "$tag: $what differs from the source's:"
				diff "$a" "$b" | excerpt /dev/stdin
			fi
		done
	done
fi
t_crash=$((SECONDS - t_crash))

echo "# $name: $((SECONDS - t_start)) s wall (saves and their checks $t_saves s, then waiting for crash $t_crash s)"
echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
