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

static struct kd_error *cpio_flush_out(struct kd_cpio *c)
{
	size_t done = 0;
	while (done < c->out_len) {
		ssize_t n = write(c->fd, c->out + done, c->out_len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return kd_error_os(errno, "cpio: write");
		}
		// Nothing written and no error: retrying would spin forever.
		if (n == 0)
			return kd_error_os(ENOSPC, "cpio: write wrote nothing");
		done += (size_t)n;
	}
	c->written += c->out_len;
	c->out_len = 0;
	return NULL;
}

// Run deflate over @p len bytes (flush = Z_NO_FLUSH or Z_FINISH).
static struct kd_error *cpio_deflate_bytes(struct kd_cpio *c, const void *data,
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
			struct kd_error *err = cpio_flush_out(c);
			if (err)
				return err;
		}
		if (flush == Z_FINISH ? r == Z_STREAM_END
				      : c->zs.avail_in == 0 && c->zs.avail_out != 0)
			return NULL;
	}
}

// Append archive bytes, in chunks that fit zlib's uInt counters.
static struct kd_error *cpio_emit(struct kd_cpio *c, const void *data, size_t len)
{
	const uint8_t *p = data;
	c->offset += len;
	while (len) {
		size_t n;
		struct kd_error *err;
		if (c->gzip) {
			n = len < OUT_BUF_SIZE ? len : OUT_BUF_SIZE;
			err = cpio_deflate_bytes(c, p, n, Z_NO_FLUSH);
		} else {
			n = OUT_BUF_SIZE - c->out_len;
			if (n > len)
				n = len;
			memcpy(c->out + c->out_len, p, n);
			c->out_len += n;
			err = c->out_len == OUT_BUF_SIZE ? cpio_flush_out(c) : NULL;
		}
		if (err)
			return err;
		p += n;
		len -= n;
	}
	return NULL;
}

static struct kd_error *cpio_pad4(struct kd_cpio *c)
{
	static const uint8_t zeros[4];
	size_t n = (size_t)(-c->offset & 3);
	return n ? cpio_emit(c, zeros, n) : NULL;
}

static struct kd_error *cpio_header(struct kd_cpio *c, const char *name, uint32_t mode,
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
	struct kd_error *err = cpio_emit(c, hdr, NEWC_HEADER_SIZE);
	if (!err)
		err = cpio_emit(c, name, namesize);
	if (!err)
		err = cpio_pad4(c);
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
	return cpio_header(c, name, S_IFDIR | (mode & 07777), 2, 0, 0, 0);
}

struct kd_error *kd_cpio_node(struct kd_cpio *c, const char *name, uint32_t mode,
			      uint32_t rmajor, uint32_t rminor)
{
	if (!S_ISCHR(mode) && !S_ISBLK(mode))
		return kd_error_create(KD_ERROR_INVALID, "cpio: %s: not a device node", name);
	return cpio_header(c, name, mode, 1, 0, rmajor, rminor);
}

struct kd_error *kd_cpio_begin_file(struct kd_cpio *c, const char *name,
				    uint32_t mode, uint64_t size)
{
	struct kd_error *err = cpio_header(c, name, S_IFREG | (mode & 07777), 1, size, 0, 0);
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
	struct kd_error *err = cpio_emit(c, data, len);
	if (!err && !c->file_left)
		err = cpio_pad4(c);
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
	struct kd_error *err = cpio_header(c, NEWC_TRAILER, 0, 1, 0, 0, 0);
	// cpio(1) writes whole 512-byte blocks; the kernel ignores the zeros.
	if (!err && c->offset % 512)
		err = cpio_emit(c, zeros, 512 - c->offset % 512);
	if (!err && c->gzip)
		err = cpio_deflate_bytes(c, NULL, 0, Z_FINISH);
	if (!err)
		err = cpio_flush_out(c);
	return err;
}

uint64_t kd_cpio_written(const struct kd_cpio *c)
{
	return c->written + c->out_len;
}

// ------------------------------------------------------------ the reader
//
// The same format read back (kexdump initramfs --list, the tests): gzip or
// plain, since gzread() passes an uncompressed file through. The archive
// is input like any other: every field is checked to be hex, names are
// bounded, a short read is a truncated archive, never a crash.

#define NEWC_CRC_MAGIC "070702"	/* newc with checksums: same layout */

struct kd_cpio_reader {
	gzFile gz;
	char *path;
	uint64_t offset;	// bytes of the (uncompressed) archive read so far
	uint64_t data_left;	// of the current entry
	uint32_t data_pad;	// its padding after the data
	bool done;
};

KD_EXPORT struct kd_error *kd_cpio_open(const char *path, struct kd_cpio_reader **ret)
{
	struct kd_cpio_reader *r = calloc(1, sizeof(*r));
	if (!r || !(r->path = strdup(path))) {
		free(r);
		return &kd_enomem;
	}
	errno = 0;
	r->gz = gzopen(path, "rb");
	if (!r->gz) {
		// gzopen sets errno for system errors, leaves 0 for memory.
		struct kd_error *err = errno ? kd_error_os(errno, "%s: cannot open", path) :
					       &kd_enomem;
		free(r->path);
		free(r);
		return err;
	}
	*ret = r;
	return NULL;
}

