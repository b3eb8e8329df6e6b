// SPDX-License-Identifier: LGPL-2.1-or-later
// The newc cpio writer of the capture initramfs. Format as the kernel reads
// it (init/initramfs.c, Documentation/driver-api/early-userspace/
// buffer-format.rst): each entry is a 110-byte ASCII header "070701" plus
// thirteen 8-digit hex fields (ino, mode, uid, gid, nlink, mtime, filesize,
// devmajor, devminor, rdevmajor, rdevminor, namesize, check), then the name
// with its NUL padded to a multiple of 4, then the data padded to 4. The
// archive ends with an entry named "TRAILER!!!". The whole stream may be
// gzip-compressed (the kernel's CONFIG_RD_GZIP).
#include "service/service.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define NEWC_MAGIC "070701"
#define NEWC_HEADER_SIZE 110
#define NEWC_TRAILER "TRAILER!!!"
// Buffered output and the deflate window's output chunk.
#define OUT_BUF_SIZE (256u * 1024)

struct kd_cpio {
	int fd;
	bool gzip;
	z_stream zs;
	uint8_t *out;		// OUT_BUF_SIZE bytes: pending plain or deflated output
	size_t out_len;
	uint64_t offset;	// bytes of the (uncompressed) archive so far
	uint64_t written;	// bytes written to fd
	uint32_t ino;
	uint64_t file_left;	// data still owed by a streamed file
};

static struct kd_error *flush_out(struct kd_cpio *c)
{
	size_t done = 0;
	while (done < c->out_len) {
		ssize_t n = write(c->fd, c->out + done, c->out_len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kd_error_os(errno, "cpio: write");
		}
		done += (size_t)n;
	}
	c->written += c->out_len;
	c->out_len = 0;
	return NULL;
}

// Run deflate over @p len bytes (flush = Z_NO_FLUSH or Z_FINISH).
static struct kd_error *deflate_bytes(struct kd_cpio *c, const void *data,
				      size_t len, int flush)
{
	c->zs.next_in = (Bytef *)(uintptr_t)data;
	c->zs.avail_in = (uInt)len;
	for (;;) {
		c->zs.next_out = c->out + c->out_len;
		c->zs.avail_out = (uInt)(OUT_BUF_SIZE - c->out_len);
		int r = deflate(&c->zs, flush);
		if (r == Z_STREAM_ERROR)
			return kd_error_create(KD_ERROR_INVALID, "cpio: deflate failed");
		c->out_len = OUT_BUF_SIZE - c->zs.avail_out;
		if (c->out_len == OUT_BUF_SIZE || (flush == Z_FINISH && r == Z_STREAM_END)) {
			struct kd_error *err = flush_out(c);
			if (err)
				return err;
		}
		if (flush == Z_FINISH ? r == Z_STREAM_END
				      : c->zs.avail_in == 0 && c->zs.avail_out != 0)
			return NULL;
	}
}

// Append archive bytes, in chunks that fit zlib's uInt counters.
static struct kd_error *emit(struct kd_cpio *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	c->offset += len;
	while (len) {
		size_t n;
		struct kd_error *err;
		if (c->gzip) {
			n = len < OUT_BUF_SIZE ? len : OUT_BUF_SIZE;
			err = deflate_bytes(c, p, n, Z_NO_FLUSH);
		} else {
			n = OUT_BUF_SIZE - c->out_len;
			if (n > len)
				n = len;
			memcpy(c->out + c->out_len, p, n);
			c->out_len += n;
			err = c->out_len == OUT_BUF_SIZE ? flush_out(c) : NULL;
		}
		if (err)
			return err;
		p += n;
		len -= n;
	}
	return NULL;
}

static struct kd_error *pad4(struct kd_cpio *c)
{
	static const uint8_t zeros[4];
	size_t n = (size_t)(-c->offset & 3);
	return n ? emit(c, zeros, n) : NULL;
}

