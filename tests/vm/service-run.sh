#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# service-run.sh --guest DIR --scenario S --cpus N --out DIR
#                [--mem 1G] [--crashkernel 256M] [--fastreboot] [--extra ARGS]
# Run one scenario of the crash-dump service test on a fresh copy of the
# guest built by service-rootfs.sh (DIR/root.img, boot.cpio.gz, vmlinuz):
# QEMU (TCG) boots it until the guest powers off -- through the panic, the
# capture kernel and the reboot QEMU does on the capture init's reboot (so
# no -no-reboot).  Scenarios: see service-init; --extra adds words to the
# kernel command line (kdtest.compress=lzo).  Leaves in the out DIR:
#   console.log   the serial console, each line prefixed with the host's
#                 time (seconds.microseconds) it arrived
#   root.img      the guest's disk after the run (tiny.img: the small
#                 dump disk of the tiny scenario)
#   kdtest/       the guest's /var/lib/kdtest (command outputs, rc files)
#   crash/        the dump folders (the target's /var/crash or /crash)
#   listener.log  net* scenarios: each TCP connection the host's listener
#                 got (host time, peer, bytes, the first 32 in hex)
#   nfs/export/   nfs scenario: the folder nfs-ganesha (VFS backend, on the
#                 host's 127.0.0.1, a port of its own) exported as
#                 /kexdump; nfs/ganesha.log its log
#   ssh/          ssh* scenarios: the host's OpenSSH sshd (tests/e2e/sshd.sh:
#                 127.0.0.1, a port of its own, its own host key and
#                 authorized_keys, internal-sftp; never port 22 or the
#                 machine's sshd): ssh/dumps/ the folder the guest dumps
#                 to, ssh/sshd/ its config, keys and log, ssh/events the
#                 host's actions (key authorized, sshd killed, started);
#                 ssh scenario: ssh/slowlink.log, the slow link's log
#                 (tests/e2e/slowlink.py: a rate-limiting TCP proxy on
#                 127.0.0.1, a port of its own, in front of sshd; the
#                 guest reaches sshd only through it)
#   meta          key=value lines (sourceable), written last
# Env: KEXDUMP_TIMEOUT (default 420 s, lvm and luks 600 s) for the whole
# QEMU run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vm/common.sh
. "$here/common.sh"

usage="usage: $0 --guest DIR --scenario S --cpus N --out DIR [--mem 1G] [--crashkernel 256M] [--fastreboot] [--extra ARGS]"
guest='' scenario='' cpus='' out='' mem=1G ck=256M fastreboot=0 extra=
while (($#)); do
	case $1 in
	--fastreboot) fastreboot=1; shift; continue ;;
	esac
	[[ $# -ge 2 ]] || die "$usage"
	case $1 in
	--guest) guest=$2 ;;
	--scenario) scenario=$2 ;;
	--cpus) cpus=$2 ;;
	--out) out=$2 ;;
	--mem) mem=$2 ;;
	--crashkernel) ck=$2 ;;
	--extra) extra=$2 ;;
	*) die "$usage" ;;
	esac
	shift 2
done
[[ -f $guest/root.img && $scenario =~ ^[a-z0-9]+$ && $cpus =~ ^[1-9]$ && -n $out &&
	$mem =~ ^[0-9]+[MG]$ && $ck =~ ^(0|[0-9]+[MG])$ ]] || die "$usage"
need_pkgs qemu-system-x86 e2fsprogs