KD_EXPORT void kd_cpio_close(struct kd_cpio_reader *r)
{
	if (!r)
		return;
	gzclose(r->gz);
	free(r->path);
	free(r);
}

// Exactly @p len bytes, else an error (truncated or damaged).
static struct kd_error *cpio_read_exact(struct kd_cpio_reader *r, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		unsigned n = len > (1u << 30) ? 1u << 30 : (unsigned)len;
		int got = gzread(r->gz, p, n);
		if (got < 0) {
			int zerr;
			const char *msg = gzerror(r->gz, &zerr);
			return kd_error_create(KD_ERROR_CORRUPT, "%s: at byte %llu: %s", r->path,
					       (unsigned long long)r->offset,
					       zerr == Z_ERRNO ? strerror(errno) : msg);
		}
		if (got == 0)
			return kd_error_create(KD_ERROR_CORRUPT,
					       "%s: truncated at byte %llu (not a complete newc cpio archive)",
					       r->path, (unsigned long long)r->offset);
		p += got;
		len -= (size_t)got;
		r->offset += (uint64_t)got;
	}
	return NULL;
}

static struct kd_error *cpio_skip(struct kd_cpio_reader *r, uint64_t len)
{
	uint8_t buf[16384];
	while (len) {
		size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		struct kd_error *err = cpio_read_exact(r, buf, n);
		if (err)
			return err;
		len -= n;
	}
	return NULL;
}

// An 8-digit hex field; false if any byte is not a hex digit.
static bool cpio_hex(const char *p, uint32_t *ret)
{
	uint32_t v = 0;
	for (int i = 0; i < 8; i++) {
		char c = p[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	*ret = v;
	return true;
}

KD_EXPORT struct kd_error *kd_cpio_next(struct kd_cpio_reader *r,
					struct kd_cpio_entry *entry, bool *end_ret)
{
	if (r->done) {
		*end_ret = true;
		return NULL;
	}
	// What the caller did not read of the previous entry.
	struct kd_error *err = cpio_skip(r, r->data_left + r->data_pad);
	if (err)
		return err;
	r->data_left = r->data_pad = 0;
	uint64_t at = r->offset;
	char hdr[NEWC_HEADER_SIZE];
	err = cpio_read_exact(r, hdr, sizeof(hdr));
	if (err)
		return err;
	if (memcmp(hdr, NEWC_MAGIC, 6) && memcmp(hdr, NEWC_CRC_MAGIC, 6))
		return kd_error_create(KD_ERROR_FORMAT,
				       "%s: at byte %llu: no newc cpio header (magic 070701)",
				       r->path, (unsigned long long)at);
	uint32_t f[13];
	for (int i = 0; i < 13; i++)
		if (!cpio_hex(hdr + 6 + 8 * i, &f[i]))
			return kd_error_create(KD_ERROR_CORRUPT,
					       "%s: at byte %llu: header field %d is not hex",
					       r->path, (unsigned long long)at, i + 1);
	struct kd_cpio_entry e = {
		.ino = f[0], .mode = f[1], .uid = f[2], .gid = f[3], .nlink = f[4],
		.mtime = f[5], .size = f[6], .rmajor = f[9], .rminor = f[10],
	};
	uint32_t namesize = f[11];
	if (namesize == 0 || namesize > sizeof(e.name))
		return kd_error_create(KD_ERROR_CORRUPT,
				       "%s: at byte %llu: name size %u out of range (1..%zu)",
				       r->path, (unsigned long long)at, namesize, sizeof(e.name));
	// The name and its NUL, padded so that header + name is a multiple of 4.
	err = cpio_read_exact(r, e.name, namesize);
	if (!err)
		err = cpio_skip(r, (4 - (NEWC_HEADER_SIZE + namesize) % 4) % 4);
	if (err)
		return err;
	if (e.name[namesize - 1] != '\0' || strlen(e.name) != namesize - 1)
		return kd_error_create(KD_ERROR_CORRUPT,
				       "%s: at byte %llu: the name is not one NUL-terminated string",
				       r->path, (unsigned long long)at);
	if (!strcmp(e.name, NEWC_TRAILER)) {
		r->done = true;
		*end_ret = true;
		return NULL;
	}
	r->data_left = e.size;
	r->data_pad = (4 - e.size % 4) % 4;
	*entry = e;
	*end_ret = false;
	return NULL;
}

KD_EXPORT struct kd_error *kd_cpio_read(struct kd_cpio_reader *r, void *buf, size_t len,
					size_t *nret)
{
	size_t n = len < r->data_left ? len : (size_t)r->data_left;
	struct kd_error *err = cpio_read_exact(r, buf, n);
	if (err)
		return err;
	r->data_left -= n;
	*nret = n;
	return NULL;
}
