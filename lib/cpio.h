/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A newc ("070701") cpio writer, the format the kernel unpacks as an
 * initramfs (Documentation/driver-api/early-userspace/buffer-format.rst,
 * init/initramfs.c), optionally gzip-compressed as a whole (the kernel's
 * CONFIG_RD_GZIP decompressor). Internal to libkexdump.
 */
#ifndef KEXDUMP_CPIO_H
#define KEXDUMP_CPIO_H

#include <kexdump/kexdump.h>

#include <stddef.h>
#include <stdint.h>

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
