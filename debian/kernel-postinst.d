#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# /etc/kernel/postinst.d/kexdump: run by a kernel package's postinst
# (kernel-img.conf(5): $1 is the release, $2 the image), before
# zz-update-grub. On a machine kexdump setup armed (it made
# /var/lib/kexdump; purging the package removes it), the new kernel gets
# its capture initramfs, and the reservation its first boot gets is raised
# in GRUB's drop-in when it needs more (6.12's kernel needs more than
# 6.1's); kexdump.service loads it when that kernel boots. A failure never
# fails the kernel's installation: it is said, with what to do.
set -e

version=$1
[ -n "$version" ] || exit 0
[ -d "${DPKG_ROOT:-}/var/lib/kexdump" ] || exit 0
# The package removed but not purged: this conffile stays, kexdump is gone.
[ -x /usr/sbin/kexdump ] || exit 0
[ -z "${DPKG_ROOT:-}" ] || exit 0

if ! /usr/sbin/kexdump setup --kernel "$version" --apply-bootloader </dev/null; then
	echo "kexdump: crash dumps are not prepared for $version: after booting it, run kexdump setup" >&2
fi
exit 0
