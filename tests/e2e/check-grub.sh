#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-grub.sh [SRCDIR [WORKDIR]] -- the Debian package on a real Debian
# bookworm system: systemd as PID 1, GRUB in the MBR of a partitioned
# disk (tests/vm/grub-image.sh, cached), booted by QEMU (TCG) through
# SeaBIOS and GRUB with no -kernel, so GRUB's drop-in and the guest's own
# update-grub decide the kernel's command line. Each boot runs the step the
# host wrote onto a small disk (serial kdcmd; the image's kdtest.service
# runs it after kexdump.service) and leaves its outputs as a tar on
# another (kdout); QEMU runs with -no-reboot, so each reboot of the guest
# ends one QEMU run and the next boots through the firmware and GRUB again:
#   install   dpkg -i the package (tests/pkg/build-deb.sh), kexdump setup
#             --apply-bootloader (the dump target: /var/crash on the root
#             filesystem), reboot;
#   armed     /proc/cmdline has the crashkernel= of the drop-in, kexdump.
#             service armed the machine at boot (systemctl is-active,
#             kexdump status exit 0), kexdump test --yes-crash-now: the
#             capture kernel runs kexdump as PID 1, writes the dump and
#             reboots;
#   dumped    kexdump list shows it complete, kexdump report names the
#             panic; on the host makedumpfile --dump-dmesg reads the vmcore
#             (a reader that is not kexdump); then dpkg -i a kernel of
#             another ABI (bookworm-backports' linux-image-amd64, 6.12):
#             the package's /etc/kernel/postinst.d/kexdump prepares it
#             (setup --kernel, the reservation raised in the drop-in when
#             6.12 needs more), reboot;
#   upgraded  the new kernel runs, armed with no manual step: kexdump
#             status exit 0, the loaded capture kernel is the new release.
# Prints "ok - ..." / "not ok - ..." lines, "# ..." timings (the image's
# build, each boot) and a closing "N passed, N failed, N skipped"; exits
# non-zero when a check failed. WORKDIR keeps the overlay, the consoles and
# the outputs (default: a temporary folder, removed afterwards).
# Env: KEXDUMP_DEB_DIR, the package's build folder (build-deb.sh reuses a
# build of the same tree there); KEXDUMP_GRUB_TIMEOUT scales the per-boot
# timeouts (default 1; under load QEMU is 3-5x slower).
# ~6-8 min on an idle 2-core machine once the image is cached.
# shellcheck disable=SC2016 # the bash -c checks expand their own arguments
set -uo pipefail
src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
vm=$src/tests/vm
pass=0 fail=0 skip=0
ok() { echo "ok - grub: $*"; pass=$((pass + 1)); }
nok() { echo "not ok - grub: $*"; fail=$((fail + 1)); }
check() { # check DESC CMD...: ok when CMD succeeds
	local d=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$d"; else nok "$d"; fi
}
excerpt() { tail -n "${2:-12}" "$1" 2>/dev/null | sed 's/^/#   /'; }
finish() {
	echo "# check-grub.sh: $((SECONDS - t_all)) s in all"
	echo "$pass passed, $fail failed, $skip skipped"
	((fail == 0))
	exit
}
t_all=$SECONDS
if [[ -n ${2:-} ]]; then
	work=$2
	mkdir -p "$work"
else
	work=$(mktemp -d "${TMPDIR:-/var/tmp}/kexdump-grub.XXXXXX") || exit 1
	trap 'rm -rf "$work"' EXIT
fi
chmod 700 "$work"
# shellcheck source=tests/vm/common.sh
. "$vm/common.sh"
for t in qemu-system-x86_64 qemu-img tar makedumpfile; do
	command -v "$t" >/dev/null || { nok "$t is not installed (tools/deps.sh installs it)"; finish; }
done

# ---------------------------------------------------------------- inputs
t=$SECONDS
if img=$("$vm/grub-image.sh" 2>"$work/image.err"); then
	info=$(dirname "$img")/info
	if grep -q 'built in' "$work/image.err"; then
		how="built now in $((SECONDS - t)) s"
	else
		how="cached, built in $(sed -n 's/^build_seconds=//p' "$info") s"
	fi
	ok "the bookworm image with GRUB: $img ($(sed -n 's/^release=//p' "$info"), $how)"