mkdir -p "$out"
rm -rf "$out/meta" "$out/kdtest" "$out/crash"
# The storage layouts (docs/setup.md):
#   btrfs    the root disk is btrfs with / in the subvolume @rootfs
#            (service-rootfs.sh's root-btrfs.img), mounted subvol=@rootfs
#   xfsnvme  /var is an XFS filesystem of its own on an NVMe disk (QEMU's
#            nvme device), the root the usual ext4 on virtio
#   lvm      a second disk of two partitions; the first boot installs the
#            root and /var/crash on LVM logical volumes there (service-init)
#            and boots them; the guest copies its outputs and the dump
#            back to the first disk at the end, where they are read below
#   luks     a second disk of two partitions; the first boot installs the
#            root in a LUKS2 container on the first and a plain ext4 for
#            /var/crash on the second (service-init), and boots the LUKS
#            root; the guest copies its outputs back to the first disk,
#            the dump is read from the second disk's partition itself
rootimg=$guest/root.img
[[ $scenario != btrfs ]] || rootimg=$guest/root-btrfs.img
[[ -f $rootimg ]] || die "no $rootimg (the btrfs root is made on a loop device: root, btrfs-progs)"
cp --sparse=always "$rootimg" "$out/root.img"
disks=(-drive "file=$out/root.img,format=raw,if=virtio,cache=unsafe")
# --crashkernel 0: no reservation at all (the nores scenario).
append="console=ttyS0 panic=5 kdtest.scenario=$scenario"
[[ $ck == 0 ]] || append+=" crashkernel=$ck"
((fastreboot == 0)) || append+=" kdtest.fastreboot=1"
[[ -z $extra ]] || append+=" $extra"
# mbr_disk FILE MIB SIGNATURE TYPE:START_MIB:MIB...: a blank disk image of
# MIB MiB with an MBR partition table written by hand (no sfdisk on a
# minimal host): a primary entry per TYPE:START:SIZE (hex type, MiB) from
# byte 446, CHS fields unused (fe ff ff), the disk signature at 440 (none
# when 0), 55 AA at 510.
mbr_disk() {
	local file=$1 mib=$2 sig=$3
	shift 3
	rm -f "$file"
	truncate -s "${mib}M" "$file"
	python3 - "$file" "$sig" "$@" <<'PY'
import struct, sys
with open(sys.argv[1], 'r+b') as f:
    sig = int(sys.argv[2], 16)
    if sig:
        f.seek(440)
        f.write(struct.pack('<I', sig))
    f.seek(446)
    for part in sys.argv[3:]:
        t, start, n = part.split(':')
        f.write(struct.pack('<B3sB3sII', 0, b'\xfe\xff\xff', int(t, 16), b'\xfe\xff\xff',
                            int(start) * 2048, int(n) * 2048))
    f.seek(510)
    f.write(b'\x55\xaa')
PY
}
if [[ $scenario == tiny ]]; then
	# 10 MiB: room for dmesg.txt and the start of the vmcore, not for all
	# of a 1 GiB guest's dump.
	uuid=6b64756d-7469-6e79-0000-000000000001
	rm -f "$out/tiny.img"
	mke2fs -q -t ext4 -U "$uuid" -L kdtiny "$out/tiny.img" 10M >&2
	disks+=(-drive "file=$out/tiny.img,format=raw,if=virtio,cache=unsafe")
	append+=" kdtest.tiny=$uuid"
fi
if [[ $scenario == btrfs ]]; then
	append+=" kdtest.bootmods=btrfs kdtest.rootfstype=btrfs kdtest.rootflags=subvol=@rootfs"
fi
if [[ $scenario == rawpart ]]; then
	# A second disk with an MBR partition table and one partition from
	# 1 MiB on, blank: the raw target /dev/vdb1 (setup stamps it).
	mbr_disk "$out/raw.img" 257 0 83:1:256
	disks+=(-drive "file=$out/raw.img,format=raw,if=virtio,cache=unsafe")
fi
if [[ $scenario == lvm ]]; then
	# A blank second disk with an MBR and two partitions, the physical
	# volumes the guest's installer (service-init) makes a volume group
	# of: vdb1 from 1 MiB, 340 MiB; vdb2 after it, 72 MiB. The root and
	# /var/crash go on logical volumes there (kdtest.lvmroot= tells the
	# boot initramfs to activate them and mount the root one).
	mbr_disk "$out/lvm.img" 414 6b646c76 8e:1:340 8e:341:72
	disks+=(-drive "file=$out/lvm.img,format=raw,if=virtio,cache=unsafe")
	append+=" kdtest.bootmods=dm kdtest.lvmroot=kdvg-root"
