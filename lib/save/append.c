// SPDX-License-Identifier: LGPL-2.1-or-later
// The page data of a dump, appended with direct I/O (open(2) O_DIRECT):
// gigabytes of output go from our buffer to the disk without first being
// copied into page cache pages that must be allocated, dirtied and written
// back. Buffered writes of a few GiB cost more system time than the
// compression itself (measured on the 8 GiB filled dump at -d 1: 32% of all
// CPU in copy_folio_from_iter_atomic; dd of 4 GB: 2.2-8.3 s of system time
// buffered against 0.6 s direct), and in a capture kernel with a 96 MiB
// reservation the page cache is memory we do not have.
//
// O_DIRECT wants file offsets, lengths and buffer addresses aligned to the
// device's logical block size (open(2), "O_DIRECT"): ALIGN covers 512 and
// 4096. Whole blocks are written from an aligned buffer; flushing early
// (kd_append_flush, before descriptors that point at the data are written)
// writes the last partial block padded with zeros, and keeps it to write
// again, completed, next time. kd_append_end() writes the final partial
// block through the buffered descriptor and cuts the file to its true end.
// Where O_DIRECT is refused (tmpfs before 6.6, network file systems,
// /proc not mounted) every append is a plain pwrite().
#include "save/save.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define ALIGN 4096u

_Static_assert(KD_APPEND_BUF % ALIGN == 0, "the buffer holds whole blocks");

static void append_go_buffered(struct kd_append *a)
{
	if (a->dfd >= 0)
		close(a->dfd);
	a->dfd = -1;
}

// A buffered write of bytes already counted in sink->bytes.
static struct kd_error *append_rewrite(struct kd_append *a, const void *buf,
				       size_t len, uint64_t off)
{
	uint64_t bytes = a->sink->bytes;
	struct kd_error *err = kd_sink_write(a->sink, buf, len, off);
	a->sink->bytes = bytes;
	if (!err && off + len > a->durable)
		a->durable = off + len;
	return err;
}

void kd_append_init(struct kd_append *a, struct kd_sink *sink, uint64_t start,
		    bool direct)
{
	*a = (struct kd_append){ .sink = sink, .dfd = -1, .pos = start,
				 .base = start, .durable = start };
	struct stat st;
	if (sink->flat || sink->fd < 0 || fstat(sink->fd, &st))
		return;
	a->regular = S_ISREG(st.st_mode);
	if (!direct || start % ALIGN)
		return;
	// A second descriptor on the same file: the headers, bitmaps and
	// descriptors stay buffered (small writes at odd offsets), only the
	// data stream is direct. Linux keeps the two coherent: a direct write
	// first writes back and drops cached pages of its range.
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", sink->fd);
	int dfd = open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (dfd < 0)
		return;
	struct stat dst;
	if (fstat(dfd, &dst) || dst.st_ino != st.st_ino || dst.st_dev != st.st_dev ||
	    posix_memalign((void **)&a->buf, ALIGN, KD_APPEND_BUF)) {
		close(dfd);
		a->buf = NULL;
		return;
	}
	a->dfd = dfd;
}

// After a failed write: what it left past the data is not data (no
// descriptor points there, and ELF readers take the file's end as the end
// of what was saved): end the file at the last byte known written.
static void append_cut(struct kd_append *a)
{
	if (a->regular && ftruncate(a->sink->fd, (off_t)a->durable)) {
		// Best effort: the write's own error is the one reported.
	}
}

bool kd_append_is_direct(const struct kd_append *a)
{
	return a->dfd >= 0;
}

// Write buf[0, len) (len a multiple of ALIGN, of which the first @p real
// bytes are data) at a->base with the direct descriptor. When a direct
// write fails, the rest goes through the page cache instead, and from then
// on everything: a direct write can fail where a buffered one would not
// (EINVAL from alignment rules stricter than ALIGN, or from a file size
// limit that cuts the write to an odd length), and where both fail (ENOSPC,
// EIO) the buffered write's error is the one to report.
static struct kd_error *append_direct_write(struct kd_append *a, size_t len,
					    size_t real)
{
	size_t done = 0;
	while (done < len) {
		struct kd_sink_tick t;
		kd_sink_meter_enter(a->sink, &t);
		ssize_t n = pwrite(a->dfd, a->buf + done, len - done,
				   (off_t)(a->base + done));
		kd_sink_meter_leave(a->sink, &t, n > 0 ? (uint64_t)n : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			append_go_buffered(a);
			struct kd_error *err = done >= real ? NULL :
				append_rewrite(a, a->buf + done, real - done, a->base + done);
			if (err)
				append_cut(a);
			return err;
		}
		done += (size_t)n;
		uint64_t end = a->base + (done < real ? done : real);
		if (end > a->durable)
			a->durable = end;
	}
	return NULL;
}

// Write out what is buffered: whole blocks, and with @p pad the last
// partial block too (padded; kept in the buffer to be written again).
static struct kd_error *append_flush(struct kd_append *a, bool pad)
{
	size_t whole = a->len / ALIGN * ALIGN;
	size_t tail = a->len - whole;
	size_t out = pad && tail ? whole + ALIGN : whole;
	if (!out)
		return NULL;
	if (out > a->len) {
		memset(a->buf + a->len, 0, out - a->len);
		a->padded = true;
	}
	struct kd_error *err = append_direct_write(a, out, a->len);
	if (err || a->dfd < 0) {
		// Failed, or buffered from now on: nothing stays buffered.
		a->base += a->len;
		a->len = 0;
		return err;
	}
	memmove(a->buf, a->buf + whole, tail);
	a->base += whole;
	a->len = tail;
	return NULL;
}

struct kd_error *kd_append_write(struct kd_append *a, const void *buf,
				 size_t len)
{
	const uint8_t *p = buf;
	if (a->dfd < 0) {
		a->pos += len;
		struct kd_error *err = kd_sink_write(a->sink, p, len, a->pos - len);
		if (err)
			append_cut(a);
		else
			a->durable = a->pos;
		return err;
	}
	while (len) {
		size_t n = KD_APPEND_BUF - a->len < len ? KD_APPEND_BUF - a->len : len;
		memcpy(a->buf + a->len, p, n);
		a->len += n;
		a->pos += n;
		a->sink->bytes += n;
		p += n;
		len -= n;
		if (a->len == KD_APPEND_BUF) {
			struct kd_error *err = append_flush(a, false);
			if (err)
				return err;
			if (a->dfd < 0)	// went buffered: the rest directly
				return kd_append_write(a, p, len);
		}
	}
	return NULL;
}

struct kd_error *kd_append_flush(struct kd_append *a)
{
	if (a->dfd < 0 || a->durable == a->pos)
		return NULL;
	return append_flush(a, true);
}

struct kd_error *kd_append_end(struct kd_append *a)
{
	struct kd_error *err = NULL;
	if (a->dfd >= 0) {
		err = append_flush(a, false);
		// The last partial block, exactly, through the page cache.
		if (!err && a->len)
			err = append_rewrite(a, a->buf, a->len, a->base);
	}
	// A padded block written by an early flush may reach past the end,
	// also when the writes went buffered after it: the data ends the file.
	if (!err && a->padded && a->regular && ftruncate(a->sink->fd, (off_t)a->pos))
		err = kd_error_os(errno, "%s: cannot set the file size",
				  a->sink->name);
	kd_append_abandon(a);
	return err;
}

void kd_append_abandon(struct kd_append *a)
{
	append_go_buffered(a);
	free(a->buf);
	a->buf = NULL;
}
