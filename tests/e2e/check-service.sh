#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-service.sh KEXDUMP_STATIC [WORKDIR] -- the crash-dump service end
# to end in QEMU (TCG): guests built by tests/vm/service-rootfs.sh run
# `kexdump setup`, panic, the capture kernel (kexdump's own initramfs,
# kexdump as PID 1: no busybox, kexec-tools or makedumpfile) writes the
# dump to the guest's disk and reboots, and the next boot lists it
# (tests/vm/service-init).  Scenarios, together covering both Debian
# kernels, 1 and 2 vCPUs and the three kinds of panic:
#   bookworm 1 cpu  rehearse (no crash: info/dmesg/pages on /proc/kcore;
#                   the rehearsal, kexdump test, passes on the healthy
#                   guest and names each problem: a module taken out of
#                   the initramfs, the target full, an nfs:// link to a
#                   closed port, the reservation shrunk to 64 MiB)
#   bookworm 1 cpu  sysrq (kexdump test --json rehearses first: its
#                   estimate within 25% of the vmcore written; then
#                   kexdump test --yes-crash-now), then a fast
#                   reboot (kexdump load --reboot + kexdump exec)
#   trixie   2 cpus pid1  (the guest's init exits; .ko.xz modules; first
#                   info/dmesg/pages on /proc/kcore)
#   trixie   1 cpu  oom   (vm.panic_on_oom=1 and a memory hog)
#   bookworm 2 cpus tiny  (a 10 MiB target disk: partial dump, marked so)
#   bookworm 1 cpu  nores (no crashkernel=: setup says what to add,
#                   --apply-bootloader writes GRUB's drop-in; no crash)
#   bookworm 1 cpu  eio   (the dump disk fails every request mid-save)
#   bookworm 1 cpu  hang  (the dump disk stops answering once the capture
#                   starts, QEMU's blkdebug breakpoints: capture_timeout
#                   30, the watchdog reboots the machine, which comes
#                   back, and nothing claims a complete dump)
#   bookworm 1 cpu  powercut (QEMU killed during the save, the machine
#                   booted again: kexdump list says what is there and
#                   nothing claims to be complete)
#   bookworm 1 cpu  netdhcp, trixie 1 cpu netauto (a virtio-net NIC on
#                   QEMU's user network: the capture kernel brings it up
#                   itself, by DHCP or with what setup copied, and reaches
#                   a TCP listener on the host's loopback through 10.0.2.2;
#                   then the dump is complete on the local fallback target
#                   and the capture powers off: no phase 2)
#   bookworm 1 cpu  fallback (the target chain nfs://10.0.2.2:1/... --
#                   nothing listens there -- then the local disk: setup
#                   warns and arms, the capture names the failed target
#                   and why, the local dump is complete, status shows
#                   the chain as setup found it)
#   bookworm 1 cpu  btrfs (the root on btrfs in the subvolume @rootfs, as
#                   Debian's installer makes it: setup records the
#                   filesystem's UUID and the subvolume, the capture mounts
#                   it with subvol= and the dump lands in @rootfs/var/crash)
#   bookworm 1 cpu  xfsnvme (/var an XFS filesystem on an NVMe disk, the
#                   root elsewhere: the nvme driver chain and xfs in the
#                   capture initramfs, the dump in /crash on that disk)
#   bookworm 1 cpu  lvm   (Debian's guided LVM layout, made by an installer
#                   boot running Debian's lvm2 in the guest: the root and
#                   /var/crash on logical volumes of two PVs, /var/crash's
#                   LV a linear then a striped segment; setup records its
#                   dm table -- the same as dmsetup's with the PVs named
#                   by UUID -- and refuses a dm-delay device in one line;
#                   the capture re-creates the LV with DM ioctls, no lvm2
#                   in its initramfs; the guest copies the dump out through
#                   lvm's own mapping for makedumpfile and crash)
#   bookworm 1 cpu  luks  (the root on LUKS, /var/crash a plain ext4
#                   partition, made by an installer boot running Debian's
#                   cryptsetup in the guest: a LUKS2 container with a key
#                   file in /etc/keys, as cryptsetup-initramfs keeps one,
#                   opened by the boot initramfs; setup and status name
#                   the target as the partition alone, no dm table, and
#                   setup refuses a folder on the encrypted root; the
#                   capture initramfs holds no dm module, no cryptsetup,
#                   no key file and not the key's bytes; the rehearsal
#                   passes; the capture mounts the partition without
#                   touching the container; the host reads the dump off
#                   the partition's bytes)
#   bookworm 1 cpu  rawpart (the raw target /dev/vdb1, a partition of a
#                   second disk: setup stamps it, the capture writes the
#                   dump onto it, kexdump info reads it after the reboot,
#                   makedumpfile and crash read the partition on the host)
#   bookworm 1 cpu  nfs (nfs-ganesha, VFS backend, on the host's
#                   127.0.0.1: the capture kernel mounts it through
#                   10.0.2.2 and the dump lands there complete, read by
#                   makedumpfile and crash on the host)
#   bookworm 1 cpu  ssh over a slow link (a real OpenSSH sshd on the
#                   host's 127.0.0.1, a port of its own, reached only
#                   through a rate-limiting proxy of the test's,
#                   tests/e2e/slowlink.py, 768 KiB/s: a first setup makes
#                   the key, pins the host key and warns that the server
#                   refused the key; the host adds the key's line to
#                   authorized_keys; the capture writes the dump over SFTP,
#                   complete, read by makedumpfile and crash on the host;
#                   kexdump list of the host's folder shows it; compress
#                   auto measured the slow link and chose the rule's
#                   codec there (within its 10% switching margin), which
#                   is heavier than the rule's pick on the same link
#                   unthrottled, tests/e2e/auto-oracle.py)
#   bookworm 1 cpu  sshdrop (as ssh, compress none; the host kills sshd
#                   2 s into the transfer and starts it again 3 s later:
#                   the dump completes by resuming, or stays marked
#                   incomplete with dmesg.txt, and the summary says which)
# and the systemd units through systemd-analyze verify.  Checks both what
# the guest saw (kexdump list/status/dmesg outputs it kept) and the disk
# image on the host (debugfs); on the host, readers that are not kexdump
# read each complete vmcore the service wrote: makedumpfile --dump-dmesg
# (Debian's 1.7.2, or for zstd the newer one, tests/vm/makedumpfile-new.sh)
# must find the log dmesg.txt holds, and crash 8.0.2 with the debug
# vmlinux must show the panic in its log and a backtrace (crash 8.0.2
# cannot open some 6.12 dumps: there its reason is printed as a skip).
# Prints "ok - ..." / "not ok - ..." lines ("ok - ... # SKIP why" for a
# skip), "# ..." timings, and a closing "N passed, N failed, N skipped";
# exits non-zero when anything failed.  WORKDIR keeps the guests and runs (default: a fresh
# temporary directory, removed afterwards).
# Env: KEXDUMP_SERVICE_SCENARIOS="name ..." runs a subset (names below).
# shellcheck disable=SC2016 # the bash -c checks expand their own arguments
set -uo pipefail
if (($# < 1 || $# > 2)); then
	echo "usage: $0 KEXDUMP_STATIC [WORKDIR]" >&2
	exit 2
fi
kexdump=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
vm=$here/../vm
pass=0 fail=0 skip=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
skip() { echo "ok - $1 # SKIP $2"; skip=$((skip + 1)); }
nok() { echo "not ok - $*"; fail=$((fail + 1)); }
check() { # check DESC CMD...: ok when CMD succeeds
	local d=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$d"; else nok "$d"; fi
}
if [[ -n ${2:-} ]]; then
	work=$2
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/var/tmp}/kexdump-service.XXXXXX") || exit 1
	trap 'rm -rf "$work"' EXIT
fi
chmod 700 "$work"
t_all=$SECONDS

# ---- the systemd units, as setup would install them
units=$work/units
rm -rf "$units"
mkdir -p "$units"
if "$kexdump" setup --print-units >"$units/all" 2>"$units/err"; then
	awk -v d="$units" '/^### /{f=d "/" $2; next} f{print > f}' "$units/all"
	n=$(ls "$units"/kexdump* 2>/dev/null | wc -l)
	if ((n == 3)) && grep -q "^ExecStart=$kexdump setup --boot\$" "$units/kexdump.service" &&
		grep -q "^ExecStop=$kexdump unload --crash\$" "$units/kexdump.service"; then
		ok "setup --print-units: 3 units, ExecStart/ExecStop run this kexdump"
	else
		nok "setup --print-units: $n units: $(head -c 300 "$units/all")"
	fi
	if out=$(cd "$units" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
		"$units"/kexdump.service "$units"/kexdump-rearm.path "$units"/kexdump-rearm.service 2>&1); then
		ok "systemd-analyze verify: the units pass${out:+ (notes: $(tr '\n' ' ' <<<"$out" | head -c 200))}"
	else
		nok "systemd-analyze verify: $(tr '\n' ' ' <<<"$out" | head -c 500)"
	fi
else
	nok "setup --print-units: $(head -c 300 "$units/err")"
fi
check "test with an unknown option is a usage error (exit 2)" \
	bash -c '"$1" test --bogus; (($? == 2))' _ "$kexdump"

# rjson FILE EXPR: a python expression on the rehearsal's --json output d
# and its checks by name c[NAME] (a list: target repeats) holds.
rjson() {
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
c = {}
for k in d["checks"]:
    c.setdefault(k["name"], []).append(k)
ok = lambda n: all(k["ok"] for k in c.get(n, [{"ok": False}]))
bad = lambda n, s="": any(not k["ok"] and s in k["detail"] for k in c.get(n, []))
assert eval("(" + sys.argv[2] + ")"), (sys.argv[2], d["checks"])' "$@"
}

# rehearsal TAG P1DIR: the rehearsal's cases (service-init's
# rehearse_cases) in the guest's outputs.
rehearsal() {
	local tag=$1 p=$2 m
	check "$tag: guest: the rehearsal passes on the healthy guest (exit 0, every check ok)" \
		bash -c '[[ $(cat "$1/rhok.rc") == 0 ]] && grep -q "^kexdump test: all [0-9]* checks pass" "$1/rhok.out" &&
			! grep -q FAILED "$1/rhok.out"' _ "$p"
	check "$tag: guest: kexdump test --json: ok, all checks ok, an estimate, a test write" \
		rjson "$p/rhokjson.out" 'd["ok"] and all(k["ok"] for k in d["checks"]) and d["estimate"]["size"] > 0 and
			d["write"]["bytes"] > 0 and {"initramfs", "reservation", "loaded", "target", "estimate", "room", "write"} <= set(c)'
	m=$(cat "$p/rhmod.module" 2>/dev/null)
	check "$tag: guest: a module ($m) out of the initramfs: exit 1, the initramfs check names it" \
		bash -c '[[ -n $2 && $(cat "$1/rhmod.rc") == 1 ]] && grep -q "^  FAILED  initramfs .*lacks 1 module.*: $2: run kexdump setup" "$1/rhmod.out"' _ "$p" "$m"
	check "$tag: guest: --json: the initramfs check failed naming $m, the others ok" \
		rjson "$p/rhmodjson.out" 'not d["ok"] and bad("initramfs", sys.argv[3]) and d["initramfs"]["missing"] == sys.argv[3] and
			ok("reservation") and ok("target") and ok("room")' "$m"
	check "$tag: guest: the target full: exit 1, the room check says so" \
		bash -c '[[ $(cat "$1/rhfull.rc") == 1 ]] && grep -q "^  FAILED  room .* free on /var/crash, the dump needs about" "$1/rhfull.out"' _ "$p"
	check "$tag: guest: --json: room failed, free bytes below the estimate" \
		rjson "$p/rhfulljson.out" 'not d["ok"] and bad("room", "free on") and d["free_bytes"] < d["estimate"]["size"] and ok("initramfs")'
	check "$tag: guest: an nfs:// link to a closed port: exit 1, its target check names it" \
		bash -c '[[ $(cat "$1/rhnet.rc") == 1 ]] && grep -q "^  FAILED  target .*1\. nfs://10\.0\.2\.2:1/kexdump: " "$1/rhnet.out" &&
			grep -q "^  ok      target .*2\. LABEL=kdroot" "$1/rhnet.out"' _ "$p"
	check "$tag: guest: --json: that link failed, the local one ok, initramfs current" \
		rjson "$p/rhnetjson.out" 'not d["ok"] and bad("target", "nfs://10.0.2.2:1/kexdump") and
			any(k["ok"] and "LABEL=kdroot" in k["detail"] for k in c["target"]) and ok("initramfs")'
	check "$tag: guest: a 64 MiB reservation: exit 1, the reservation check says too small" \
		bash -c '[[ $(cat "$1/rhsmall.size") == 67108864 && $(cat "$1/rhsmall.rc") == 1 ]] &&
			grep -q "^  FAILED  reservation  64.0 MiB reserved, too small: .* needed" "$1/rhsmall.out"' _ "$p"
	check "$tag: guest: --json: reservation failed, size < needed" \
		rjson "$p/rhsmalljson.out" 'not d["ok"] and bad("reservation", "too small") and
			d["reservation"]["size"] == 64 << 20 < d["reservation"]["needed"]'
	echo "# $tag: healthy rehearsal: $(grep -E '^  ok +(estimate|write|reservation)' "$p/rhok.out" | sed 's/^  ok *//' | tr '\n' ';')"
	for f in rhmod rhfull rhnet rhsmall; do
		echo "# $tag: $f: $(grep FAILED "$p/$f.out" | sed 's/^  FAILED *//' | tr '\n' ';' | head -c 400)"
	done
}

# oracles TAG DIR SUITE PANIC NAME: readers that are not kexdump on the
# vmcore the service wrote into DIR.
oracles() {
	local tag=$1 dir=$2 suite=$3 panic=$4 cdir=$work/crash-$5 codec release md mdv v why
	codec=$(sed -n 's/^codec=//p' "$dir/summary")
	release=$(sed -n 's/^release=//p' "$dir/summary")
	# makedumpfile: Debian 12's 1.7.2 has no zstd, the newer one has.
	md=makedumpfile
	# compress auto may have compressed some pages with zstd whatever
	# codec= (the codec of most pages) says.
	if [[ $codec == zstd ]] ||
		grep -Eq '^compress_auto=.*; zstd:-?[0-9]+ [0-9.]+ MB/s x[0-9.]+ = [0-9.]+ s/MiB, [1-9]' "$dir/summary"; then
		md=$("$vm/makedumpfile-new.sh" 2>"$work/mdnew.err") ||
			{ nok "$tag: host: no newer makedumpfile for a zstd vmcore: $(tail -n1 "$work/mdnew.err")"; md=; }
	fi
	if [[ -n $md ]]; then
		mdv=$("$md" -v 2>&1 | head -n1 | sed 's/^makedumpfile: version /makedumpfile /')
		rm -f "$work/md-dmesg" "$work/md-dmesg.plain"
		# 1.7.8 prints caller ids ("[    1.000000] [     T1] ...") and
		# indents a record's continuation lines by that much more;
		# dmesg.txt has neither: both are dropped before comparing.
		if "$md" --dump-dmesg "$dir/vmcore" "$work/md-dmesg" >"$work/md-dmesg.out" 2>&1 &&
			awk '{
				if (match($0, /^\[ *[0-9]+\.[0-9]+\] \[ *[TC][0-9]+\] /)) {
					t = index($0, "] ")
					w = RLENGTH - (t + 1)
					$0 = substr($0, 1, t + 1) substr($0, RLENGTH + 1)
				} else if (w && substr($0, 1, w) ~ /^ +$/)
					$0 = substr($0, w + 1)
				print
			}' "$work/md-dmesg" >"$work/md-dmesg.plain" &&
			cmp -s "$work/md-dmesg.plain" "$dir/dmesg.txt"; then
			ok "$tag: host: $mdv --dump-dmesg reads the $codec vmcore, log identical to dmesg.txt ($(wc -l <"$dir/dmesg.txt") lines)"
		else
			nok "$tag: host: $mdv --dump-dmesg on the $codec vmcore: $(tail -n2 "$work/md-dmesg.out" | tr '\n' ' ')"
			[[ -s $work/md-dmesg.plain ]] && diff "$dir/dmesg.txt" "$work/md-dmesg.plain" | head -n 6 | sed 's/^/#   /'
		fi
	fi
	# crash with the kernel's debug vmlinux.
	if ! v=$("$vm/vmlinux-dbg.sh" "$release" 2>"$work/vmlinux.err"); then
		nok "$tag: host: no debug vmlinux for '$release' for crash: $(tail -n1 "$work/vmlinux.err")"
		return
	fi
	[[ -s $v.gdb-index && ! $v.gdb-index -ot $v ]] && v=$v.gdb-index
	# The crash of the dump's own Debian release: bookworm's 8.0.2 cannot
	# open Linux 6.12, trixie's 8.0.6 can (tests/vm/crash-new.sh).
	local crashcmd=crash
	if [[ $suite == trixie ]] && ! crashcmd=$("$vm/crash-new.sh" 2>"$work/crash-new.err"); then
		nok "$tag: host: no trixie crash for $release: $(tail -n1 "$work/crash-new.err")"
		return
	fi
	if KEXDUMP_CRASH_CMD=$crashcmd "$here/crash-oracle.sh" "$v" "$dir/vmcore" "$cdir" 2>"$work/crash.why"; then
		if grep -q "$panic" "$cdir/log" && grep -q '^PID: ' "$cdir/bt" &&
			grep -qE 'panic|crash_kexec' "$cdir/bt"; then
			ok "$tag: host: crash opens the vmcore: its log has '$panic', its bt the panic path"
		else
			nok "$tag: host: crash log/bt lack the panic: $(head -n 3 "$cdir/bt" | tr '\n' ' ')"
		fi
	else
		nok "$tag: host: crash ($("$crashcmd" --version 2>/dev/null | grep -m1 -o '^crash [0-9.]*')) on the vmcore: $(cat "$work/crash.why")"
	fi
}

