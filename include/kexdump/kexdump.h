/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file kexdump.h
 * libkexdump: read, analyse and save Linux kernel crash dumps.
 *
 * Layering (each layer only uses the ones above it):
 *  - kd_error:      the one error idiom; every fallible call returns one (NULL = success).
 *  - kd_dump:       a dump file of some format (ELF core, ...): physical memory,
 *                   CPU notes, the raw VMCOREINFO note.
 *  - kd_vmcoreinfo: the VMCOREINFO text parsed into typed look-ups.
 *  - kd_kernel:     kernel knowledge on top of a dump: architecture and virtual
 *                   address translation, symbols, the kernel log, page classes.
 *  - kd_save:       a filtered, compressed copy of a dump (kdump, ELF, flattened).
 *
 * One header per layer (error.h, dump.h, kernel.h, save.h); this one
 * includes them all. The crash-dump service (config, targets, kexec, the
 * capture initramfs) is a separate library: <kexdump/service.h>.
 *
 * Handles are opaque. Out-parameters are called ret, come last and are only
 * written on success. The library never prints, exits or keeps global state.
 */
#ifndef KEXDUMP_KEXDUMP_H
#define KEXDUMP_KEXDUMP_H

#include <kexdump/error.h>
#include <kexdump/dump.h>
#include <kexdump/kernel.h>
#include <kexdump/save.h>

#endif /* KEXDUMP_KEXDUMP_H */
