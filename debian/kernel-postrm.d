#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# /etc/kernel/postrm.d/kexdump: run by a kernel package's postrm
# (kernel-img.conf(5): $1 is the release): the capture initramfs kexdump
# setup made for that kernel goes with it. The GRUB drop-in's reservation
# stays: the kernels left may need it.
set -e

version=$1
case "$version" in
"" | .* | */*) exit 0 ;;
esac
rm -f "${DPKG_ROOT:-}/var/lib/kexdump/initramfs-$version.img"
exit 0