# live TAG P1DIR RELEASE: kexdump's readers on the guest's /proc/kcore
# (service-init's live()): the running kernel read as a dump.
live() {
	local tag=$1 p=$2 rel=$3
	check "$tag: guest: kexdump info /proc/kcore reads the live $rel (format kcore, VMCOREINFO, symbols)" \
		bash -c '[[ $(cat "$1/kcinfo.rc") == 0 ]] && grep -q "^dump: *\/proc\/kcore (kcore)" "$1/kcinfo.out" &&
			grep -q "^kernel: *$2\$" "$1/kcinfo.out" && grep -q "^symbols: *kallsyms" "$1/kcinfo.out"' _ "$p" "$rel"
	check "$tag: guest: kexdump info --json /proc/kcore: format kcore, release $rel, memory ranges" \
		python3 -c 'import json,sys
d = json.load(open(sys.argv[1] + "/kcinfojson.out"))
assert d["format"] == "kcore" and d["release"] == sys.argv[2], d' "$p" "$rel"
	check "$tag: guest: kexdump dmesg /proc/kcore prints the live log (banner, this boot's KDTEST line)" \
		bash -c '[[ $(cat "$1/kcdmesg.rc") == 0 ]] && grep -q "Linux version $2" "$1/kcdmesg.out" &&
			grep -q "Command line:.*kdtest.scenario=" "$1/kcdmesg.out"' _ "$p" "$rel"
	check "$tag: guest: kexdump pages -d 31 /proc/kcore: page classes of the live kernel" \
		python3 -c 'import json,sys
d = json.load(open(sys.argv[1] + "/kcpagesjson.out"))
o, x = d["original_pages"], d["excluded_pages"]
assert d["format"] == "kcore" and d["dump_level"] == 31 and o > 200000 and 0 < x < o, d' "$p"
	echo "# $tag: live -d 31: $(grep -E 'Remaining pages|Free pages' "$p/kcpages.out" | tr -s ' ' | tr '\n' ';')"
}

