/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals of the crash-dump service (lib/service/): what its files share
 * and what the unit tests call directly. Never installed. */
#ifndef KEXDUMP_SERVICE_PRIV_H
#define KEXDUMP_SERVICE_PRIV_H

#include "util/util.h"
#include <kexdump/service.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a failed kexec_file_load(2) was asked to do. */
struct kd_kexec_failure {
	int errnum;			/* errno of the system call */
	enum kd_kexec_slot slot;
	bool is_root;			/* effective uid 0 */
	const char *kernel;
	const char *initrd;		/* NULL = none */
	uint64_t kernel_size, initrd_size;	/* bytes of the files */
	size_t cmdline_len;		/* strlen() of the command line */
};

/*
 * The error a user should see for @p f given the kexec state @p st of the
 * machine: it names the files and says what to do (never NULL).
 */
struct kd_error *kd_kexec_explain(const struct kd_kexec_failure *f,
				  const struct kd_kexec_state *st);

/* ---------------------------------------- mountinfo (service/blkdev.c) */

/* One line of /proc/self/mountinfo (Documentation/filesystems/proc.rst
 * 3.5), its fields unescaped; the strings live in kd_mounts.text. */
struct kd_mount {
	unsigned int major, minor;
	char *root;		/* the folder of the filesystem mounted there: "/",
				 * or a subfolder for a bind mount or subvolume */
	char *point;		/* where it is mounted */
	char *fstype;		/* "" if the line has none */
};

struct kd_mounts {
	struct kd_mount *v;	/* in file order: a later mount on the same
				 * point hides an earlier one */
	size_t n;
	char *text;
};

/* Read every mount of @p mountinfo (NULL = /proc/self/mountinfo). */
struct kd_error *kd_blkdev_mounts(const char *mountinfo, struct kd_mounts *ret);
void kd_blkdev_mounts_free(struct kd_mounts *m);

/* ------------------------------------------------- cpio (service/cpio.c) */

/*
 * A newc ("070701") cpio writer, the format the kernel unpacks as an
 * initramfs (Documentation/driver-api/early-userspace/buffer-format.rst,
 * init/initramfs.c), optionally gzip-compressed as a whole (the kernel's
 * CONFIG_RD_GZIP decompressor).
 */
struct kd_cpio;

/*
 * Start an archive written to @p fd (not closed by the writer).
 * @p gzip_level 0 writes it uncompressed, 1..9 through zlib's gzip wrapper.
 */
struct kd_error *kd_cpio_create(int fd, int gzip_level, struct kd_cpio **ret);
/* Free the writer; does not write the trailer (see kd_cpio_finish). */
void kd_cpio_destroy(struct kd_cpio *cpio);

/* A directory entry; @p name has no leading '/' ("dev", "lib/modules"). */
struct kd_error *kd_cpio_dir(struct kd_cpio *cpio, const char *name,
			     uint32_t mode);
/* A character or block device node (@p mode holds S_IFCHR / S_IFBLK). */
struct kd_error *kd_cpio_node(struct kd_cpio *cpio, const char *name,
			      uint32_t mode, uint32_t rmajor, uint32_t rminor);
/* A regular file whose whole content is @p data. */
struct kd_error *kd_cpio_file(struct kd_cpio *cpio, const char *name,
			      uint32_t mode, const void *data, size_t len);
/*
 * A regular file of @p size bytes streamed by kd_cpio_data() calls that
 * must add up to exactly @p size before the next entry.
 */
struct kd_error *kd_cpio_begin_file(struct kd_cpio *cpio, const char *name,
				    uint32_t mode, uint64_t size);
struct kd_error *kd_cpio_data(struct kd_cpio *cpio, const void *data, size_t len);
/* Write "TRAILER!!!", pad to 512 bytes and flush the compressor. */
struct kd_error *kd_cpio_finish(struct kd_cpio *cpio);
/* Bytes written to the fd so far (compressed size when gzipping). */
uint64_t kd_cpio_written(const struct kd_cpio *cpio);

#endif