else
	nok "tests/vm/grub-image.sh failed"
	excerpt "$work/image.err"
	finish
fi
t=$SECONDS
if deb=$("$src/tests/pkg/build-deb.sh" "$src" "${KEXDUMP_DEB_DIR:-$work/deb}" 2>"$work/deb.err"); then
	ok "the package: $(basename "$deb") ($(tail -n1 "$work/deb.err" | sed 's/^build-deb.sh: //'), $((SECONDS - t)) s)"
else
	nok "tests/pkg/build-deb.sh failed"
	excerpt "$work/deb.err"
	finish
fi

# The second kernel: the newest linux-image-amd64 of bookworm-backports
# (another ABI: 6.12 against bookworm's 6.1), through a private apt set-up
# of its own, cached in $CACHE/debs.
bpo_kernel() {
	local dir=$CACHE/apt-bpo opts img
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$CACHE/debs"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main" \
		>"$dir/sources.list"
	opts=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o APT::Sandbox::User=root)
	# A kernel fetched before is used as it is (no mirror needed).
	img=$(ls "$CACHE"/debs/linux-image-6.*bpo*_amd64.deb 2>/dev/null | sort -V | tail -n1)
	if [[ -n $img ]]; then
		echo "$img"
		return
	fi
	apt-get "${opts[@]}" update -qq >&2 || return 1
	img=$(apt-cache "${opts[@]}" show linux-image-amd64 | sed -n 's/^Depends: *\(linux-image-[^ ,]*\).*/\1/p' |
		sort -V | tail -n1)
	[[ -n $img ]] || return 1
	(cd "$CACHE/debs" && apt-get "${opts[@]}" download -qq "$img" >&2) || return 1
	ls "$CACHE"/debs/"$img"_*_amd64.deb
}
t=$SECONDS
if kdeb=$(bpo_kernel 2>"$work/bpo.err") && [[ -f $kdeb ]]; then
	krel=$(dpkg-deb -f "$kdeb" Package)
	krel=${krel#linux-image-}
	ok "a kernel of another ABI: $(basename "$kdeb") ($((SECONDS - t)) s)"
else
	nok "no bookworm-backports kernel: $(tail -n2 "$work/bpo.err" | tr '\n' ' ')"
	finish
fi

# ---------------------------------------------------------------- booting
# The overlay: the cached image is never written.
qemu-img create -q -f qcow2 -F raw -b "$img" "$work/disk.qcow2" || { nok "qemu-img create"; finish; }
scale=${KEXDUMP_GRUB_TIMEOUT:-1}

# The steps' common part: run NAME CMD... keeps the output and exit
# status as NAME.out and NAME.rc; save writes them onto the kdout disk.
# Files come after the step's tar on the kdcmd disk (the image's driver
# unpacks the tar into /run, a tmpfs of 10% of the memory: too small for a
# kernel package), each at a MiB offset: getfile copies one to
# /var/tmp/kdtest on the root filesystem. The outputs are kept there too (the
# vmcore is copied out with them).
cat >"$work/prelude.sh" <<'EOF'
out=/var/tmp/kdtest/out
rm -rf /var/tmp/kdtest
mkdir -p "$out"
getfile() { # getfile OFFSET_MIB SIZE NAME
	dd if=/dev/disk/by-id/virtio-kdcmd bs=1M skip="$1" status=none | head -c "$2" >"/var/tmp/kdtest/$3"
}
say() { echo "KDTEST: $*"; }
run() {
	n=$1
	shift
	"$@" >"$out/$n.out" 2>&1
	echo $? >"$out/$n.rc"
	say "$n: $* -> exit $(cat "$out/$n.rc")"
	sed 's/^/KDTEST|   /' "$out/$n.out" | head -n 40
}
save() {
	tar -cf /dev/disk/by-id/virtio-kdout -C "$out" . && sync && say "outputs saved"
}
EOF

# boot STEP TIMEOUT [FILE...]: one QEMU run, STEP's script (steps below)
# and FILEs on the kdcmd disk; the console in STEP.log (host times on each
# line), the guest's outputs in STEP/. Times recorded in $work/times.
boot() {
	local step=$1 limit=$(($2 * scale)) t0=$SECONDS rc
	shift 2
	rm -rf "${work:?}/cmd" "${work:?}/$step"
	mkdir -p "$work/cmd" "$work/$step"
	local f off=1 size
	{
		echo '#!/bin/sh'
		cat "$work/prelude.sh"
		for f in "$@"; do
			size=$(stat -c %s "$f")
			echo "getfile $off $size '$(basename "$f")'"
			off=$((off + (size + 1048575) / 1048576))
		done
		cat "$work/step-$step.sh"
	} >"$work/cmd/step.sh"
	tar -cf "$work/cmd.img" -C "$work/cmd" . || return 1
	(($(stat -c %s "$work/cmd.img") <= 1048576)) || return 1
	truncate -s 1M "$work/cmd.img"
	for f in "$@"; do
		cat "$f" >>"$work/cmd.img"
		truncate -s %1M "$work/cmd.img"
	done
	rm -f "$work/out.img"
	truncate -s 1G "$work/out.img"
	timeout -k 10 "$limit" qemu-system-x86_64 \
		-accel tcg -machine pc -cpu max,la57=off -smp 1 -m 1024 \
		-nodefaults -display none -monitor none -serial stdio -no-reboot \
		-drive "file=$work/disk.qcow2,format=qcow2,if=none,id=root,cache=unsafe" \
		-device virtio-blk-pci,drive=root,bootindex=0 \
		-drive "file=$work/cmd.img,format=raw,if=none,id=cmd,readonly=on" \
		-device virtio-blk-pci,drive=cmd,serial=kdcmd \
		-drive "file=$work/out.img,format=raw,if=none,id=out,cache=unsafe" \
		-device virtio-blk-pci,drive=out,serial=kdout \
		</dev/null 2>"$work/$step.qemu.err" |
		while IFS= read -r l || [[ -n $l ]]; do
			printf '%s %s\n' "$((SECONDS - t0))" "${l%$'\r'}"
		done >"$work/$step.log"
	rc=${PIPESTATUS[0]}
	echo "$step $((SECONDS - t0))" >>"$work/times"
	tar -xf "$work/out.img" -C "$work/$step" 2>/dev/null
	echo "# boot '$step': $((SECONDS - t0)) s (QEMU exit $rc)"
	if ((rc == 124 || rc == 137)); then
		nok "$step: QEMU did not finish within $limit s"
		grep 'KDTEST' "$work/$step.log" | tail -n 8 | sed 's/^/#   /'
		tail -n 8 "$work/$step.log" | sed 's/^/#   /'
		return 1
	fi
	return 0
}
# Each boot: through SeaBIOS and GRUB (its serial terminal), Debian's
# kernel and systemd.
boot_checks() {
	local step=$1 log=$work/$1.log
	# GRUB's "Loading Linux" echo (grub.cfg's, on its serial terminal),
	# then the kernel's and systemd's own lines.
	if grep -q 'Loading Linux [^ ]* \.\.\.' "$log" && grep -q 'Linux version ' "$log" &&
		grep -q 'Welcome to .*Debian GNU/Linux 12' "$log"; then
		ok "$step: booted through the firmware, GRUB ('$(grep -m1 -o 'Loading Linux [^ ]*' "$log")' on its serial terminal) and systemd"
	else
		nok "$step: no SeaBIOS/GRUB/systemd boot on the console"
		head -n 20 "$log" | sed 's/^/#   /'
	fi
}
rcis() { [[ $(cat "$work/$1/$2.rc" 2>/dev/null) == "$3" ]]; }

# ---------------------------------------------------------------- install
cat >"$work/step-install.sh" <<'EOF'
say "step install ($(uname -r))"
run uname uname -r
run dpkg dpkg -i /var/tmp/kdtest/kexdump_*.deb
run setup kexdump setup --apply-bootloader
cp /etc/default/grub.d/kexdump.cfg "$out/dropin" 2>/dev/null
grep -E '^[[:space:]]*linux[[:space:]]' /boot/grub/grub.cfg >"$out/grubcfg"
save
say "step install done: rebooting"
systemctl --no-block reboot
EOF
boot install 600 "$deb"
boot_checks install
check "install: dpkg -i $(basename "$deb") in the guest (exit 0)" rcis install dpkg 0
if grep -qi 'kexdump setup' "$work/install/dpkg.out"; then
	ok "install: the postinst says to run kexdump setup"
else
	nok "install: the postinst said: $(head -c 300 "$work/install/dpkg.out" 2>/dev/null)"
fi
if rcis install setup 0 && grep -q 'crashkernel=[0-9]*M' "$work/install/dropin" 2>/dev/null &&
	grep -q 'reboot needed' "$work/install/setup.out"; then
	ok "install: kexdump setup --apply-bootloader wrote the drop-in ($(grep -o 'crashkernel=[0-9]*M' "$work/install/dropin")) and says reboot"
else
	nok "install: kexdump setup --apply-bootloader: exit $(cat "$work/install/setup.rc" 2>/dev/null)"
	excerpt "$work/install/setup.out"
fi
ck=$(grep -o 'crashkernel=[0-9]*M' "$work/install/dropin" 2>/dev/null | tail -n1)
# The recovery entry ("single") has GRUB_CMDLINE_LINUX only, where the
# drop-in does not write.
if [[ -n $ck ]] && ! grep -v ' single ' "$work/install/grubcfg" | grep -qv "$ck"; then
	ok "install: update-grub put $ck into grub.cfg's linux lines ($(grep -vc ' single ' "$work/install/grubcfg") of $(wc -l <"$work/install/grubcfg"), the recovery entry has none)"
else
	nok "install: grub.cfg's linux lines lack '${ck:-crashkernel=}': $(head -n2 "$work/install/grubcfg" 2>/dev/null)"
fi

# ----------------------------------------------------------------- armed
cat >"$work/step-armed.sh" <<'EOF'
say "step armed ($(uname -r))"
run cmdline cat /proc/cmdline
run active systemctl is-active kexdump.service
run status kexdump status
run statusjson kexdump status --json
run journal journalctl -b -u kexdump.service --no-pager -o cat
save
say "crash now (kexdump test --yes-crash-now)"
kexdump test --yes-crash-now
say "ERROR: still running after kexdump test --yes-crash-now"
save
systemctl --no-block poweroff
EOF
boot armed 900
boot_checks armed
if [[ -n $ck ]] && grep -q " $ck\\( \\|\$\\)" "$work/armed/cmdline.out" 2>/dev/null; then
	ok "armed: /proc/cmdline has $ck (from GRUB)"
else
	nok "armed: /proc/cmdline: $(cat "$work/armed/cmdline.out" 2>/dev/null)"
fi
check "armed: kexdump.service armed the machine at boot: systemctl is-active kexdump (active)" \
	bash -c '[[ $(cat "$1/active.rc") == 0 && $(cat "$1/active.out") == active ]]' _ "$work/armed"
if rcis armed status 0 && grep -q "kernel: *\\/boot\\/vmlinuz-$(cat "$work/install/uname.out" 2>/dev/null)" "$work/armed/status.out"; then
	ok "armed: kexdump status exit 0, the capture kernel loaded is $(cat "$work/install/uname.out")"
else
	nok "armed: kexdump status: exit $(cat "$work/armed/status.rc" 2>/dev/null)"
	excerpt "$work/armed/status.out"
	excerpt "$work/armed/journal.out" 6
fi
log=$work/armed.log
check "armed: kexdump test --yes-crash-now panicked the kernel (sysrq)" grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$log"
check "armed: the capture kernel ran kexdump as PID 1" grep -q 'kexdump-capture: started' "$log"
if grep -q 'kexdump-capture: final action: reboot' "$log" && ! grep -q 'KDTEST: ERROR' "$log"; then
	ok "armed: the capture wrote the dump and rebooted the machine ($(grep -m1 -o 'kexdump-capture: saving to.*' "$log" | head -c 120))"
else
	nok "armed: no capture reboot on the console"
	grep 'kexdump-capture\|KDTEST' "$log" | tail -n 10 | sed 's/^/#   /'
fi

# ---------------------------------------------------------------- dumped
cat >"$work/step-dumped.sh" <<EOF
krel=$krel
EOF
cat >>"$work/step-dumped.sh" <<'EOF'
say "step dumped ($(uname -r))"
run list kexdump list
run listjson kexdump list --json
d=$(ls -d /var/crash/*/ 2>/dev/null | tail -n1)
run report kexdump report "${d}vmcore"
mkdir -p "$out/dump"
cp "$d"summary "$d"dmesg.txt "$d"vmcore "$out/dump/" 2>/dev/null
say "installing linux-image-$krel"
# Each line of dpkg's output with the guest's time (seconds): where the
# install's time goes (unpack, initramfs-tools, kexdump's hook, update-grub).
{
	date +%s
	dpkg -i /var/tmp/kdtest/linux-image-"$krel"_*.deb 2>&1
	echo $? >"$out/kinstall.rc"
	date +%s
} | while IFS= read -r l; do echo "$(date +%s) $l"; done >"$out/kinstall.out"
say "kinstall: dpkg -i linux-image-$krel -> exit $(cat "$out/kinstall.rc")"
cp /etc/default/grub.d/kexdump.cfg "$out/dropin" 2>/dev/null
grep -E '^[[:space:]]*linux[[:space:]]' /boot/grub/grub.cfg >"$out/grubcfg"
ls -l /var/lib/kexdump >"$out/varlib"
save
say "step dumped done: rebooting"
systemctl --no-block reboot
EOF
boot dumped 1200 "$kdeb"
boot_checks dumped
if rcis dumped list 0 && grep -q 'complete' "$work/dumped/list.out" &&
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
assert len(d) == 1 and d[0]["status"] == "complete" and d[0]["has_vmcore"] and "sysrq" in d[0]["panic"], d' "$work/dumped/listjson.out" 2>"$work/listjson.err"; then
	ok "dumped: kexdump list (and --json) shows one dump, complete, its panic the sysrq one: $(head -n1 "$work/dumped/list.out" | head -c 120)"
else
	nok "dumped: kexdump list: exit $(cat "$work/dumped/list.rc" 2>/dev/null); $(tail -n1 "$work/listjson.err" 2>/dev/null)"
	excerpt "$work/dumped/list.out"
fi
if rcis dumped report 0 && grep -q 'sysrq triggered crash' "$work/dumped/report.out" &&
	grep -qi 'sysrq' <(grep -i 'signature\|panic' "$work/dumped/report.out"); then
	ok "dumped: kexdump report names the panic: $(grep -m1 'sysrq triggered crash' "$work/dumped/report.out" | sed 's/^ *//' | head -c 100)"
else
	nok "dumped: kexdump report: exit $(cat "$work/dumped/report.rc" 2>/dev/null)"
	excerpt "$work/dumped/report.out"
fi
# A reader that is not kexdump: makedumpfile's --dump-dmesg on the vmcore
# (Debian 12's 1.7.2, or the newer one when zstd pages may be there).
vmcore=$work/dumped/dump/vmcore
if [[ -s $vmcore ]]; then
	md=makedumpfile
	if grep -Eq '^codec=zstd|^compress_auto=.*zstd:-?[0-9]+ [0-9.]+ MB/s x[0-9.]+ = [0-9.]+ s/MiB, [1-9]' "$work/dumped/dump/summary"; then
		md=$("$vm/makedumpfile-new.sh" 2>"$work/mdnew.err") || md=
	fi
	rm -f "$work/md-dmesg"
	if [[ -n $md ]] && "$md" --dump-dmesg "$vmcore" "$work/md-dmesg" >"$work/md.out" 2>&1 &&
		grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$work/md-dmesg"; then
		ok "dumped: host: $("$md" -v 2>&1 | head -n1 | sed 's/^makedumpfile: version /makedumpfile /') --dump-dmesg reads the vmcore ($(stat -c %s "$vmcore") bytes): its log has the sysrq panic"
	else
		nok "dumped: host: makedumpfile --dump-dmesg on the vmcore: $(tail -n2 "$work/md.out" 2>/dev/null | tr '\n' ' ')"
	fi
else
	nok "dumped: no vmcore copied out of the guest"
fi
check "dumped: dpkg -i linux-image-$krel in the guest (exit 0)" rcis dumped kinstall 0
if grep -q "kexdump setup: $krel ready" "$work/dumped/kinstall.out" 2>/dev/null &&
	grep -q "initramfs-$krel.img" "$work/dumped/varlib"; then
	ok "dumped: the package's kernel hook prepared $krel ($(grep -m1 -o 'reservation: .*' "$work/dumped/kinstall.out"))"
else
	nok "dumped: the kernel hook: $(grep 'kexdump' "$work/dumped/kinstall.out" 2>/dev/null | head -n 5 | tr '\n' ' ')"
fi
# Where the kernel install's time went (the postinst runs depmod before
# the hooks): from each hook's first line to
# the next one's (dpkg prints them as it runs them).
awk 'NR == 1 { t0 = $1 } { t = $1 }
	/Unpacking linux-image/ { mark("start -> unpack") }
	/Setting up linux-image/ { mark("unpack") }
	/^[0-9]+ \/etc\/kernel\/postinst.d\/initramfs-tools:/ { mark("depmod, symlinks") }
	/^[0-9]+ \/etc\/kernel\/postinst.d\/kexdump:/ { mark("initramfs-tools") }
	/^[0-9]+ \/etc\/kernel\/postinst.d\/zz-update-grub:/ { mark("kexdump hook") }
	END { mark("update-grub"); printf "# dumped: dpkg -i %s: %d s in the guest:%s\n", k, t - t0, out }
	function mark(what) { out = out sprintf(" %s %d s;", what, t - last); last = t }
	NR == 1 { last = t0 }' k="linux-image-$krel" "$work/dumped/kinstall.out" 2>/dev/null
ck2=$(grep -o 'crashkernel=[0-9]*M' "$work/dumped/dropin" 2>/dev/null | tail -n1)
if [[ -n $ck2 ]] && grep "$krel" "$work/dumped/grubcfg" | grep -q "$ck2"; then
	ok "dumped: GRUB's linux line for $krel has the drop-in's $ck2 (was $ck)"
else
	nok "dumped: grub.cfg for $krel lacks the drop-in's ${ck2:-crashkernel=}: $(grep "$krel" "$work/dumped/grubcfg" 2>/dev/null | head -n1)"
fi

# -------------------------------------------------------------- upgraded
cat >"$work/step-upgraded.sh" <<'EOF'
say "step upgraded ($(uname -r))"
run uname uname -r
run cmdline cat /proc/cmdline
run active systemctl is-active kexdump.service
run status kexdump status
run statusjson kexdump status --json
run journal journalctl -b -u kexdump.service --no-pager -o cat
save
say "step upgraded done: power off"
systemctl --no-block poweroff
EOF
boot upgraded 600
boot_checks upgraded
check "upgraded: the new kernel runs ($krel, GRUB's first entry)" \
	bash -c '[[ $(cat "$1/uname.out") == "$2" ]]' _ "$work/upgraded" "$krel"
if [[ -n $ck2 ]] && grep -q " $ck2\\( \\|\$\\)" "$work/upgraded/cmdline.out" 2>/dev/null; then
	ok "upgraded: /proc/cmdline has $ck2"
else
	nok "upgraded: /proc/cmdline: $(cat "$work/upgraded/cmdline.out" 2>/dev/null)"
fi
check "upgraded: systemctl is-active kexdump (active)" \
	bash -c '[[ $(cat "$1/active.rc") == 0 && $(cat "$1/active.out") == active ]]' _ "$work/upgraded"
if rcis upgraded status 0 && grep -q "kernel: *\\/boot\\/vmlinuz-$krel\$" "$work/upgraded/status.out"; then
	ok "upgraded: armed for the new kernel with no manual step: kexdump status exit 0, the capture kernel loaded is $krel"
else
	nok "upgraded: kexdump status: exit $(cat "$work/upgraded/status.rc" 2>/dev/null)"
	excerpt "$work/upgraded/status.out"
	excerpt "$work/upgraded/journal.out" 6
fi
echo "# boots (s): $(tr '\n' ' ' <"$work/times")"
finish
