// SPDX-License-Identifier: LGPL-2.1-or-later
// Output sinks of kd_save(): a file written with pwrite(), or makedumpfile's
// flattened format on a stream (makedumpfile.h struct makedumpfile_header
// and makedumpfile_data_header; format-flat.c is the reader): a 4096-byte
// header, then {be64 offset, be64 size} records each followed by its data,
// ended by {-1, -1}. Or a caller's output (struct kd_save_output, a file on
// an SFTP server): the same writes at offsets, through its functions.
#include "save/save.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static struct kd_error *sink_write_all(struct kd_sink *sink, const void *buf,
				       size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(sink->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return kd_error_os(n < 0 ? errno : EIO, "%s: write failed",
					   sink->name);
		p += n;
		len -= (size_t)n;
	}
	return NULL;
}

struct kd_error *kd_sink_init(struct kd_sink *sink, int fd, bool flat,
			      const char *name)
{
	*sink = (struct kd_sink){ .fd = fd, .flat = flat, .name = name };
	if (!flat)
		return NULL;
	uint8_t h[MDF_HEADER_SIZE] = { 0 };
	memcpy(h, MDF_SIGNATURE, sizeof(MDF_SIGNATURE));
	kd_put_be64(h + MDF_TYPE_OFF, TYPE_FLAT_HEADER);
	kd_put_be64(h + MDF_VERSION_OFF, VERSION_FLAT_HEADER);
	return sink_write_all(sink, h, sizeof(h));
}

void kd_sink_init_output(struct kd_sink *sink, const struct kd_save_output *out)
{
	*sink = (struct kd_sink){ .fd = -1, .out = out,
				  .name = out->name ? out->name : "output" };
}

/* ----------------------------------------------------------------- meter */

static double sink_clock(clockid_t id)
{
	struct timespec ts;
	if (clock_gettime(id, &ts) < 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

// The calling thread's time spent runnable but waiting for a CPU, the
// second field of /proc/thread-self/schedstat (nanoseconds; kernel
// Documentation/scheduler/sched-stats.rst): on one CPU the compressing
// worker holds it while the writer waits, and that is not the link's time.
static double sink_run_delay(int fd)
{
	char buf[96];
	if (fd < 0)
		return 0;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	unsigned long long run = 0, delay = 0;
	if (sscanf(buf, "%llu %llu", &run, &delay) != 2)
		return 0;
	return (double)delay * 1e-9;
}

void kd_sink_meter_start(struct kd_sink *sink)
{
	sink->meter = (struct kd_sink_meter){ .on = true, .sched_fd = -1 };
	sink->meter.sched_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
}

void kd_sink_meter_stop(struct kd_sink *sink)
{
	if (!sink->meter.on)
		return;
	if (sink->meter.sched_fd >= 0)
		close(sink->meter.sched_fd);
	sink->meter = (struct kd_sink_meter){ .sched_fd = -1 };
}

static struct kd_error *sink_write(struct kd_sink *sink, const void *buf,
				   size_t len, uint64_t off);

void kd_sink_meter_enter(const struct kd_sink *sink, struct kd_sink_tick *t)
{
	if (!sink->meter.on)
		return;
	t->wall = sink_clock(CLOCK_MONOTONIC);
	t->cpu = sink_clock(CLOCK_THREAD_CPUTIME_ID);
	t->delay = sink_run_delay(sink->meter.sched_fd);
}

void kd_sink_meter_leave(struct kd_sink *sink, const struct kd_sink_tick *t, uint64_t bytes)
{
	struct kd_sink_meter *m = &sink->meter;
	if (!m->on)
		return;
	double wall = sink_clock(CLOCK_MONOTONIC) - t->wall;
	double delay = sink_run_delay(m->sched_fd) - t->delay;
	m->cpu += sink_clock(CLOCK_THREAD_CPUTIME_ID) - t->cpu;
	m->wall += delay > 0 && delay < wall ? wall - delay : wall;
	m->bytes += bytes;
}

struct kd_error *kd_sink_write(struct kd_sink *sink, const void *buf,
			       size_t len, uint64_t off)
{
	struct kd_sink_tick t;
	uint64_t b0 = sink->bytes;
	kd_sink_meter_enter(sink, &t);
	struct kd_error *err = sink_write(sink, buf, len, off);
	kd_sink_meter_leave(sink, &t, sink->bytes - b0);
	return err;
}

static struct kd_error *sink_write(struct kd_sink *sink, const void *buf,
				   size_t len, uint64_t off)
{
	if (!len)
		return NULL;
	if (sink->out) {
		size_t done = 0;
		struct kd_error *err = sink->out->pwrite(sink->out->arg, buf, len, off, &done);
		sink->bytes += err ? (done < len ? done : len) : len;
		return err;
	}
	if (sink->flat) {
		uint8_t rec[MDF_RECORD_SIZE];
		kd_put_be64(rec, off);
		kd_put_be64(rec + 8, len);
		struct kd_error *err = sink_write_all(sink, rec, sizeof(rec));
		if (!err)
			err = sink_write_all(sink, buf, len);
		if (!err)
			sink->bytes += len;
		return err;
	}
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = pwrite(sink->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return kd_error_os(n < 0 ? errno : ENOSPC,
					   "%s: write of %zu bytes at offset %#llx failed",
					   sink->name, len, (unsigned long long)off);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
		sink->bytes += (uint64_t)n;
	}
	return NULL;
}

struct kd_error *kd_sink_finish(struct kd_sink *sink)
{
	if (!sink->flat)
		return NULL;
	uint8_t end[MDF_RECORD_SIZE];
	memset(end, 0xff, sizeof(end));	// {-1, -1}: END_FLAG_FLAT_HEADER
	return sink_write_all(sink, end, sizeof(end));
}

bool kd_sink_can_read(const struct kd_sink *sink, uint64_t off)
{
	uint8_t b;
	if (sink->flat)
		return false;
	if (sink->out) {
		if (!sink->out->pread)
			return false;
		struct kd_error *err = sink->out->pread(sink->out->arg, &b, 1, off);
		kd_error_destroy(err);
		return !err;
	}
	return pread(sink->fd, &b, 1, (off_t)off) == 1;
}

struct kd_error *kd_sink_read(const struct kd_sink *sink, void *buf, size_t len,
			      uint64_t off, const char *what)
{
	if (sink->out) {
		struct kd_error *err = sink->out->pread ?
			sink->out->pread(sink->out->arg, buf, len, off) :
			kd_error_create(KD_ERROR_UNSUPPORTED, "cannot be read back");
		return err ? kd_error_prefix(err, "%s: cannot read back %s", sink->name, what) :
			     NULL;
	}
	for (size_t done = 0; done < len;) {
		ssize_t n = pread(sink->fd, (uint8_t *)buf + done, len - done,
				  (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return kd_error_os(n < 0 ? errno : EIO, "%s: cannot read back %s",
					   sink->name, what);
		done += (size_t)n;
	}
	return NULL;
}
