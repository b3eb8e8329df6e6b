// SPDX-License-Identifier: LGPL-2.1-or-later
// (being written; see include/kexdump/{config,kexec,initramfs}.h)