fi
if [[ $scenario == luks ]]; then
	# A blank second disk with an MBR and two partitions: vdb1 from
	# 1 MiB, 200 MiB, the LUKS2 container of the root (its header takes
	# 16 MiB); vdb2 after it, 256 MiB, the plain ext4 of /var/crash.
	# kdtest.luksroot= tells the boot initramfs to open vdb1 as kdroot
	# and mount the root from it.
	mbr_disk "$out/luks.img" 458 6b646c6b 83:1:200 83:201:256
	disks+=(-drive "file=$out/luks.img,format=raw,if=virtio,cache=unsafe")
	append+=" kdtest.bootmods=crypt kdtest.luksroot=vdb1:kdroot"
fi
if [[ $scenario == xfsnvme ]]; then
	need_pkgs xfsprogs
	rm -f "$out/var.img"
	truncate -s 512M "$out/var.img"
	mkfs.xfs -q -L kdvar "$out/var.img" >&2
	disks+=(-drive "file=$out/var.img,format=raw,if=none,id=nv0,cache=unsafe"
		-device "nvme,serial=kdvar0001,drive=nv0")
	append+=" kdtest.bootmods=nvme,xfs kdtest.var=/dev/nvme0n1:xfs"
fi
# net*: a virtio-net NIC on QEMU's user network (the guest 10.0.2.15/24,
# the host's 127.0.0.1 as 10.0.2.2, a built-in DHCP server) and a TCP
# listener on the host's loopback that records every connection (host
# time, peer, the bytes it received): the capture kernel's network must
# reach it. kdtest.hostport= tells the guest its port.
listener_pid=
if [[ $scenario == net* ]]; then
	rm -f "$out/listener.log" "$out/listener.port"
	python3 - "$out/listener.log" "$out/listener.port" <<'PY' &
import socket, sys, threading, time
log, portfile = sys.argv[1], sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0))
s.listen(16)
with open(portfile + '.tmp', 'w') as f:
    f.write('%d\n' % s.getsockname()[1])
import os
os.rename(portfile + '.tmp', portfile)
lock = threading.Lock()
def serve(c, peer, t):
    c.settimeout(2)
    data = b''
    try:
        while len(data) < 65536:
            b = c.recv(4096)
            if not b:
                break
            data += b
    except OSError:
        pass
    c.close()
    with lock, open(log, 'a') as f:
        f.write('%.6f conn peer=%s:%d bytes=%d first=%s\n' % (t, peer[0], peer[1], len(data), data[:32].hex()))
while True:
    c, peer = s.accept()
    threading.Thread(target=serve, args=(c, peer, time.time()), daemon=True).start()
PY
	listener_pid=$!
	trap '[[ -z $listener_pid ]] || kill "$listener_pid" 2>/dev/null' EXIT
	for _ in $(seq 50); do [[ -s $out/listener.port ]] && break; sleep 0.1; done
	[[ -s $out/listener.port ]] || die "the TCP listener did not start"
	append+=" kdtest.hostport=$(cat "$out/listener.port")"
	disks+=(-netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56)