# ---- the guests
declare -A guest=()
build_guest() { # build_guest SUITE
	[[ -z ${guest[$1]:-} ]] || return 0
	if "$vm/service-rootfs.sh" "$1" "$kexdump" "$work/guest-$1" 2>"$work/guest-$1.log"; then
		guest[$1]=$work/guest-$1
		ok "$1 guest built ($(cat "$work/guest-$1/release"), $(tail -n1 "$work/guest-$1.log" | sed 's/.*: root.img (\([^)]*\)).*/\1/'))"
	else
		guest[$1]=failed
		nok "$1 guest: $(tail -n 3 "$work/guest-$1.log" | tr '\n' ' ')"
	fi
}

# at FILE REGEX: the host time of the first console line matching REGEX
# (after the 1st "KDTEST: phase 1 up" line).
at() { awk -v re="$2" '/KDTEST: phase 1 up/ { on = 1 } on && $0 ~ re { print $1; exit }' "$1"; }
delta() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "?"; else printf "%.1f", b - a }'; }

#   name       suite    cpus extra         panic text in the log
scenarios=(
	"sysrq     bookworm 1 --fastreboot sysrq triggered crash"
	"pid1      trixie   2 -            Attempted to kill init"
	"oom       trixie   1 -            panic_on_oom is enabled"
	"tiny      bookworm 2 -            sysrq triggered crash"
	"netdhcp   bookworm 1 -            sysrq triggered crash"
	"netauto   trixie   1 -            sysrq triggered crash"
	"btrfs     bookworm 1 -            sysrq triggered crash"
	"xfsnvme   bookworm 1 -            sysrq triggered crash"
	"lvm       bookworm 1 -            sysrq triggered crash"
	"luks      bookworm 1 -            sysrq triggered crash"
)
only=" ${KEXDUMP_SERVICE_SCENARIOS:-rehearse nores sysrq pid1 oom tiny hang eio powercut netdhcp netauto fallback nfs ssh sshdrop btrfs xfsnvme rawpart lvm luks} "

# No crash: the live kernel through /proc/kcore, and the rehearsal
# (kexdump test without --yes-crash-now) on what is wrong.
if [[ $only == *" rehearse "* ]]; then
	build_guest bookworm
	tag="rehearse (bookworm, no crash)"
	out=$work/run-rehearse
	if [[ ${guest[bookworm]} != failed ]] &&
		"$vm/service-run.sh" --guest "${guest[bookworm]}" --scenario rehearse --cpus 1 \
			--out "$out" 2>"$out.log" && [[ -f $out/meta ]]; then
		live "$tag" "$out/kdtest/p1" "$(cat "${guest[bookworm]}/release")"
		rehearsal "$tag" "$out/kdtest/p1"
	else
		nok "$tag: the run did not finish: $(tail -n 3 "$out.log" | tr '\n' ' ')"
	fi
fi

# No crashkernel= at all: setup says what to add; --apply-bootloader
# writes /etc/default/grub.d/kexdump.cfg and runs update-grub (a stub).
if [[ $only == *" nores "* ]]; then
	build_guest bookworm
	tag="nores (bookworm, no crashkernel=)"
	out=$work/run-nores
	if [[ ${guest[bookworm]} != failed ]] &&
		"$vm/service-run.sh" --guest "${guest[bookworm]}" --scenario nores --cpus 1 \
			--crashkernel 0 --out "$out" 2>"$out.log"; then
		p1=$out/kdtest/p1
		check "$tag: setup fails (exit 1) and prints the crashkernel= to add" \
			bash -c '[[ $(cat "$1/setup.rc") == 1 ]] &&
				grep -q "Add crashkernel=[0-9]*M to the kernel command line" "$1/setup.out" &&
				grep -q -- "--apply-bootloader" "$1/setup.out"' _ "$p1"
		check "$tag: setup --apply-bootloader succeeds and asks for a reboot" \
			bash -c '[[ $(cat "$1/apply.rc") == 0 ]] && grep -q "reboot" "$1/apply.out"' _ "$p1"
		check "$tag: GRUB drop-in adds crashkernel= to GRUB_CMDLINE_LINUX_DEFAULT" \
			grep -qx 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=[0-9]*M"' "$p1/grub.cfg"
		check "$tag: update-grub ran" test -s "$p1/update-grub.ran"
		n=$(sed -n 's/.*Add crashkernel=\([0-9]*\)M.*/\1/p' "$p1/setup.out" | head -n1)
		echo "# $tag: setup asks for crashkernel=${n:-?}M"
	else
		nok "$tag: the run did not finish: $(tail -n 3 "$out.log" | tr '\n' ' ')"
	fi
fi

# The dump disk hangs during the capture: the watchdog must take the
# failure action (reboot) although the capture is stuck in the kernel.
if [[ $only == *" hang "* ]]; then
	build_guest bookworm
	tag="hang (bookworm, 1 cpu, the dump disk stops answering)"
	out=$work/run-hang
	con=$out/console.log
	if [[ ${guest[bookworm]} != failed ]] &&
		"$vm/service-run.sh" --guest "${guest[bookworm]}" --scenario hang --cpus 1 \
			--out "$out" 2>"$out.log" && [[ -f $out/meta ]]; then
		p1=$out/kdtest/p1 p2=$out/kdtest/p2
		qemu_rc=$(sed -n 's/^qemu_rc=//p' "$out/meta") secs=$(sed -n 's/^wall_seconds=//p' "$out/meta")
		check "$tag: the guest powered itself off ($secs s in QEMU, rc $qemu_rc)" test "$qemu_rc" = 0
		check "$tag: kexdump setup armed the guest" \
			bash -c '[[ $(cat "$1/setup.rc") == 0 ]] && grep -q "kexdump setup: armed" "$1/setup.out"' _ "$p1"
		check "$tag: the first kernel panicked" grep -q 'sysrq triggered crash' "$con"
		check "$tag: the capture init armed its watchdog for 30 s" \
			grep -q 'kexdump-capture: watchdog: 30 s$' "$con"
		check "$tag: the dump disk stopped answering" \
			grep -q 'KDTEST-HOST: hang: the dump disk stops answering writes' "$con"
		check "$tag: the watchdog fired" \
			grep -q 'kexdump-capture: ERROR: watchdog: the capture did not finish within 30 s' "$con"
		check "$tag: the console says dump failed: watchdog" \
			grep -q 'kexdump-capture: dump failed: watchdog fired after 30 s' "$con"
		check "$tag: no dump claims to be complete on the console" \
			bash -c '! grep -q "kexdump-capture: dump complete" "$1"' _ "$con"
		check "$tag: the watchdog took the failure action (reboot)" \
			bash -c 'awk "/ERROR: watchdog/ { w = 1 } w && /kexdump-capture: final action: reboot/ { f = 1 } END { exit !f }" "$1"' _ "$con"
		check "$tag: the machine came back (phase 2)" grep -q 'KDTEST: phase 2 up' "$con"
		check "$tag: guest: kexdump setup --boot re-armed it" \
			bash -c '[[ $(cat "$1/rearm.rc") == 0 ]] && grep -q "kexdump setup: armed" "$1/rearm.out"' _ "$p2"
		check "$tag: guest: kexdump list runs and claims no complete dump" \
			bash -c '[[ $(cat "$1/list.rc") == 0 ]] && ! grep -qw complete "$1/list.out"' _ "$p2"
		for dir in "$out"/crash/*/; do
			[[ -d $dir ]] || continue
			check "$tag: disk: $(basename "$dir") does not claim complete" \
				bash -c '! grep -qx "status=complete" "$1/summary" 2>/dev/null' _ "$dir"
		done
		ts=$(at "$con" 'kexdump-capture: started') tw=$(at "$con" 'ERROR: watchdog')
		tb=$(at "$con" 'KDTEST: phase 2 up')
		echo "# $tag: capture init -> watchdog fired $(delta "$ts" "$tw") s, -> back up $(delta "$tw" "$tb") s"
	else
		nok "$tag: the run did not finish: $(tail -n 3 "$out.log" | tr '\n' ' ')"
	fi
fi

# The dump disk fails with EIO during the save (drive_del): the capture
# must say so, take the failure action, and leave the log and a dump
# marked for what it is (never one that claims to be whole).
if [[ $only == *" eio "* ]]; then
	build_guest bookworm
	tag="eio (bookworm, 1 cpu, the dump disk fails every request mid-save)"
	out=$work/run-eio
	con=$out/console.log
	if [[ ${guest[bookworm]} != failed ]] &&
		"$vm/service-run.sh" --guest "${guest[bookworm]}" --scenario eio --cpus 1 \
			--out "$out" 2>"$out.log" && [[ -f $out/meta ]]; then
		p1=$out/kdtest/p1
		qemu_rc=$(sed -n 's/^qemu_rc=//p' "$out/meta") secs=$(sed -n 's/^wall_seconds=//p' "$out/meta")
		check "$tag: the guest powered itself off ($secs s in QEMU, rc $qemu_rc)" test "$qemu_rc" = 0
		check "$tag: kexdump setup armed the guest" \
			bash -c '[[ $(cat "$1/setup.rc") == 0 ]] && grep -q "kexdump setup: armed" "$1/setup.out"' _ "$p1"
		check "$tag: the first kernel panicked" grep -q 'sysrq triggered crash' "$con"
		check "$tag: the capture started saving" grep -q 'kexdump-capture: saving to' "$con"
		check "$tag: the dump disk failed (drive_del)" \
			grep -q 'KDTEST-HOST: eio: the dump disk fails every request' "$con"
		# EIO itself, or EROFS once ext4 gave up on the disk after an
		# EIO (which of the two the save meets first depends on timing).
		check "$tag: the console names the I/O error (EIO, or ext4 read-only after it)" \
			grep -q 'kexdump-capture: dump \(failed\|incomplete\): .*\(Input/output error\|Read-only file system\)' "$con"
		check "$tag: no dump claims to be complete on the console" \
			bash -c '! grep -q "kexdump-capture: dump complete" "$1"' _ "$con"
		check "$tag: the capture took the failure action (reboot)" \
			bash -c 'awk "/KDTEST-HOST: eio/ { e = 1 } e && /kexdump-capture: final action: reboot/ { f = 1 } END { exit !f }" "$1"' _ "$con"
		check "$tag: the machine came back (phase 2)" grep -q 'KDTEST: phase 2 up' "$con"
		dir=$(ls -d "$out"/crash/*/ 2>/dev/null | tail -n1)
		dir=${dir%/}
		check "$tag: disk (after e2fsck): a dump folder" test -n "$dir"
		if [[ -n $dir ]]; then
			check "$tag: disk: dmesg.txt holds the panic" grep -q 'sysrq triggered crash' "$dir/dmesg.txt"
			check "$tag: disk: no summary says complete" \
				bash -c '! grep -qx "status=complete" "$1/summary" 2>/dev/null' _ "$dir"
			# Marked for what it is: vmcore.incomplete, or a vmcore
			# whose own header says incomplete, or none at all when
			# none of it reached the disk -- never a vmcore that reads
			# as whole.
			check "$tag: disk: no vmcore that reads as whole (vmcore.incomplete, an incomplete vmcore, or none)" \
				bash -c '[[ ! -e $2/vmcore ]] || "$1" info "$2/vmcore" 2>&1 | grep -qi incomplete' _ "$kexdump" "$dir"
			echo "# $tag: on the disk after e2fsck: $(ls "$dir" | tr '\n' ' ')($(grep -c . "$out/eio-fsck.log") lines of e2fsck, $(tail -n1 "$out/eio-fsck.log"))"
		fi
		te=$(at "$con" 'KDTEST-HOST: eio') tf=$(at "$con" 'kexdump-capture: final action')
		tb=$(at "$con" 'KDTEST: phase 2 up')
		echo "# $tag: disk failed -> failure action $(delta "$te" "$tf") s, -> back up $(delta "$tf" "$tb") s"
	else
		nok "$tag: the run did not finish: $(tail -n 3 "$out.log" | tr '\n' ' ')"
	fi