static struct kd_error *header(struct kd_cpio *c, const char *name, uint32_t mode,
			       uint32_t nlink, uint64_t size, uint32_t rmajor,
			       uint32_t rminor)
{
	if (c->file_left)
		return kd_error_create(KD_ERROR_INVALID,
				       "cpio: %llu bytes of the previous file are missing",
				       (unsigned long long)c->file_left);
	size_t namesize = strlen(name) + 1;
	if (size > UINT32_MAX || namesize > 4096)
		return kd_error_create(KD_ERROR_INVALID,
				       "cpio: %s: too large for a newc entry", name);
	char hdr[NEWC_HEADER_SIZE + 1];
	// mtime 0 and uid/gid 0: the same inputs give the same archive.
	snprintf(hdr, sizeof(hdr),
		 "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 NEWC_MAGIC, strcmp(name, NEWC_TRAILER) ? ++c->ino : 0, mode, 0u, 0u,
		 nlink, 0u, (uint32_t)size, 0u, 0u, rmajor, rminor,
		 (uint32_t)namesize, 0u);
	struct kd_error *err = emit(c, hdr, NEWC_HEADER_SIZE);
	if (!err)
		err = emit(c, name, namesize);
	if (!err)
		err = pad4(c);
	return err;
}

struct kd_error *kd_cpio_create(int fd, int gzip_level, struct kd_cpio **ret)
{
	if (gzip_level < 0 || gzip_level > 9)
		return kd_error_create(KD_ERROR_INVALID, "cpio: gzip level %d", gzip_level);
	struct kd_cpio *c = calloc(1, sizeof(*c));
	if (!c)
		return &kd_enomem;
	c->out = malloc(OUT_BUF_SIZE);
	if (!c->out) {
		free(c);
		return &kd_enomem;
	}
	c->fd = fd;
	if (gzip_level) {
		// windowBits 15 + 16: a gzip header and trailer (zlib.h).
		if (deflateInit2(&c->zs, gzip_level, Z_DEFLATED, 15 + 16, 9,
				 Z_DEFAULT_STRATEGY) != Z_OK) {
			free(c->out);
			free(c);
			return &kd_enomem;
		}
		c->gzip = true;
	}
	*ret = c;
	return NULL;
}

void kd_cpio_destroy(struct kd_cpio *c)
{
	if (!c)
		return;
	if (c->gzip)
		deflateEnd(&c->zs);
	free(c->out);
	free(c);
}

struct kd_error *kd_cpio_dir(struct kd_cpio *c, const char *name, uint32_t mode)
{
	return header(c, name, S_IFDIR | (mode & 07777), 2, 0, 0, 0);
}

struct kd_error *kd_cpio_node(struct kd_cpio *c, const char *name, uint32_t mode,
			      uint32_t rmajor, uint32_t rminor)
{
	if (!S_ISCHR(mode) && !S_ISBLK(mode))
		return kd_error_create(KD_ERROR_INVALID, "cpio: %s: not a device node", name);
	return header(c, name, mode, 1, 0, rmajor, rminor);
}

struct kd_error *kd_cpio_begin_file(struct kd_cpio *c, const char *name,
				    uint32_t mode, uint64_t size)
{
	struct kd_error *err = header(c, name, S_IFREG | (mode & 07777), 1, size, 0, 0);
	if (err)
		return err;
	c->file_left = size;
	return NULL;
}

struct kd_error *kd_cpio_data(struct kd_cpio *c, const void *data, size_t len)
{
	if (len > c->file_left)
		return kd_error_create(KD_ERROR_INVALID,
				       "cpio: %zu bytes past the end of the file", len);
	c->file_left -= len;
	struct kd_error *err = emit(c, data, len);
	if (!err && !c->file_left)
		err = pad4(c);
	return err;
}

struct kd_error *kd_cpio_file(struct kd_cpio *c, const char *name, uint32_t mode,
			      const void *data, size_t len)
{
	struct kd_error *err = kd_cpio_begin_file(c, name, mode, len);
	if (!err && len)
		err = kd_cpio_data(c, data, len);
	return err;
}

struct kd_error *kd_cpio_finish(struct kd_cpio *c)
{
	static const uint8_t zeros[512];
	struct kd_error *err = header(c, NEWC_TRAILER, 0, 1, 0, 0, 0);
	// cpio(1) writes whole 512-byte blocks; the kernel ignores the zeros.
	if (!err && c->offset % 512)
		err = emit(c, zeros, 512 - c->offset % 512);
	if (!err && c->gzip)
		err = deflate_bytes(c, NULL, 0, Z_FINISH);
	if (!err)
		err = flush_out(c);
	return err;
}

uint64_t kd_cpio_written(const struct kd_cpio *c)
{
	return c->written + c->out_len;
}