fi
# nfs: a user-space NFSv4 server on the host's loopback, nfs-ganesha with
# its VFS backend exporting out/nfs/export as /kexdump (no root squash,
# TCP only, no grace period, no rpcbind; numeric owners: the capture
# kernel has no idmapd, a named owner reads as nobody and the capture
# refuses a folder root does not own), reached by the guest as
# 10.0.2.2:PORT through the same NIC. kdtest.hostport= is its port.
ganesha_pid=
if [[ $scenario == nfs ]]; then
	command -v ganesha.nfsd >/dev/null || die "no ganesha.nfsd (apt-get install nfs-ganesha nfs-ganesha-vfs)"
	g=$out/nfs
	rm -rf "$g"
	mkdir -p "$g/export" "$g/state"
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$g/ganesha.conf" <<EOF
NFS_CORE_PARAM { Protocols = 4; NFS_Port = $port; Bind_addr = 127.0.0.1; Enable_NLM = false; Enable_RQUOTA = false; }
NFSV4 { RecoveryBackend = fs; RecoveryRoot = $g/state; Graceless = true; Only_Numeric_Owners = true; }
EXPORT {
	Export_Id = 1; Path = $g/export; Pseudo = /kexdump; Access_Type = RW;
	Squash = No_Root_Squash; Protocols = 4; Transports = TCP; SecType = sys;
	FSAL { Name = VFS; }
}
EOF
	ganesha.nfsd -F -L "$g/ganesha.log" -f "$g/ganesha.conf" -p "$g/ganesha.pid" -N NIV_EVENT &
	ganesha_pid=$!
	trap '[[ -z $ganesha_pid ]] || kill "$ganesha_pid" 2>/dev/null' EXIT
	for _ in $(seq 100); do grep -q 'NFS SERVER INITIALIZED' "$g/ganesha.log" 2>/dev/null && break; sleep 0.1; done
	grep -q 'NFS SERVER INITIALIZED' "$g/ganesha.log" 2>/dev/null ||
		die "nfs-ganesha did not start: $(tail -n 2 "$g/ganesha.log" 2>/dev/null)"
	append+=" kdtest.hostport=$port"
	disks+=(-netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56)
fi
# rehearse and fallback: the same NIC, no server: their nfs:// link goes
# to port 1 of the host's loopback, where nothing listens (the guest's
# connection is refused; the chain's next target takes the dump).
if [[ $scenario == rehearse || $scenario == fallback ]]; then
	disks+=(-netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56)
fi
# ssh*: a real OpenSSH sshd on the host's loopback for the guest's ssh
# target (10.0.2.2:PORT); root logs in with the key the guest's setup
# makes, which the guest prints ("KDTEST: authorize ...") and the console
# loop below adds to authorized_keys. sshdrop: the loop kills sshd (and
# its session) 2 s into the transfer and starts it again 3 s later.
if [[ $scenario == ssh* ]]; then
	# shellcheck source=tests/e2e/sshd.sh
	. "$here/../e2e/sshd.sh"
	rm -rf "$out/ssh"
	mkdir -p "$out/ssh/dumps"
	: >"$out/ssh/events"
	sshd_init "$out/ssh/sshd" || die "cannot set up sshd"
	sshd_start || die "sshd did not start"
	echo "$SSHD_PID" >"$out/ssh/sshd.pid"
	trap 'ssh_stop' EXIT
	port=$SSHD_PORT
	if [[ $scenario == ssh ]]; then
		# ssh over a slow link: KEXDUMP_SSH_RATE bytes/s each way
		# (default 768 KiB/s, ~4x slower than the emulated guest's
		# SSH, so that compress auto compresses harder).
		rm -f "$out/ssh/slowlink.port"
		python3 "$here/../e2e/slowlink.py" --to "$SSHD_PORT" --rate "${KEXDUMP_SSH_RATE:-786432}" \
			--port-file "$out/ssh/slowlink.port" --log "$out/ssh/slowlink.log" &
		echo $! >"$out/ssh/slowlink.pid"
		for _ in $(seq 50); do [[ -s $out/ssh/slowlink.port ]] && break; sleep 0.1; done
		port=$(cat "$out/ssh/slowlink.port" 2>/dev/null) || die "the slow link did not start"
	fi
	append+=" kdtest.hostport=$port kdtest.sshpath=$(realpath "$out/ssh/dumps")"
	disks+=(-netdev user,id=n0 -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56)