fi

# A power cut during the save: the next boot must not see a complete dump.
if [[ $only == *" powercut "* ]]; then
	build_guest bookworm
	tag="powercut (bookworm, 1 cpu, QEMU killed during the save)"
	out=$work/run-powercut
	con=$out/console.log
	if [[ ${guest[bookworm]} != failed ]] &&
		"$vm/service-run.sh" --guest "${guest[bookworm]}" --scenario powercut --cpus 1 \
			--out "$out" 2>"$out.log" && [[ -f $out/meta ]]; then
		p2=$out/kdtest/p2
		qemu_rc=$(sed -n 's/^qemu_rc=//p' "$out/meta") secs=$(sed -n 's/^wall_seconds=//p' "$out/meta")
		check "$tag: the capture started saving" grep -q 'kexdump-capture: saving to' "$con"
		check "$tag: the power was cut during the save" grep -q 'KDTEST-HOST: power cut' "$con"
		check "$tag: no dump claims to be complete on the console" \
			bash -c '! grep -q "kexdump-capture: dump complete" "$1"' _ "$con"
		check "$tag: the machine booted again (phase 2) and powered off ($secs s in QEMU, rc $qemu_rc)" \
			bash -c 'grep -q "KDTEST: phase 2 up" "$1" && [[ $2 == 0 ]]' _ "$con" "$qemu_rc"
		dir=$(ls -d "$out"/crash/*/ 2>/dev/null | tail -n1)
		dir=${dir%/}
		if [[ -n $dir ]]; then
			d=$(basename "$dir")
			check "$tag: guest: kexdump list shows $d and claims no complete dump" \
				bash -c '[[ $(cat "$1/list.rc") == 0 ]] && grep -q "/$2\$" "$1/list.out" &&
					! grep -qw complete "$1/list.out"' _ "$p2" "$d"
			check "$tag: guest: kexdump list --json: no entry complete" \
				python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
items = d if isinstance(d, list) else next(v for v in d.values() if isinstance(v, list))
assert items and all(e.get("status") != "complete" for e in items), items' "$p2/listjson.out"
			check "$tag: disk: $d has no complete summary" \
				bash -c '! grep -qx "status=complete" "$1/summary" 2>/dev/null' _ "$dir"
			echo "# $tag: on the disk: $(ls "$dir" | tr '\n' ' '); list: $(grep -v '^ ' "$p2/list.out" | head -n1)"
		else
			check "$tag: guest: kexdump list runs and claims no complete dump" \
				bash -c '[[ $(cat "$1/list.rc") == 0 ]] && ! grep -qw complete "$1/list.out"' _ "$p2"
			echo "# $tag: no dump folder reached the disk"
		fi
	else
		nok "$tag: the run did not finish: $(tail -n 3 "$out.log" | tr '\n' ' ')"
	fi
fi

# The target chain: an nfs:// target nothing answers, then the local disk.
if [[ $only == *" fallback "* ]]; then
	build_guest bookworm
	tag="fallback (bookworm, 1 cpu, nfs:// unreachable, then the local disk)"
	out=$work/run-fallback
	con=$out/console.log
	url=nfs://10.0.2.2:1/kexdump
	if [[ ${guest[bookworm]} != failed ]] &&
		"$vm/service-run.sh" --guest "${guest[bookworm]}" --scenario fallback --cpus 1 \
			--out "$out" 2>"$out.log" && [[ -f $out/meta ]]; then
		p1=$out/kdtest/p1 p2=$out/kdtest/p2
		qemu_rc=$(sed -n 's/^qemu_rc=//p' "$out/meta") secs=$(sed -n 's/^wall_seconds=//p' "$out/meta")
		check "$tag: the guest powered itself off ($secs s in QEMU, rc $qemu_rc)" test "$qemu_rc" = 0
		check "$tag: setup warns about $url and arms the guest" \
			bash -c '[[ $(cat "$1/setup.rc") == 0 ]] && grep -q "kexdump setup: armed" "$1/setup.out" &&
				grep -q "^kexdump: warning: /etc/kexdump.conf:1: $2: .* (the next target of the chain takes the dump)\$" "$1/setup.out" &&
				grep -q "chain: *1\. $2: FAILED" "$1/setup.out" && grep -q "2\. UUID=.*: ok" "$1/setup.out"' _ "$p1" "$url"
		check "$tag: the capture tried $url first" grep -q "kexdump-capture: target 1 of 2: $url" "$con"
		check "$tag: the capture said why $url failed and went on" \
			grep -q "kexdump-capture: target $url failed: .*; trying the next target" "$con"
		check "$tag: the capture init says the dump is complete" grep -q 'kexdump-capture: dump complete:' "$con"
		dir=$(ls -d "$out"/crash/*/ 2>/dev/null | tail -n1)
		dir=${dir%/}
		if [[ -n $dir ]]; then
			check "$tag: disk: the summary says complete, written to the local disk" \
				bash -c 'grep -qx "status=complete" "$1/summary" && grep -q "^target=UUID=" "$1/summary"' _ "$dir"
			check "$tag: disk: the summary names $url and why it failed (refused)" \
				grep -q "^target_failed=$url: .*cannot connect to 10.0.2.2 port 1.*refused" "$dir/summary"
			check "$tag: disk: dmesg.txt shows the panic" grep -q 'sysrq triggered crash' "$dir/dmesg.txt"
			check "$tag: host: kexdump dmesg on the vmcore shows the panic" \
				bash -c '"$1" dmesg "$2" | grep -q "sysrq triggered crash"' _ "$kexdump" "$dir/vmcore"
			echo "# $tag: $(grep '^target_failed=' "$dir/summary")"
		else
			nok "$tag: no dump folder on the disk image"
		fi
		check "$tag: guest: kexdump status shows the chain as setup found it" \
			bash -c 'grep -q "^chain: *1\. $2: NOT reachable at setup, .*: /etc/kexdump.conf:1: $2: " "$1/status.out" &&
				grep -q "2\. /dev/vda: reachable at setup" "$1/status.out"' _ "$p2" "$url"
		check "$tag: guest: kexdump list shows the complete dump" \
			bash -c '[[ $(cat "$1/list.rc") == 0 ]] && grep -qw complete "$1/list.out"' _ "$p2"
		tp=$(at "$con" 'Kernel panic - not syncing') tc=$(at "$con" 'kexdump-capture: dump complete')
		echo "# $tag: panic -> dump written $(delta "$tp" "$tc") s"
	else
		nok "$tag: the run did not finish: $(tail -n 3 "$out.log" | tr '\n' ' ')"
	fi
fi

# A dump over NFS: nfs-ganesha on the host (service-run.sh) takes it whole,
# and readers that are not kexdump read it there.
if [[ $only == *" nfs "* ]]; then
	build_guest bookworm
	tag="nfs (bookworm, 1 cpu, nfs-ganesha on the host)"
	out=$work/run-nfs
	con=$out/console.log
	if ! command -v ganesha.nfsd >/dev/null; then
		nok "$tag: no ganesha.nfsd on the host (tools/deps.sh: nfs-ganesha nfs-ganesha-vfs)"
	elif ((EUID != 0)); then
		skip "$tag" "nfs-ganesha's VFS backend needs root (open_by_handle_at)"
	elif [[ ${guest[bookworm]} != failed ]] &&
		"$vm/service-run.sh" --guest "${guest[bookworm]}" --scenario nfs --cpus 1 \
			--out "$out" 2>"$out.log" && [[ -f $out/meta ]]; then
		p1=$out/kdtest/p1
		qemu_rc=$(sed -n 's/^qemu_rc=//p' "$out/meta") secs=$(sed -n 's/^wall_seconds=//p' "$out/meta")
		check "$tag: the guest powered itself off ($secs s in QEMU, rc $qemu_rc)" test "$qemu_rc" = 0
		check "$tag: setup checked the NFS target (mount, probe file) and armed the guest" \
			bash -c '[[ $(cat "$1/setup.rc") == 0 ]] && grep -q "kexdump setup: armed" "$1/setup.out" &&
				grep -q "chain: *1\. nfs://10\.0\.2\.2:[0-9]*/kexdump: ok" "$1/setup.out" &&
				! grep -q "^kexdump: warning:" "$1/setup.out"' _ "$p1"
		check "$tag: the capture mounted the export" grep -q 'kexdump-capture: mounted 10\.0\.2\.2:' "$con"
		check "$tag: the capture init says the dump is complete" grep -q 'kexdump-capture: dump complete:' "$con"
		dir=$(find "$out/nfs/export" -name summary -printf '%h\n' 2>/dev/null | tail -n1)
		if [[ -n $dir ]]; then
			check "$tag: server: the summary says complete, written over NFS, nothing failed" \
				bash -c 'grep -qx "status=complete" "$1/summary" && grep -q "^target=nfs://" "$1/summary" &&
					! grep -q "^target_failed=" "$1/summary"' _ "$dir"
			check "$tag: server: dmesg.txt shows the panic" grep -q 'sysrq triggered crash' "$dir/dmesg.txt"
			check "$tag: server: the dump folder is 0700, the vmcore 0600" \
				bash -c '[[ $(stat -c %a "$1") == 700 && $(stat -c %a "$1/vmcore") == 600 ]]' _ "$dir"
			check "$tag: host: kexdump info reads the vmcore" "$kexdump" info "$dir/vmcore"
			oracles "$tag" "$dir" bookworm 'sysrq triggered crash' nfs
			check "$tag: host: kexdump list on the export's folder shows the complete dump" \
				bash -c '"$1" list "$2" | grep -q " complete\$"' _ "$kexdump" "${dir%/*}"
			echo "# $tag: vmcore $(stat -c %s "$dir/vmcore") bytes, $(grep -m1 'kexdump-capture: mounted' "$con" | cut -d' ' -f2-)"
		else
			nok "$tag: no dump folder on the NFS export ($(tail -n 3 "$out/nfs/ganesha.log" 2>/dev/null | tr '\n' ' '))"
		fi
		check "$tag: nothing landed on the local disk" bash -c '! ls "$1"/crash/*/summary' _ "$out"
		tp=$(at "$con" 'Kernel panic - not syncing') tc=$(at "$con" 'kexdump-capture: dump complete')
		echo "# $tag: panic -> dump written $(delta "$tp" "$tc") s"
	else
		nok "$tag: the run did not finish: $(tail -n 3 "$out.log" | tr '\n' ' ')"
	fi
