/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers shared by every area of libkexdump (lib/util/): the export
 * marker, explicit-endian loads, whole-file reads. Never installed. */
#ifndef KEXDUMP_UTIL_H
#define KEXDUMP_UTIL_H

#include <kexdump/error.h>

#include <stdlib.h>
#include <string.h>

#define KD_EXPORT __attribute__((visibility("default")))
#define KD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Static out-of-memory error: creating one must not need memory. */
extern struct kd_error kd_enomem;

/* Little- and big-endian loads from unaligned bytes; every on-disk and
 * in-dump field goes through one of these, never a pointer cast. */
static inline uint16_t kd_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}
static inline uint32_t kd_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}
static inline uint64_t kd_le64(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)kd_le32(b) | (uint64_t)kd_le32(b + 4) << 32;
}
static inline uint16_t kd_be16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] << 8 | b[1]);
}
static inline uint32_t kd_be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | (uint32_t)b[3];
}
static inline uint64_t kd_be64(const void *p)
{
	const uint8_t *b = p;
	return (uint64_t)kd_be32(b) << 32 | kd_be32(b + 4);
}

/* Little-endian stores, the counterpart of kd_le*() for the writers. */
static inline void kd_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void kd_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		p[i] = (uint8_t)v;
}
static inline void kd_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline void kd_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* @p x rounded up to a multiple of @p a (a > 0). */
static inline uint64_t kd_round_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

/* Read all of @p path (up to @p max bytes, else an error) into a malloc'ed,
 * NUL-terminated buffer (util/fs.c). @p lenret may be NULL. */
struct kd_error *kd_fs_read_file(const char *path, size_t max, char **ret,
			      size_t *lenret);

/* mkdir -p: @p path and its missing parents, each made with @p mode;
 * an error unless @p path ends up a folder (util/fs.c). */
struct kd_error *kd_fs_mkdir_p(const char *path, unsigned int mode);
/* fsync(2) the file or folder @p path (a folder's fsync makes the entries
 * created or renamed in it durable). */
struct kd_error *kd_fs_fsync_path(const char *path);
/* fsync the folder holding @p path: after a rename(2) onto @p path. */
struct kd_error *kd_fs_fsync_parent(const char *path);

#endif