fi
# ssh_stop: the sshd of the ssh* scenarios (its pid in a file: the
# console loop, a subshell, restarts it), with its sessions.
ssh_stop() {
	if [[ -s $out/ssh/slowlink.pid ]]; then
		kill "$(cat "$out/ssh/slowlink.pid")" 2>/dev/null || true
		wait "$(cat "$out/ssh/slowlink.pid")" 2>/dev/null || true
		rm -f "$out/ssh/slowlink.pid"
	fi
	[[ -s $out/ssh/sshd.pid ]] || return 0
	SSHD_PID=$(cat "$out/ssh/sshd.pid")
	sshd_kill 2>/dev/null || true
	rm -f "$out/ssh/sshd.pid"
}
monitor=(-monitor none)
if [[ $scenario == hang ]]; then
	# The dump disk behind QEMU's blkdebug driver: once the capture init
	# starts, the monitor's qemu-io "break write_aio" suspends the next
	# writes to it, which never complete -- a disk that stops answering
	# -- until the capture's watchdog says it fired; then the breakpoints
	# go and the suspended writes resume (a reset drains them first).
	uuid=6b64756d-6861-6e67-0000-000000000001
	rm -f "$out/hang.img" "$out/mon.sock" "$out/monitor.log"
	mke2fs -q -t ext4 -U "$uuid" -L kdhang "$out/hang.img" 64M >&2
	disks+=(-drive "file=blkdebug::$out/hang.img,format=raw,if=virtio,id=hang,cache=unsafe")
	append+=" kdtest.hang=$uuid"
	monitor=(-monitor "unix:$out/mon.sock,server=on,wait=off")
fi
if [[ $scenario == eio ]]; then
	# The dump disk dies during the save: once the capture says "saving
	# to", the monitor's drive_del takes the disk's backend away, and
	# QEMU's block layer fails every later request of the guest with
	# EIO (a disk that answers, with errors, unlike hang's).
	uuid=6b64756d-2d65-696f-0000-000000000001
	rm -f "$out/eio.img" "$out/mon.sock" "$out/monitor.log"
	mke2fs -q -t ext4 -U "$uuid" -L kdeio "$out/eio.img" 64M >&2
	disks+=(-drive "file=$out/eio.img,format=raw,if=virtio,id=eio,cache=unsafe")
	append+=" kdtest.eio=$uuid"
	monitor=(-monitor "unix:$out/mon.sock,server=on,wait=off")
fi
# hang_disk break|resume: the hang scenario's monitor commands (32
# breakpoints: the first 32 writes after the capture starts hang);
# hang_disk del: the eio scenario's drive_del.
hang_disk() {
	python3 - "$out/mon.sock" "$1" <<'PY' >>"$out/monitor.log" 2>&1 || true
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
if sys.argv[2] == 'break':
    cmds = ['qemu-io hang "break write_aio t%d"' % i for i in range(1, 33)]
elif sys.argv[2] == 'del':
    cmds = ['drive_del eio']
else:
    cmds = ['qemu-io hang "remove_break t%d"' % i for i in range(1, 33)]
    cmds += ['qemu-io hang "resume t%d"' % i for i in range(1, 33)]
for c in cmds:
    s.sendall((c + '\n').encode())
    time.sleep(0.01)
time.sleep(0.3)
s.settimeout(0.5)
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        sys.stdout.write(b.decode(errors='replace'))
except OSError:
    pass
PY
}

