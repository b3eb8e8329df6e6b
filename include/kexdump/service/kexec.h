/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file kexec.h
 * Loading kernels with kexec_file_load(2): the capture kernel (on crash)
 * and the fast reboot, the crashkernel= reservation, the capture kernel's
 * command line. Part of libkexdump-service; included by service.h.
 */
#ifndef KEXDUMP_SERVICE_KEXEC_H
#define KEXDUMP_SERVICE_KEXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kd_error;

/** The crashkernel= reservation and the kexec state of the running kernel. */
struct kd_kexec_state {
	uint64_t crash_size;	/**< /sys/kernel/kexec_crash_size, 0 = none */
	uint64_t crash_start;	/**< from /proc/iomem "Crash kernel" (0 if hidden/non-root) */
	bool crash_loaded;	/**< /sys/kernel/kexec_crash_loaded */
	bool reboot_loaded;	/**< /sys/kernel/kexec_loaded */
	bool load_disabled;	/**< /proc/sys/kernel/kexec_load_disabled */
	char lockdown[32];	/**< "none", "integrity", "confidentiality" or "" */
	char crashkernel_arg[128];	/**< crashkernel=… from /proc/cmdline, "" if none */
};

/** Read the state; @p root prefixes /proc and /sys (NULL = "", for tests). */
struct kd_error *kd_kexec_state(const char *root, struct kd_kexec_state *state);

/**
 * The capture kernel's command line from the running one (@p running, the
 * text of /proc/cmdline): drops what must not reach the capture kernel
 * (crashkernel=, quiet, splash, initrd=, BOOT_IMAGE=, root=?, resume=, …)
 * and adds what it needs (nr_cpus=1, reset_devices, irqpoll, …; each
 * documented in lib/service/kexec.c), then @p append. Result is malloc'ed.
 */
struct kd_error *kd_kexec_capture_cmdline(const char *running, const char *append,
					  char **ret);

/**
 * @p cmdline with @p append added to the kernel's parameters: before a
 * "--", which starts init's arguments (for the reboot slot, where the
 * running command line is reused). Result is malloc'ed.
 */
struct kd_error *kd_kexec_append_cmdline(const char *cmdline, const char *append,
					 char **ret);

/** Which slot a load goes to. */
enum kd_kexec_slot {
	KD_KEXEC_CRASH,		/**< runs on panic (KEXEC_FILE_ON_CRASH) */
	KD_KEXEC_REBOOT,	/**< runs on kd_kexec_exec() */
};

/**
 * kexec_file_load(2) @p kernel with @p initrd (NULL = none) and @p cmdline.
 * Errors say what to do: no reservation (EADDRNOTAVAIL/ENOMEM with size 0),
 * reservation too small, kexec disabled, lockdown or signature refusal
 * (EPERM/EKEYREJECTED/EBADMSG), not root.
 */
struct kd_error *kd_kexec_load(enum kd_kexec_slot slot, const char *kernel,
			       const char *initrd, const char *cmdline);
/** Unload the kernel in @p slot (nothing loaded is not an error). */
struct kd_error *kd_kexec_unload(enum kd_kexec_slot slot);
/** sync(), then reboot(LINUX_REBOOT_CMD_KEXEC) into the loaded kernel. */
struct kd_error *kd_kexec_exec(void);

/**
 * The smallest crashkernel= reservation (bytes) that boots a capture kernel
 * of @p kernel_size bytes with an initramfs of @p initrd_size bytes and
 * runs kexdump save (measured; see docs/setup.md).
 */
uint64_t kd_kexec_needed_reservation(uint64_t kernel_size, uint64_t initrd_size);

/**
 * The bytes a crashkernel= @p value (the text after '=') reserves on a
 * machine with @p ram bytes of memory: "256M", "256M@16M", "256M,high",
 * or ranges "512M-2G:64M,2G-:128M" (0 when no range holds @p ram), as
 * the kernel reads it. KD_ERROR_INVALID for anything else.
 */
struct kd_error *kd_kexec_crashkernel_size(const char *value, uint64_t ram, uint64_t *size);

/** What kd_kexec_needed_reservation() is made of (lib/service/kexec.c says why). */
struct kd_kexec_reservation {
	uint64_t kernel;	/**< the kernel's decompressed footprint: 8 times its file */
	uint64_t initrd;	/**< the initramfs 3 times: image, unpacked, loaded modules */
	uint64_t save;		/**< kexdump save's working set (32 MiB) */
	uint64_t base;		/**< the capture kernel's own memory with nr_cpus=1 (48 MiB) */
	uint64_t total;		/**< their sum rounded up to 16 MiB */
};
void kd_kexec_reservation_parts(uint64_t kernel_size, uint64_t initrd_size,
				struct kd_kexec_reservation *ret);

/**
 * What kexdump recorded about the kernel it loaded into a slot: the kernel
 * has no way to say which files are loaded, so `kexdump load` (and setup)
 * write this next to the load and `kexdump status` reads it back.
 */
struct kd_kexec_record {
	char kernel[512];
	char initrd[512];	/**< "" = loaded without an initramfs */
	char cmdline[2048];
	int64_t loaded_at;	/**< seconds since the epoch */
};

/** Where the records live (tmpfs: a reboot forgets them with the load). */
#define KD_KEXEC_RECORD_DIR "/run/kexdump"

/**
 * Write @p rec as @p dir/crash.loaded or reboot.loaded (@p dir NULL =
 * KD_KEXEC_RECORD_DIR, created 0700; the file 0600, written to a temporary
 * file and renamed so that a reader never sees half of it).
 */
struct kd_error *kd_kexec_record_write(const char *dir, enum kd_kexec_slot slot,
				       const struct kd_kexec_record *rec);
/** Read the record of @p slot; KD_ERROR_NOTFOUND when there is none. */
struct kd_error *kd_kexec_record_read(const char *dir, enum kd_kexec_slot slot,
				      struct kd_kexec_record *rec);
/** Remove the record of @p slot (none is not an error). */
struct kd_error *kd_kexec_record_remove(const char *dir, enum kd_kexec_slot slot);

#ifdef __cplusplus
}
#endif

#endif
