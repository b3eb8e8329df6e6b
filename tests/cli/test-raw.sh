#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-raw.sh KEXDUMP MKSYNTH -- a raw dump target on a REAL loop device
# (lib/service/rawdev.c through the command): setup --dry-run and the
# capture refuse a device carrying an ext4 filesystem (and leave it
# intact); the capture refuses a device without kexdump's stamp or with
# another setup's id; a stamped blank device takes the dump, which reads
# back with kexdump info and leaves the stamp in place. The stamp is
# written here by Python from the documented layout (docs/kexdump.conf.md),
# not by kexdump. Needs root and a free loop device; exits 77 without them.
set -uo pipefail
kexdump=$(realpath "$1") mksynth=$2
export PATH=$PATH:/usr/sbin:/sbin
# shellcheck source=tests/cli/common.sh
. "$(dirname "$0")/common.sh"
skip() { echo "SKIP: $*"; exit 77; }

((EUID == 0)) || skip "needs root (losetup)"
for t in losetup mkfs.ext4 wipefs blkid python3; do
	command -v "$t" >/dev/null || skip "no $t"
done
[[ -e /dev/loop-control ]] || skip "no loop devices (/dev/loop-control)"

cli_work "$mksynth"
loop=""
trap '[[ -n $loop ]] && losetup -d "$loop"; chmod -R u+rwx "$work"; rm -rf "$work"' EXIT

truncate -s 16M "$work/img"
mkfs.ext4 -q -F -L kdraw "$work/img" || { nok "mkfs.ext4"; exit 1; }
loop=$(losetup -f --show "$work/img" 2>"$work/err") || skip "losetup: $(cat "$work/err")"

# stamp ID: kexdump's stamp in the device's last 4 KiB.
stamp() {
	python3 - "$loop" "$1" <<'PY'
import os, struct, sys, zlib
dev, ident = sys.argv[1], bytes.fromhex(sys.argv[2])
fd = os.open(dev, os.O_RDWR)
size = os.lseek(fd, 0, os.SEEK_END)
head = b'KEXDUMP-RAW' + bytes(5) + struct.pack('<IIQ', 1, 0, size) + ident
blk = head + struct.pack('<I', zlib.crc32(head)) + bytes(4096 - 52)
os.pwrite(fd, blk, (size & ~4095) - 4096)
os.fsync(fd)
os.close(fd)
PY
}
stamp_id() {
	python3 - "$loop" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
size = os.lseek(fd, 0, os.SEEK_END)
b = os.pread(fd, 64, (size & ~4095) - 4096)
print(b[32:48].hex() if b[:11] == b'KEXDUMP-RAW' else 'none')
PY
}

id=0123456789abcdef0123456789abcdef
other=fedcba9876543210fedcba9876543210
printf 'raw %s\nhostname h\ndump_level 1\n' "$loop" >"$work/raw.conf"
printf 'raw %s\nhostname h\ndump_level 1\nraw_id %s\n' "$loop" "$id" >"$work/id.conf"
printf 'raw %s\nhostname h\ndump_level 1\nraw_id %s\n' "$loop" "$other" >"$work/other.conf"

# 1. An ext4 filesystem on it: setup refuses; the capture refuses even
# with the stamp and the id; the filesystem is intact.
"$kexdump" setup --dry-run --config "$work/raw.conf" >"$work/out" 2>"$work/err"
rc=$?
if ((rc == 1)) && [[ $(wc -l <"$work/err") == 1 ]] &&
	grep -q "^kexdump: $work/raw.conf: $loop is not blank (it holds ext4); .*wipefs -a.*raw_overwrite yes" "$work/err"; then
	ok "setup --dry-run refuses $loop holding ext4: $(cat "$work/err")"
else
	nok "setup --dry-run on ext4 (rc $rc): $(cat "$work/out" "$work/err")"