log="$out/console.log"
# lvm and luks boot three times before the crash's reboot (installer,
# root LV or LUKS root, after the capture).
qtimeout=420
[[ $scenario != lvm && $scenario != luks ]] || qtimeout=600
t0=$EPOCHREALTIME
rc=0
# The host's arrival time on every console line (bench/cycle.sh measures
# panic -> dump complete -> back up with them; the kernels' own clocks
# restart at each boot).
# timeout -k: a QEMU stuck draining a suspended request (hang, when its
# resume never came) does not end on SIGTERM.
# powercut: QEMU is killed 1 s into the save (1 GiB uncompressed) (the disk keeps what reached
# it: cache=unsafe only drops flushes, the host's page cache holds the
# writes), then the machine boots again on the same disks.
run_qemu() {
{
	rm -f "$out/qemu.pid"
	timeout -k 10 "${KEXDUMP_TIMEOUT:-$qtimeout}" qemu-system-x86_64 \
		-accel tcg -machine pc -cpu max,la57=off -smp "$cpus" -m "$mem" \
		-nodefaults -display none "${monitor[@]}" -serial stdio \
		-kernel "$guest/vmlinuz" -initrd "$guest/boot.cpio.gz" \
		-append "$append" "${disks[@]}" -pidfile "$out/qemu.pid" \
		</dev/null 2>>"$out/qemu.err" || echo "KDTEST-HOST: qemu rc=$?"
} | while IFS= read -r l || [[ -n $l ]]; do
	printf '%s %s\n' "$EPOCHREALTIME" "${l%$'\r'}"
	if [[ $scenario == powercut && $l == *"kexdump-capture: saving to"* ]]; then
		sleep 1
		kill -KILL "$(cat "$out/qemu.pid")"
		printf '%s KDTEST-HOST: power cut (QEMU killed during the save)\n' "$EPOCHREALTIME"
	fi
	if [[ $scenario == ssh* && $l == *"KDTEST: authorize ssh-"* ]]; then
		k=${l%$'\r'}
		printf '%s\n' "${k#*KDTEST: authorize }" >>"$SSHD_DIR/authorized_keys"
		printf '%s authorized %s\n' "$EPOCHREALTIME" "${k##* }" >>"$out/ssh/events"
	fi
	if [[ $scenario == sshdrop && $l == *"kexdump-capture: saving to"* ]]; then
		(
			sleep 2
			SSHD_PID=$(cat "$out/ssh/sshd.pid")
			sshd_kill || true
			printf '%s sshd killed\n' "$EPOCHREALTIME" >>"$out/ssh/events"
			sleep 3
			sshd_start && echo "$SSHD_PID" >"$out/ssh/sshd.pid"
			printf '%s sshd started\n' "$EPOCHREALTIME" >>"$out/ssh/events"
		) </dev/null >>"$out/ssh/events" 2>&1 &
	fi
	if [[ $scenario == eio && $l == *"kexdump-capture: saving to"* ]]; then
		hang_disk del
		printf '%s KDTEST-HOST: eio: the dump disk fails every request from now (drive_del)\n' "$EPOCHREALTIME"
	fi
	if [[ $scenario == hang ]]; then
		case $l in
		*"kexdump-capture: started"*)
			hang_disk break
			printf '%s KDTEST-HOST: hang: the dump disk stops answering writes\n' "$EPOCHREALTIME" ;;
		*"kexdump-capture: ERROR: watchdog"*)
			hang_disk resume
			printf '%s KDTEST-HOST: hang: the dump disk answers again\n' "$EPOCHREALTIME" ;;
		esac
	fi
done >>"$log"
}
: >"$log"
: >"$out/qemu.err"
run_qemu
if [[ $scenario == powercut ]] && grep -q 'KDTEST-HOST: power cut' "$log"; then
	sed -i 's/KDTEST-HOST: qemu rc=137$/KDTEST-HOST: the power cut stopped QEMU (rc 137)/' "$log"
	run_qemu
fi
secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
if [[ -n $listener_pid ]]; then
	sleep 2	# a connection still being read (2 s at most) is logged by then
	kill "$listener_pid" 2>/dev/null || true
	wait "$listener_pid" 2>/dev/null || true
	listener_pid=
fi
[[ $scenario != ssh* ]] || ssh_stop
if [[ -n $ganesha_pid ]]; then
	kill "$ganesha_pid" 2>/dev/null || true
	wait "$ganesha_pid" 2>/dev/null || true
	ganesha_pid=
fi
qrc=$(sed -n 's/^[0-9.]* KDTEST-HOST: qemu rc=//p' "$log")
[[ -z $qrc ]] || rc=$qrc