fi

# Dumps over ssh: the host's own OpenSSH sshd (service-run.sh) takes it
# over SFTP, and readers that are not kexdump read it there.
for name in ssh sshdrop; do
	[[ $only == *" $name "* ]] || continue
	build_guest bookworm
	tag="$name (bookworm, 1 cpu, OpenSSH sshd on the host)"
	out=$work/run-$name
	con=$out/console.log
	if [[ ! -x /usr/sbin/sshd ]]; then
		nok "$tag: no /usr/sbin/sshd on the host (tools/deps.sh: openssh-server)"
		continue
	fi
	if [[ ${guest[bookworm]} == failed ]] ||
		! "$vm/service-run.sh" --guest "${guest[bookworm]}" --scenario "$name" --cpus 1 \
			--out "$out" 2>"$out.log" || [[ ! -f $out/meta ]]; then
		nok "$tag: the run did not finish: $(tail -n 3 "$out.log" | tr '\n' ' ')"
		continue
	fi
	p1=$out/kdtest/p1
	qemu_rc=$(sed -n 's/^qemu_rc=//p' "$out/meta") secs=$(sed -n 's/^wall_seconds=//p' "$out/meta")
	# The first setup (refused key): setup0 of ssh, which runs setup
	# again once authorized; sshdrop's only one.
	s0=setup0
	[[ $name == ssh ]] || s0=setup
	url=$(sed -n 's/^.*\(ssh:\/\/root@10\.0\.2\.2:[0-9]*\/[^ ]*\): .*/\1/p' "$p1/$s0.out" | head -n1)
	check "$tag: the guest powered itself off ($secs s in QEMU, rc $qemu_rc)" test "$qemu_rc" = 0
	fp=$(ssh-keygen -lf "$out/ssh/sshd/host_ed25519.pub" | awk '{print $2}')
	check "$tag: first setup made the key, printed its authorized_keys line and pinned the host key ($fp)" \
		bash -c 'grep -q "^kexdump setup: created the ssh key /etc/kexdump/id_ed25519; add this line" "$1/$3.out" &&
			grep -q "^  ssh-ed25519 AAAA.* kexdump@" "$1/$3.out" &&
			grep -q "^kexdump setup: pinned the host key of 10\.0\.2\.2 port [0-9]* in /etc/kexdump/known_hosts: $2 " "$1/$3.out"' _ "$p1" "$fp" "$s0"
	check "$tag: first setup: the refused key is one warning that says what to do, the disk takes the dump, armed" \
		bash -c '[[ $(cat "$1/$2.rc") == 0 ]] && grep -q "kexdump setup: armed" "$1/$2.out" &&
			[[ $(grep -c "^kexdump: warning:" "$1/$2.out") == 1 ]] &&
			grep -q "^kexdump: warning: /etc/kexdump.conf:1: ssh://root@10\.0\.2\.2:[0-9]*/[^ ]*: root@10\.0\.2\.2 port [0-9]* refused the key /etc/kexdump/id_ed25519: add the line of /etc/kexdump/id_ed25519\.pub to ~root/\.ssh/authorized_keys on 10\.0\.2\.2 (the next target of the chain takes the dump)\$" "$1/$2.out"' _ "$p1" "$s0"
	[[ $name == ssh ]] && check "$tag: status after the first setup shows the ssh link not reachable, the disk reachable" \
		bash -c 'grep -q "^chain: *1\. ssh://root@10\.0\.2\.2:[0-9]*/.*: NOT reachable at setup, .*refused the key" "$1/status0.out" &&
			grep -q "2\. .*: reachable at setup" "$1/status0.out"' _ "$p1"
	check "$tag: the host authorized the key the guest printed" grep -q ' authorized kexdump@' "$out/ssh/events"
	[[ $name == ssh ]] && check "$tag: setup again: the ssh link checked (login, folder, probe file) without a warning, armed" \
		bash -c '[[ $(cat "$1/setup.rc") == 0 ]] && grep -q "kexdump setup: armed" "$1/setup.out" &&
			grep -q "chain: *1\. ssh://root@10\.0\.2\.2:[0-9]*/[^ ]*: ok" "$1/setup.out" &&
			! grep -q "^kexdump: warning:" "$1/setup.out"' _ "$p1"
	check "$tag: the capture initramfs carries the key and the pinned host key, 0600" \
		bash -c 'grep -Eq "^-rw------- .* etc/kexdump/id_ed25519\$" "$1/initramfs.list" &&
			grep -Eq "^-rw------- .* etc/kexdump/known_hosts\$" "$1/initramfs.list"' _ "$p1"
	check "$tag: the capture logged in to the host's sshd (host key $fp)" \
		grep -q "kexdump-capture: logged in to root@10\.0\.2\.2 port [0-9]* (host key $fp)" "$con"
	dir=$(find "$out/ssh/dumps" -mindepth 1 -maxdepth 1 -type d | sort | tail -n1)
	if [[ -z $dir ]]; then
		nok "$tag: no dump folder on the server ($(tail -n 3 "$out/ssh/sshd/log" 2>/dev/null | tr '\n' ' '))"
		continue
	fi
	check "$tag: server: dmesg.txt shows the panic" grep -q 'sysrq triggered crash' "$dir/dmesg.txt"
	check "$tag: server: the dump folder is 0700, its files 0600" \
		bash -c '[[ $(stat -c %a "$1") == 700 ]] && ! find "$1" -type f ! -perm 600 | grep -q .' _ "$dir"
	check "$tag: nothing landed on the local disk" bash -c '! ls "$1"/crash/*/summary' _ "$out"
	if [[ $name == ssh ]]; then
		check "$tag: the capture init says the dump is complete" grep -q 'kexdump-capture: dump complete: root@10\.0\.2\.2:' "$con"
		check "$tag: server: the summary says complete, written over ssh, nothing failed, no drop" \
			bash -c 'grep -qx "status=complete" "$1/summary" && grep -q "^target=ssh://root@10\.0\.2\.2:" "$1/summary" &&
				! grep -q "^target_failed=" "$1/summary" && ! grep -q "^link_drops=" "$1/summary" &&
				[[ -f $1/vmcore && ! -e $1/vmcore.incomplete ]]' _ "$dir"
		check "$tag: host: kexdump info reads the vmcore" "$kexdump" info "$dir/vmcore"
		# The slow link: the proxy carried the dump at its rate, and
		# compress auto measured it and compressed harder than it would
		# on the same link unthrottled.
		rate=$(sed -n 's/.*listening on .*, \([0-9]*\) bytes\/s each way$/\1/p' "$out/ssh/slowlink.log")
		up=$(awk '/: up [0-9]+ bytes in/ { if ($4 > b) { b = $4; s = $7 } } END { if (b) printf "%d %s", b, s }' "$out/ssh/slowlink.log")
		check "$tag: the slow link carried the dump at ${rate:-?} bytes/s at most (its largest connection: $(awk -v b="${up% *}" -v s="${up#* }" 'BEGIN { if (s > 0) printf "%d bytes in %.1f s", b, s }'))" \
			awk -v r="${rate:-0}" -v b="${up% *}" -v s="${up#* }" 'BEGIN { exit !(r > 0 && b > 1048576 && s > 0 && b / s <= r * 1.05) }'
		if why=$(python3 "$here/auto-oracle.py" "$dir/summary" --max-rate "${rate:-0}" 2>&1); then
			ok "$tag: compress auto follows its rule over the slow link (within its switching margin), which compresses harder there than on a fast target: $why"
		else
			nok "$tag: compress auto over the slow link: $(echo "$why" | tr '\n' ' ')"
		fi
		echo "# $tag: $(grep -m1 'kexdump-capture: compress auto:' "$con" | cut -d' ' -f2-)"
		oracles "$tag" "$dir" bookworm 'sysrq triggered crash' ssh
		want=complete
	else
		ev=$(tr '\n' ' ' <"$out/ssh/events")
		check "$tag: the host killed sshd during the transfer and started it again ($ev)" \
			bash -c 'grep -q "sshd killed" "$1" && grep -q "sshd started" "$1"' _ "$out/ssh/events"
		check "$tag: the capture saw the link drop" grep -Eq 'kexdump-capture: the link dropped [1-9][0-9]* times' "$con"
		if grep -qx 'status=complete' "$dir/summary" 2>/dev/null; then
			want=complete
			check "$tag: server: resumed: the summary says complete after link_drops>=1, link_resumed>=1" \
				bash -c 'grep -Eq "^link_drops=[1-9]" "$1/summary" && grep -Eq "^link_resumed=[1-9]" "$1/summary" &&
					[[ -f $1/vmcore && ! -e $1/vmcore.incomplete ]]' _ "$dir"
			check "$tag: the capture init says the dump is complete" grep -q 'kexdump-capture: dump complete: root@10\.0\.2\.2:' "$con"
			check "$tag: host: kexdump info reads the resumed vmcore" "$kexdump" info "$dir/vmcore"
			oracles "$tag" "$dir" bookworm 'sysrq triggered crash' sshdrop
		else
			want=incomplete
			check "$tag: server: not resumed: marked incomplete (vmcore.incomplete or the summary) with dmesg.txt" \
				bash -c '[[ -s $1/dmesg.txt ]] && { grep -qx "status=incomplete" "$1/summary" || [[ -e $1/vmcore.incomplete ]]; }' _ "$dir"
		fi
		echo "# $tag: $(grep -m1 'kexdump-capture: the link dropped' "$con" | cut -d' ' -f2-); summary: $(grep -E '^(status|link_)' "$dir/summary" 2>/dev/null | tr '\n' ' ')"
	fi
	check "$tag: host: kexdump list on the server's folder shows the dump $want" \
		bash -c '"$1" list "$2" | grep -q " $3\( (.*)\)\?\$"' _ "$kexdump" "$out/ssh/dumps" "$want"
	tp=$(at "$con" 'Kernel panic - not syncing') tc=$(at "$con" 'kexdump-capture: dump (complete|incomplete)')
	echo "# $tag: vmcore $(stat -c %s "$dir/vmcore" 2>/dev/null || stat -c %s "$dir/vmcore.incomplete") bytes, panic -> dump written $(delta "$tp" "$tc") s${url:+ ($url)}"
done
# A raw partition: the dump written onto /dev/vdb1 from its byte 0.
if [[ $only == *" rawpart "* ]]; then
	build_guest bookworm
	tag="rawpart (bookworm, 1 cpu, raw target /dev/vdb1)"
	out=$work/run-rawpart
	con=$out/console.log
	if [[ ${guest[bookworm]} != failed ]] &&
		"$vm/service-run.sh" --guest "${guest[bookworm]}" --scenario rawpart --cpus 1 \
			--out "$out" 2>"$out.log" && [[ -f $out/meta ]]; then
		p1=$out/kdtest/p1 p2=$out/kdtest/p2
		qemu_rc=$(sed -n 's/^qemu_rc=//p' "$out/meta") secs=$(sed -n 's/^wall_seconds=//p' "$out/meta")
		check "$tag: the guest powered itself off ($secs s in QEMU, rc $qemu_rc)" test "$qemu_rc" = 0
		check "$tag: setup stamped /dev/vdb1 and armed the guest" \
			bash -c '[[ $(cat "$1/setup.rc") == 0 ]] && grep -q "kexdump setup: armed" "$1/setup.out" &&
				grep -qx "kind=raw" "$1/dryrun.out" && grep -qE "^raw_id=[0-9a-f]{32}\$" "$1/dryrun.out"' _ "$p1"
		check "$tag: the first kernel panicked" grep -q 'sysrq triggered crash' "$con"
		check "$tag: the capture init says the dump is complete on /dev/vdb1" \
			grep -q 'kexdump-capture: dump complete: /dev/vdb1 ' "$con"
		check "$tag: the machine came back (phase 2)" grep -q 'KDTEST: phase 2 up' "$con"
		check "$tag: guest: kexdump setup --boot re-armed it over the dump" \
			bash -c '[[ $(cat "$1/rearm.rc") == 0 ]] && grep -q "kexdump setup: armed" "$1/rearm.out"' _ "$p2"
		check "$tag: guest: kexdump list says a raw target's dump is read with kexdump info" \
			bash -c '[[ $(cat "$1/list.rc") == 1 ]] && grep -q "raw device /dev/vdb1: its dump is read with kexdump info" "$1/list.out"' _ "$p2"
		rel=$(cat "${guest[bookworm]}/release")
		check "$tag: guest: kexdump info /dev/vdb1 reads the dump ($rel)" \
			bash -c '[[ $(cat "$1/rawinfo.rc") == 0 ]] && grep -q "^kernel: *$2\$" "$1/rawinfo.out"' _ "$p2" "$rel"
		check "$tag: guest: kexdump dmesg /dev/vdb1 shows the panic" \
			bash -c '[[ $(cat "$1/dmesg.rc") == 0 ]] && grep -q "sysrq triggered crash" "$1/dmesg.out"' _ "$p2"
		check "$tag: disk: kexdump's stamp is still in the partition's last 4 KiB" \
			bash -c '[[ $(tail -c 4096 "$1" | head -c 11) == KEXDUMP-RAW ]]' _ "$out/part.img"
		# The readers that are not kexdump, on the partition's bytes.
		rd=$out/rawdump
		rm -rf "$rd"
		mkdir -p "$rd"
		ln -s ../part.img "$rd/vmcore"
		"$kexdump" dmesg "$out/part.img" >"$rd/dmesg.txt" 2>"$rd/dmesg.err"
		printf 'codec=zstd\nrelease=%s\n' "$rel" >"$rd/summary"
		check "$tag: host: kexdump info reads the partition" "$kexdump" info "$out/part.img"
		oracles "$tag" "$rd" bookworm 'sysrq triggered crash' rawpart
		check "$tag: nothing landed on the root disk" bash -c '! ls "$1"/crash/*/summary' _ "$out"
		tp=$(at "$con" 'Kernel panic - not syncing') tc=$(at "$con" 'kexdump-capture: dump complete')
		echo "# $tag: panic -> dump written $(delta "$tp" "$tc") s"
	else
		nok "$tag: the run did not finish: $(tail -n 3 "$out.log" | tr '\n' ' ')"
	fi
fi

for s in "${scenarios[@]}"; do
	read -r name suite cpus extra panic <<<"$s"
	sig=
	[[ $only == *" $name "* ]] || continue
	build_guest "$suite"
	tag="$name ($suite, $cpus cpu)"
	[[ ${guest[$suite]} != failed ]] || { nok "$tag: no guest"; continue; }
	out=$work/run-$name
	args=(--guest "${guest[$suite]}" --scenario "$name" --cpus "$cpus" --out "$out")
	[[ $extra == - ]] || args+=("$extra")
	"$vm/service-run.sh" "${args[@]}" 2>"$out.log"
	con=$out/console.log
	if [[ ! -f $out/meta ]]; then
		nok "$tag: the run did not finish: $(tail -n 3 "$out.log" | tr '\n' ' ')"
		continue
	fi
	qemu_rc=$(sed -n 's/^qemu_rc=//p' "$out/meta") secs=$(sed -n 's/^wall_seconds=//p' "$out/meta")
	if [[ $qemu_rc == 0 ]]; then
		ok "$tag: the guest powered itself off ($secs s in QEMU)"
	else
		nok "$tag: QEMU rc=$qemu_rc after $secs s (124 = timeout; see $con)"
	fi
	errs=$(grep -E 'KDTEST-ERROR|kexdump-capture: dump failed' "$con" | cut -d' ' -f2- | head -n 3)
	if [[ -z $errs ]]; then ok "$tag: no errors on the console"; else nok "$tag: $(tr '\n' ' ' <<<"$errs")"; fi
	p1=$out/kdtest/p1 p2=$out/kdtest/p2
	if [[ $(cat "$p1/setup.rc" 2>/dev/null) == 0 ]] &&
		grep -q 'kexdump setup: armed' "$p1/setup.out"; then
		ok "$tag: kexdump setup armed the guest ($(grep -E '^ +initramfs:' "$p1/setup.out" | sed 's/^ *//'))"
	else
		nok "$tag: kexdump setup: rc=$(cat "$p1/setup.rc" 2>/dev/null): $(head -c 400 "$p1/setup.out" 2>/dev/null | tr '\n' ' ')"
	fi
	check "$tag: the first kernel panicked ('$panic')" grep -q "$panic" "$con"
	check "$tag: the capture kernel ran kexdump as PID 1" grep -q 'kexdump-capture: started' "$con"
	if [[ $name == net* ]]; then
		# The capture kernel's own network (lib/service/netif.c, dhcp.c)
		# on QEMU's user network: eth0 is 10.0.2.15/24, the host 10.0.2.2.
		check "$tag: setup resolved the network (network ${name#net}) with the NIC's MAC" \
			grep -q '^network=.*mac=52:54:00:12:34:56' "$p1/dryrun.out"
		check "$tag: setup put the NIC's driver chain in the capture initramfs ($(grep -oE '(virtio_net|net_failover|failover)\.ko' "$p1/initramfs.list" 2>/dev/null | tr '\n' ' '))" \
			grep -q 'virtio_net\.ko$' "$p1/initramfs.list"
		if [[ $name == netdhcp ]]; then
			re='kexdump-capture: network: [a-z0-9]+ 10\.0\.2\.15/24 gateway 10\.0\.2\.2 mtu 1500 \(DHCP from 10\.0\.2\.2, lease [0-9]+ s\) up in'
		else
			# The host is on the link: auto copies no gateway.
			re='kexdump-capture: network: [a-z0-9]+ 10\.0\.2\.15/24 mtu 1500 up in'
		fi
		check "$tag: the capture kernel brought eth0 up itself (${name#net})" grep -Eq "$re" "$con"
		check "$tag: the capture kernel reached the host's listener (10.0.2.2:$(sed -n 's/.*kdtest\.hostport=\([0-9]*\).*/\1/p' "$con" | head -n1))" \
			grep -Eq 'kexdump-capture: network: 10\.0\.2\.2:[0-9]+ answers' "$con"
		ts=$(at "$con" 'kexdump-capture: started') tn=$(at "$con" 'kexdump-capture: network: ')
		check "$tag: the host's TCP listener got a connection from the capture kernel" \
			awk -v t="$ts" '$1 > t && / conn / { f = 1 } END { exit !(t != "" && f) }' "$out/listener.log"
		echo "# $tag: capture init -> network up $(delta "$ts" "$tn") s ($(grep -o 'up in [0-9.]* s.*' "$con" | head -n1))"
	fi
	if [[ $name == btrfs ]]; then
		check "$tag: setup resolved /var/crash to the btrfs UUID, subvolume /@rootfs, folder /var/crash" \
			bash -c 'grep -qx "fstype=btrfs" "$1" && grep -qx "subvol=/@rootfs" "$1" &&
				grep -qx "path=/var/crash" "$1" && grep -q "^target=UUID=[0-9a-f-]*\$" "$1"' _ "$p1/dryrun.out"
		check "$tag: setup put btrfs in the capture initramfs" grep -q 'btrfs\.ko$' "$p1/initramfs.list"
		check "$tag: the capture mounted the btrfs target with subvol=/@rootfs" \
			grep -q 'kexdump-capture: mounted /dev/vda (btrfs, subvol=/@rootfs) on ' "$con"
		check "$tag: disk: nothing written at the top level of the btrfs (no var/ there)" \
			bash -c 'grep -qx "@rootfs" "$1" && ! grep -qx var "$1"' _ "$out/btrfs-top.txt"
	fi
	if [[ $name == xfsnvme ]]; then
		check "$tag: setup resolved /var/crash to the XFS on the NVMe disk, folder /crash in it" \
			bash -c 'grep -qx "fstype=xfs" "$1" && grep -qx "device=/dev/nvme0n1" "$1" &&
				grep -qx "path=/crash" "$1" && grep -q "^target=UUID=[0-9a-f-]*\$" "$1"' _ "$p1/dryrun.out"
		check "$tag: setup put the nvme driver chain and xfs in the capture initramfs ($(grep -oE '/(nvme|nvme_core|xfs)\.ko' "$p1/initramfs.list" 2>/dev/null | tr '\n' ' '))" \
			bash -c 'grep -q "/nvme\.ko$" "$1" && grep -q "/nvme_core\.ko$" "$1" && grep -q "/xfs\.ko$" "$1"' _ "$p1/initramfs.list"
		check "$tag: the capture mounted the NVMe disk's XFS" \
			grep -q 'kexdump-capture: mounted /dev/nvme0n1 (xfs) on ' "$con"
	fi
	if [[ $name == lvm ]]; then
		p0=$out/kdtest/p0
		check "$tag: the installer (Debian's lvm2 in the guest) made root linear and crash linear + striped over 2 PVs" \
			bash -c 'grep -Eq "^ *root +linear +1 " "$1/lvs.out" && grep -Eq "^ *crash +linear +1 " "$1/lvs.out" &&
				grep -Eq "^ *crash +striped +2 .*/dev/vdb1\(.*/dev/vdb2\(" "$1/lvs.out"' _ "$p0"
		check "$tag: the first kernel's root is the root LV (the boot initramfs activated kdvg)" \
			grep -q 'KDTEST: lvm installer done: rebooting into the root LV' "$con"
		check "$tag: setup resolved /var/crash to the crash LV's ext4 by UUID, folder /" \
			bash -c 'grep -qx "fstype=ext4" "$1" && grep -qx "label=kdcrash" "$1" && grep -qx "path=/" "$1" &&
				grep -q "^device=/dev/dm-[0-9]*\$" "$1" && grep -q "^target=UUID=[0-9a-f-]*\$" "$1"' _ "$p1/dryrun.out"
		# The oracle of the record: dmsetup's live table of the LV, its
		# PVs' major:minor turned into the UUIDs lvm gives them.
		want=$(awk 'NR == FNR { u[$2] = $1; next } { for (i = 4; i <= NF; i++) if ($i in u) $i = "UUID=" u[$i]; print "kdvg-crash " $0 }' \
			"$p1/pvmap" "$p1/dmtable" 2>/dev/null)
		got=$(sed -n 's/^dm\.[0-9]*=//p' "$p1/dryrun.out" 2>/dev/null)
		check "$tag: setup recorded the LV's dm table as dmsetup shows it, the PVs by UUID ($(grep -c . <<<"$got") lines: $(awk '{print $4}' <<<"$got" | tr '\n' ' '))" \
			bash -c '[[ -n $1 && $1 == "$2" && $1 == *" linear UUID="* && $1 == *" striped 2 "* ]]' _ "$got" "$want"
		check "$tag: setup refused a dm-delay device in one line naming it and what it cannot do" \
			bash -c '[[ $(cat "$1/refuse.rc") == 1 && $(grep -c . "$1/refuse.out") == 1 ]] &&
				grep -qx "kexdump: /tmp/delay.conf: /dev/mapper/kddelay (dm-[0-9]*): a '"'"'delay'"'"' target, which the capture kernel cannot re-create (kexdump re-creates linear and striped ones)" "$1/refuse.out"' _ "$p1"
		check "$tag: the capture initramfs holds dm_mod and no lvm2 tool ($(grep -c 'lib/modules/' "$p1/initramfs.list") modules)" \
			bash -c 'grep -q "lib/modules/dm[-_]mod\.ko$" "$1" && ! grep -Eq "(^|/)(lvm|dmsetup|libdevmapper)" "$1"' _ "$p1/initramfs.list"
		check "$tag: the capture re-created the LV and mounted its ext4" \
			bash -c 'grep -q "kexdump-capture: device-mapper: created kdvg-crash$" "$1" &&
				grep -q "kexdump-capture: mounted /dev/dm-0 (ext4) on " "$1"' _ "$con"
		check "$tag: the guest copied the dump out through lvm's own mapping" \
			grep -q 'KDTEST: lvm: outputs and dump copied to /dev/vda' "$con"
		ti=$(at "$con" 'KDTEST: lvm installer:') tr=$(at "$con" 'KDTEST: lvm installer done')
		echo "# $tag: installer $(delta "$ti" "$tr") s; capture: created kdvg-crash -> mounted $(delta "$(at "$con" 'device-mapper: created')" "$(at "$con" 'kexdump-capture: mounted')") s"
	fi
	if [[ $name == luks ]]; then
		p0=$out/kdtest/p0
		check "$tag: the installer (Debian's cryptsetup in the guest) made a LUKS2 container, pbkdf2, on /dev/vdb1" \
			bash -c '[[ $(cat "$1/luksformat.rc") == 0 ]] && grep -q "^Version:[[:space:]]*2\$" "$1/luksdump.out" &&
				grep -q "PBKDF:[[:space:]]*pbkdf2" "$1/luksdump.out" && [[ $(stat -c %s "$1/key") == 64 ]]' _ "$p0"
		check "$tag: the first kernel's root is the LUKS container opened by the boot initramfs (/ on dm-0 over vdb1, a crypt table)" \
			bash -c 'grep -q "KDTEST: luks installer done: rebooting into the LUKS root" "$1" &&
				grep -Eq "^0 [0-9]+ crypt aes-xts-plain64 " "$2/dmtable" && grep -qx vdb1 "$2/slaves" &&
				awk "\$5 == \"/\" && \$(NF - 1) == \"/dev/mapper/kdroot\" { f = 1 } END { exit !f }" "$2/mountinfo" &&
				grep -q "^kdroot UUID=.* /etc/keys/kdroot.key luks\$" "$2/crypttab"' _ "$con" "$p1"
		# The target's stack is the plain partition: its numbers, no
		# dm line, the same in setup's summary and status.
		check "$tag: setup resolved /var/crash to /dev/vdb2's ext4 ($(cat "$p1/vdb2.dev" 2>/dev/null)) by UUID, folder /, no dm table" \
			bash -c 'grep -qx "fstype=ext4" "$1/dryrun.out" && grep -qx "label=kdcrash" "$1/dryrun.out" &&
				grep -qx "path=/" "$1/dryrun.out" && grep -qx "device=/dev/vdb2" "$1/dryrun.out" &&
				grep -qx "devnum=$(cat "$1/vdb2.dev")" "$1/dryrun.out" &&
				grep -q "^target=UUID=[0-9a-f-]*\$" "$1/dryrun.out" && ! grep -q "^dm\." "$1/dryrun.out"' _ "$p1"
		check "$tag: setup refused a dump folder on the encrypted root in one line saying why" \
			bash -c '[[ $(cat "$1/refuse.rc") == 1 && $(grep -c . "$1/refuse.out") == 1 ]] &&
				grep -qx "kexdump: /tmp/root.conf: /dev/mapper/kdroot (dm-0): a '"'"'crypt'"'"' target, an encrypted device (dm-crypt, LUKS) the capture kernel cannot open: kexdump puts no key or passphrase in its initramfs; put the dumps on an unencrypted filesystem (a plain partition, or a linear LV outside the encrypted container) or a network target" "$1/refuse.out"' _ "$p1"
		check "$tag: setup's summary and status name the target as ext4 on /dev/vdb2" \
			bash -c 'grep -Eq "^  target: +UUID=[0-9a-f-]+ \(ext4 on /dev/vdb2\), folder / = /var/crash here" "$1/setup.out" &&
				grep -Eq "^target: +UUID=[0-9a-f-]+ \(/dev/vdb2, ext4\), folder / on it" "$2/status.out"' _ "$p1" "$p2"
		check "$tag: the rehearsal passes on this layout (exit 0)" \
			bash -c '[[ $(cat "$1/rehearsal.rc") == 0 ]] && grep -q "^kexdump test: all [0-9]* checks pass" "$1/rehearsal.out"' _ "$p1"
		check "$tag: guest: the capture initramfs lists no dm module, no cryptsetup or libdevmapper, no key or crypttab ($(grep -c 'lib/modules/' "$p1/initramfs.list") modules)" \
			bash -c 'grep -q "lib/modules/ext4\.ko" "$1" &&
				! grep -Eq "(dm[-_](mod|crypt)|/xts|algif|af_alg)\.ko|cryptsetup|libdevmapper|(^|/)keys(/|\$)|\.key\$|crypttab" "$1"' _ "$p1/initramfs.list"
		# On the host: GNU cpio's listing of the archive, and its bytes
		# (all of it uncompressed) searched for the key file's 64 bytes.
		check "$tag: host: the capture initramfs (GNU cpio) has ext4 and no dm or crypt module, and not the key's bytes" \
			python3 -c 'import gzip, re, subprocess, sys
raw = open(sys.argv[1], "rb").read()
data = gzip.decompress(raw)
key = open(sys.argv[2], "rb").read()
assert len(key) == 64 and key not in data and key not in raw, "the key is in it"
names = subprocess.run(["cpio", "-t", "--quiet"], input=data, capture_output=True, check=True).stdout.decode().split()
mods = [n.rsplit("/", 1)[-1] for n in names if re.search(r"\.ko(\.xz|\.zst)?$", n)]
assert any(m.startswith("ext4.ko") for m in mods), mods
bad = [m for m in mods if re.match(r"(dm[-_]|xts|algif|af_alg|.*crypt)", m)]
assert not bad, bad' "$p1/initramfs.img" "$p0/key"
		check "$tag: the capture mounted /dev/vdb2 and made no device-mapper device" \
			bash -c 'grep -q "kexdump-capture: mounted /dev/vdb2 (ext4) on " "$1" &&
				! grep -q "kexdump-capture: device-mapper:" "$1"' _ "$con"
		check "$tag: the guest copied its outputs out to /dev/vda" \
			grep -q 'KDTEST: luks: outputs copied to /dev/vda' "$con"
		ti=$(at "$con" 'KDTEST: luks installer:') tr=$(at "$con" 'KDTEST: luks installer done')
		echo "# $tag: installer $(delta "$ti" "$tr") s; capture initramfs $(stat -c %s "$p1/initramfs.img" 2>/dev/null) bytes, $(grep -c 'lib/modules/.*\.ko' "$p1/initramfs.list" 2>/dev/null) modules: $(grep -o '[^/]*\.ko[.a-z]*$' "$p1/initramfs.list" 2>/dev/null | tr '\n' ' ')"
	fi
	if [[ $name == tiny ]]; then
		check "$tag: the capture init says the dump is incomplete" \
			grep -q 'kexdump-capture: dump incomplete:' "$con"
	else
		check "$tag: the capture init says the dump is complete" \
			grep -q 'kexdump-capture: dump complete:' "$con"
	fi
	[[ $name != pid1 ]] || live "$tag" "$p1" "$(cat "${guest[$suite]}/release")"
	if [[ $name == net* ]]; then
		# The net scenarios stop after the capture (final_action
		# poweroff): the cycle after it is the others' to check.
		check "$tag: the capture init powered off (final action)" \
			grep -q 'kexdump-capture: final action: poweroff' "$con"
	else
		check "$tag: the capture init rebooted (final action)" \
			grep -q 'kexdump-capture: final action: reboot' "$con"
		check "$tag: the machine came back (phase 2)" grep -q 'KDTEST: phase 2 up' "$con"
	fi

	# On the host: the dump folder on the disk image.
	dir=$(ls -d "$out"/crash/*/ 2>/dev/null | tail -n1)
	dir=${dir%/}
	if [[ -z $dir ]]; then
		nok "$tag: no dump folder on the disk image"
		continue
	fi
	want=complete
	[[ $name != tiny ]] || want=incomplete
	check "$tag: disk: $(basename "$dir")/dmesg.txt shows the panic" grep -q "$panic" "$dir/dmesg.txt"
	check "$tag: disk: the summary says $want" grep -qx "status=$want" "$dir/summary"
	if [[ $name == tiny ]]; then
		check "$tag: disk: a partial vmcore is there" test -s "$dir/vmcore"
		check "$tag: disk: the summary says why" grep -q '^error=..*' "$dir/summary"
	else
		check "$tag: host: kexdump dmesg on the vmcore shows the panic" \
			bash -c '"$1" dmesg "$2" | grep -q "$3"' _ "$kexdump" "$dir/vmcore" "$panic"
		check "$tag: host: kexdump info reads the vmcore" "$kexdump" info "$dir/vmcore"
		[[ $name == net* ]] || oracles "$tag" "$dir" "$suite" "$panic" "$name"
		# report.txt (capture/report.c): written once the vmcore was
		# safe, it names the panic and carries the crash signature; the
		# same signature as kexdump report on the host's copy of the vmcore.
		check "$tag: the capture init wrote report.txt ($(grep -o 'report.txt written in [0-9.]* s' "$con" | head -n1))" \
			grep -q 'kexdump-capture: report.txt written in' "$con"
		check "$tag: disk: report.txt names the panic" grep -q "^panic: .*$panic" "$dir/report.txt"
		sig=$(sed -n 's/^signature: //p' "$dir/report.txt" 2>/dev/null | head -n1)
		check "$tag: disk: report.txt has a crash signature ($sig)" \
			bash -c '[[ $1 =~ ^[^:]+:\ [^\ ]+\ \<\ [^\ ]+ ]]' _ "$sig"
		check "$tag: host: kexdump report on the vmcore gives the same signature" \
			bash -c '"$1" report "$2" | grep -qxF "signature: $3"' _ "$kexdump" "$dir/vmcore" "$sig"
		check "$tag: host: kexdump list shows the signature" \
			bash -c '"$1" list "$2" | grep -qxF "    signature: $3"' _ "$kexdump" "${dir%/*}" "$sig"
	fi
	if [[ $name == sysrq ]]; then
		# The rehearsal before the crash estimated the dump: within 25%
		# of the vmcore the capture then wrote.
		est=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["estimate"]["size"])' \
			"$p1/rehearsal.out" 2>/dev/null)
		act=$(stat -c %s "$dir/vmcore" 2>/dev/null)
		check "$tag: rehearsal: estimated dump $est bytes, vmcore written $act bytes: within 25%" \
			python3 -c 'import sys; e, a = int(sys.argv[1]), int(sys.argv[2]); assert a > 0 and abs(e - a) <= a / 4' \
			"${est:-0}" "${act:-0}"
		echo "# $tag: rehearsal estimate $est bytes, vmcore $act bytes ($(python3 -c 'import sys; print("%+.1f%%" % (100 * (int(sys.argv[1]) / int(sys.argv[2]) - 1)))' "${est:-0}" "${act:-1}"))"
	fi
	if [[ $name == net* ]]; then
		tp=$(at "$con" 'Kernel panic - not syncing') tc=$(at "$con" 'kexdump-capture: dump complete')
		echo "# $tag: panic -> network up $(delta "$tp" "$(at "$con" 'kexdump-capture: network: ')") s, -> dump written $(delta "$tp" "$tc") s"
		continue
	fi

	# In the guest, after the reboot.
	d=$(basename "$dir")
	check "$tag: guest: kexdump setup --boot re-armed it after the reboot" \
		bash -c '[[ $(cat "$1/rearm.rc") == 0 ]] && grep -q "kexdump setup: armed" "$1/rearm.out"' _ "$p2"
	# kexdump list: a "DATE TIME UTC HOST RELEASE SIZE STATUS" line, then
	# the panic line and the folder.
	when=$(sed -n 's/.*-\([0-9]\{4\}-[0-9][0-9]-[0-9][0-9]\)-\([0-9:]\{8\}\)$/\1 \2/p' <<<"$d")
	check "$tag: guest: kexdump list shows $d ($when) as $want" \
		bash -c '[[ $(cat "$1/list.rc") == 0 ]] && grep -q "/$2\$" "$1/list.out" &&
			grep "^$3" "$1/list.out" | grep -qw "$4"' _ "$p2" "$d" "$when" "$want"
	check "$tag: guest: kexdump list --json says $want" \
		python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
items = d if isinstance(d, list) else next(v for v in d.values() if isinstance(v, list))
assert any(e.get("status") == sys.argv[2] for e in items)' "$p2/listjson.out" "$want"
	if [[ $name != tiny ]]; then
		check "$tag: guest: kexdump list shows the crash signature ($sig)" \
			bash -c '[[ -n $2 ]] && grep -qxF "    signature: $2" "$1/list.out"' _ "$p2" "$sig"
		check "$tag: guest: kexdump list --json has the signature" \
			python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
items = d if isinstance(d, list) else next(v for v in d.values() if isinstance(v, list))
assert any(e.get("signature") == sys.argv[2] and e.get("has_report") for e in items)' "$p2/listjson.out" "$sig"
	fi
	check "$tag: guest: kexdump status says loaded and the last dump $want" \
		bash -c '[[ $(cat "$1/status.rc") == 0 ]] && grep -qw "$2" "$1/status.out"' _ "$p2" "$want"
	if [[ $name != tiny ]]; then
		check "$tag: guest: kexdump dmesg on the vmcore shows the panic" \
			bash -c '[[ $(cat "$1/dmesg.rc") == 0 ]] && grep -q "$2" "$1/dmesg.out"' _ "$p2" "$panic"
	fi

	if [[ $extra == --fastreboot ]]; then
		# After "KDTEST: kexdump exec" the next kernel's banner must come
		# with no firmware output in between, and that kernel's command
		# line carries what kexdump load --reboot --append gave it.
		fr=$(awk '/KDTEST: kexdump exec/ {f=1; next} f && /Linux version/ {print "banner"; exit}
			f && /SeaBIOS|iPXE|Booting from/ {print "firmware"; exit}' "$con")
		check "$tag: fast reboot: the new kernel's banner without firmware output" test "$fr" = banner
		check "$tag: fast reboot: phase 3 came up through kexec" \
			grep -q 'KDTEST: fast reboot ok: came up through kexec' "$con"
	fi

	# Timings, from the host's arrival time of each console line.
	tp=$(at "$con" 'Kernel panic - not syncing') ts=$(at "$con" 'kexdump-capture: started')
	tc=$(at "$con" 'kexdump-capture: dump (complete|incomplete)') tb=$(at "$con" 'KDTEST: phase 2 up')
	echo "# $tag: panic -> capture init $(delta "$tp" "$ts") s, -> dump written $(delta "$tp" "$tc") s, -> back up $(delta "$tp" "$tb") s"
	echo "$name $suite $cpus $(delta "$tp" "$ts") $(delta "$tp" "$tc") $(delta "$tp" "$tb")" >>"$work/timings"
done
echo "# service e2e: $((SECONDS - t_all)) s"
echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