fi
stamp "$id"
"$kexdump" capture --config "$work/id.conf" --vmcore "$work/small.core" >"$work/out" 2>&1
rc=$?
if ((rc == 1)) && grep -q "^kexdump-capture: dump failed: $loop is not blank (it holds ext4)" "$work/out" &&
	[[ $(blkid -o value -s LABEL "$loop") == kdraw ]] && e2fsck -fn "$loop" >/dev/null 2>&1; then
	ok "capture refuses the stamped $loop holding ext4; the filesystem is intact"
else
	nok "capture onto ext4 (rc $rc): $(cat "$work/out")"
fi
printf 'raw_overwrite yes\n' >>"$work/raw.conf"
"$kexdump" setup --dry-run --config "$work/raw.conf" >"$work/out" 2>&1 &&
	grep -qx "raw_id=$id" "$work/out" && ok "raw_overwrite yes: setup --dry-run takes it, raw_id=$id" ||
	nok "setup --dry-run with raw_overwrite yes: $(cat "$work/out")"

# 2. Wiped: no stamp, no dump; then another setup's stamp, no dump.
wipefs -q -a "$loop"
dd if=/dev/zero of="$loop" bs=4096 count=1 seek=$((16 * 256 - 1)) conv=fsync status=none
"$kexdump" capture --config "$work/id.conf" --vmcore "$work/small.core" >"$work/out" 2>&1
rc=$?
((rc == 1)) && grep -q "^kexdump-capture: dump failed: $loop carries no kexdump stamp" "$work/out" &&
	ok "capture refuses $loop without a stamp" || nok "capture unstamped (rc $rc): $(cat "$work/out")"
"$kexdump" capture --config "$work/raw.conf" --vmcore "$work/small.core" >"$work/out" 2>&1
rc=$?
((rc == 1)) && grep -q "^kexdump-capture: dump failed: $loop: the config has no raw_id" "$work/out" &&
	ok "capture refuses a config without raw_id" || nok "capture without raw_id (rc $rc): $(cat "$work/out")"
stamp "$other"
"$kexdump" capture --config "$work/id.conf" --vmcore "$work/small.core" >"$work/out" 2>&1
rc=$?
((rc == 1)) && grep -q "^kexdump-capture: dump failed: $loop carries the stamp of another setup (id $other" "$work/out" &&
	ok "capture refuses another setup's stamp" || nok "capture other id (rc $rc): $(cat "$work/out")"

# 3. Stamped blank: the dump goes on, reads back, the stamp stays.
stamp "$id"
"$kexdump" setup --dry-run --config "$work/raw.conf" >"$work/out" 2>&1 && grep -qx "raw_id=$id" "$work/out" ||
	nok "setup --dry-run on the stamped device: $(cat "$work/out")"
if "$kexdump" capture --config "$work/id.conf" --vmcore "$work/small.core" >"$work/out" 2>&1 &&
	grep -q "^kexdump-capture: dump complete: $loop " "$work/out" &&
	"$kexdump" info "$loop" | grep -q '^kernel: *9.9.9-synthetic$' && [[ $(stamp_id) == "$id" ]]; then
	ok "capture onto the stamped blank $loop: complete, kexdump info reads it, the stamp stays"
else
	nok "capture onto the stamped device: $(cat "$work/out"); stamp $(stamp_id)"
fi
# 4. A kernel that cannot be interpreted: the ELF copy goes onto it too.
if "$kexdump" capture --config "$work/id.conf" --vmcore "$work/badvmcoreinfo.core" >"$work/out" 2>&1 &&
	cmp -n "$(stat -c %s "$work/badvmcoreinfo.core")" "$work/badvmcoreinfo.core" "$loop" &&
	[[ $(stamp_id) == "$id" ]]; then
	ok "capture fallback onto $loop: the ELF copy, byte for byte"
else
	nok "capture fallback onto the raw device: $(cat "$work/out")"
fi
cli_done