# What the guest left on its disks.
debugfs -R "rdump /var/lib/kdtest $out" "$out/root.img" >/dev/null 2>&1 || true
rm -rf "$out/crash.tmp"
mkdir -p "$out/crash.tmp"
# from_mount IMG VAR: a copy of IMG mounted (the copy replays its journal;
# the guest powered off without unmounting), VAR/lib/kdtest and VAR/crash
# copied out; VAR is the folder holding /var's content in it.
from_mount() {
	local m=$out/mnt
	cp --sparse=always "$1" "$out/mount.img"
	mkdir -p "$m"
	if mount -o loop "$out/mount.img" "$m" 2>"$out/mount.err"; then
		cp -a "$m/$2/lib/kdtest" "$out/" 2>/dev/null || true
		cp -a "$m/$2/crash" "$out/crash.tmp/" 2>/dev/null || true
		# btrfs: what the top level holds (the dump must not be there).
		[[ $scenario != btrfs ]] || ls -a "$m" >"$out/btrfs-top.txt"
		umount "$m"
	fi
	rm -f "$out/mount.img"
	rmdir "$m" 2>/dev/null || true
}
if [[ $scenario == btrfs ]]; then
	from_mount "$out/root.img" @rootfs/var
elif [[ $scenario == xfsnvme ]]; then
	from_mount "$out/var.img" .
elif [[ $scenario == rawpart ]]; then
	# The partition as the guest saw /dev/vdb1 (the dump from its byte 0,
	# kexdump's stamp in its last 4 KiB).
	dd if="$out/raw.img" of="$out/part.img" bs=1M skip=1 count=256 status=none
	debugfs -R "rdump /var/crash $out/crash.tmp" "$out/root.img" >/dev/null 2>&1 || true
elif [[ $scenario == luks ]]; then
	# /dev/vdb2 as the guest saw it (from 201 MiB, 256 MiB): /var/crash's
	# filesystem, whose top level holds the dump folders.
	dd if="$out/luks.img" of="$out/crashpart.img" bs=1M skip=201 count=256 status=none
	mkdir -p "$out/crash.tmp/crash"
	for d in $(debugfs -R "ls -p /" "$out/crashpart.img" 2>/dev/null |
		awk -F/ '$3 ~ /^0?40/ && $6 != "." && $6 != ".." && $6 != "lost+found" { print $6 }'); do
		debugfs -R "rdump /$d $out/crash.tmp/crash" "$out/crashpart.img" >/dev/null 2>&1 || true
	done
elif [[ $scenario == tiny ]]; then
	debugfs -R "rdump /crash $out/crash.tmp" "$out/tiny.img" >/dev/null 2>&1 || true
elif [[ $scenario == hang ]]; then
	debugfs -R "rdump /crash $out/crash.tmp" "$out/hang.img" >/dev/null 2>&1 || true
elif [[ $scenario == eio ]]; then
	# What a user would do with the disk: fsck (which replays the
	# journal), then look. e2fsck's exit 1/2 is "fixed"; the disk copy
	# keeps the image as QEMU left it.
	cp --sparse=always "$out/eio.img" "$out/eio-fsck.img"
	fsck_rc=0
	e2fsck -fy "$out/eio-fsck.img" >"$out/eio-fsck.log" 2>&1 || fsck_rc=$?
	echo "e2fsck rc=$fsck_rc" >>"$out/eio-fsck.log"
	debugfs -R "rdump /crash $out/crash.tmp" "$out/eio-fsck.img" >/dev/null 2>&1 || true
	rm -f "$out/eio-fsck.img"
else
	debugfs -R "rdump /var/crash $out/crash.tmp" "$out/root.img" >/dev/null 2>&1 || true
fi
rm -rf "$out/crash"
if [[ -d $out/crash.tmp/crash ]]; then mv "$out/crash.tmp/crash" "$out/crash"; else mkdir -p "$out/crash"; fi
rm -rf "$out/crash.tmp"
{
	echo "scenario=$scenario"
	echo "cpus=$cpus"
	echo "mem=$mem"
	echo "crashkernel=$ck"
	echo "fastreboot=$fastreboot"
	echo "extra='$extra'"
	echo "release=$(cat "$guest/release")"
	echo "qemu_rc=$rc"
	echo "wall_seconds=$secs"
} >"$out/meta.tmp"
mv "$out/meta.tmp" "$out/meta"
log "$scenario cpus=$cpus $(cat "$guest/release"): qemu rc=$rc, $secs s"
