/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file service.h
 * libkexdump-service: the crash-dump service on top of libkexdump -- the
 * configuration and its dump targets, kexec, the capture initramfs, the
 * dump folders (lib/service/). It is the kexdump command's own library, not
 * an installed API: it changes with the command.
 */
#ifndef KEXDUMP_SERVICE_H
#define KEXDUMP_SERVICE_H

#include <kexdump/kexdump.h>
#include <kexdump/service/config.h>
#include <kexdump/service/kexec.h>
#include <kexdump/service/initramfs.h>
#include <kexdump/service/target.h>
#include <kexdump/service/netif.h>
#include <kexdump/service/nfs.h>
#include <kexdump/service/sftp.h>
#include <kexdump/service/rehearse.h>

#endif /* KEXDUMP_SERVICE_H */
