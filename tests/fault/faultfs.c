// SPDX-License-Identifier: LGPL-2.1-or-later
// faultfs.so: an LD_PRELOAD shim that makes the file system fail where a
// test says, for kexdump save's fault tests (tests/fault/test-faults.sh,
// tests/e2e/check-save.sh). Driven by the environment:
//   FAULTFS_SRC=TEXT        files whose path contains TEXT are the source:
//   FAULTFS_EIO_AT=OFF      reads (read, pread) of a source byte range that
//                           holds OFF fail with EIO, and mmap() of a source
//                           fails (ENODEV), so that its readers use pread
//   FAULTFS_DST=TEXT        files whose path contains TEXT are the output
//                           (also reopened through /proc/self/fd/N):
//   FAULTFS_ENOSPC_AFTER=N  writes past N bytes in all fail with ENOSPC
//   FAULTFS_ENOSPC_RANGE=A[-B]  writes touching [A, B) fail with ENOSPC,
//                           and fallocate() too (a disk that is full there)
//   FAULTFS_DELAY_US=U      each output write waits U microseconds first
// write(2), pwrite(2): ENOSPC when the device has no room; read(2): EIO.
// The plain names are the ones to interpose: no open -> open64 redirects.
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#define MAXFD 1024

static char fd_kind[MAXFD];	// 0, 's' source, 'd' output
static uint64_t written;

static bool faultfs_match(const char *path, const char *var)
{
	const char *want = getenv(var);
	return want && *want && path && strstr(path, want);
}

static uint64_t faultfs_env(const char *var, uint64_t dflt)
{
	const char *v = getenv(var);
	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

static void faultfs_track(int fd, const char *path)
{
	if (fd < 0 || fd >= MAXFD)
		return;
	fd_kind[fd] = 0;
	int n;
	if (path && sscanf(path, "/proc/self/fd/%d", &n) == 1 && n >= 0 && n < MAXFD) {
		fd_kind[fd] = fd_kind[n];
		return;
	}
	if (faultfs_match(path, "FAULTFS_DST"))
		fd_kind[fd] = 'd';
	else if (faultfs_match(path, "FAULTFS_SRC"))
		fd_kind[fd] = 's';
}

static char faultfs_kind(int fd)
{
	return fd >= 0 && fd < MAXFD ? fd_kind[fd] : 0;
}

#define REAL(name) \
	static __typeof__(name) *real_##name; \
	if (!real_##name) \
		real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

static int faultfs_open_mode(int flags, va_list ap)
{
	return flags & (O_CREAT | O_TMPFILE) ? va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
	REAL(open);
	va_list ap;
	va_start(ap, flags);
	int fd = real_open(path, flags, faultfs_open_mode(flags, ap));
	va_end(ap);
	faultfs_track(fd, path);
	return fd;
}

int open64(const char *path, int flags, ...)
{
	REAL(open64);
	va_list ap;
	va_start(ap, flags);
	int fd = real_open64(path, flags, faultfs_open_mode(flags, ap));
	va_end(ap);
	faultfs_track(fd, path);
	return fd;
}

int openat(int dfd, const char *path, int flags, ...)
{
	REAL(openat);
	va_list ap;
	va_start(ap, flags);
	int fd = real_openat(dfd, path, flags, faultfs_open_mode(flags, ap));
	va_end(ap);
	faultfs_track(fd, path);
	return fd;
}

int openat64(int dfd, const char *path, int flags, ...)
{
	REAL(openat64);
	va_list ap;
	va_start(ap, flags);
	int fd = real_openat64(dfd, path, flags, faultfs_open_mode(flags, ap));
	va_end(ap);
	faultfs_track(fd, path);
	return fd;
}

int close(int fd)
{
	REAL(close);
	if (fd >= 0 && fd < MAXFD)
		fd_kind[fd] = 0;
	return real_close(fd);
}

// A source read of [off, off + len) that holds the bad byte.
static bool faultfs_eio(int fd, uint64_t off, size_t len)
{
	if (faultfs_kind(fd) != 's' || !getenv("FAULTFS_EIO_AT"))
		return false;
	uint64_t bad = faultfs_env("FAULTFS_EIO_AT", 0);
	return bad >= off && bad - off < len;
}

// How much of a write of len bytes at off may go through; 0 with errno
// set when none.
static ssize_t faultfs_room(int fd, uint64_t off, size_t len)
{
	if (faultfs_kind(fd) != 'd')
		return (ssize_t)len;
	uint64_t us = faultfs_env("FAULTFS_DELAY_US", 0);
	if (us)
		usleep((useconds_t)us);
	size_t room = len;
	const char *r = getenv("FAULTFS_ENOSPC_RANGE");
	if (r && *r) {
		char *end;
		uint64_t a = strtoull(r, &end, 0);
		uint64_t b = *end == '-' && end[1] ? strtoull(end + 1, NULL, 0) : UINT64_MAX;
		if (off < b && off + len > a)
			room = off >= a ? 0 : (size_t)(a - off);
	}
	uint64_t budget = faultfs_env("FAULTFS_ENOSPC_AFTER", UINT64_MAX);
	if (written >= budget)
		room = 0;
	else if (budget - written < room)
		room = (size_t)(budget - written);
	if (!room) {
		errno = ENOSPC;
		return -1;
	}
	return (ssize_t)room;
}

ssize_t read(int fd, void *buf, size_t len)
{
	REAL(read);
	if (faultfs_kind(fd) == 's') {
		off_t off = lseek(fd, 0, SEEK_CUR);
		if (off >= 0 && faultfs_eio(fd, (uint64_t)off, len)) {
			errno = EIO;
			return -1;
		}
	}
	return real_read(fd, buf, len);
}

ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	REAL(pread);
	if (faultfs_eio(fd, (uint64_t)off, len)) {
		errno = EIO;
		return -1;
	}
	return real_pread(fd, buf, len, off);
}

ssize_t pread64(int fd, void *buf, size_t len, off_t off)
{
	REAL(pread64);
	if (faultfs_eio(fd, (uint64_t)off, len)) {
		errno = EIO;
		return -1;
	}
	return real_pread64(fd, buf, len, off);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	REAL(write);
	if (faultfs_kind(fd) != 'd')
		return real_write(fd, buf, len);
	off_t off = lseek(fd, 0, SEEK_CUR);
	ssize_t room = faultfs_room(fd, off < 0 ? 0 : (uint64_t)off, len);
	if (room < 0)
		return -1;
	ssize_t n = real_write(fd, buf, (size_t)room);
	if (n > 0)
		written += (uint64_t)n;
	return n;
}

static ssize_t faultfs_pwrite(ssize_t (*real)(int, const void *, size_t, off_t),
			      int fd, const void *buf, size_t len, off_t off)
{
	ssize_t room = faultfs_room(fd, (uint64_t)off, len);
	if (room < 0)
		return -1;
	ssize_t n = real(fd, buf, (size_t)room, off);
	if (n > 0 && faultfs_kind(fd) == 'd')
		written += (uint64_t)n;
	return n;
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	REAL(pwrite);
	return faultfs_pwrite(real_pwrite, fd, buf, len, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	REAL(pwrite64);
	return faultfs_pwrite(real_pwrite64, fd, buf, len, off);
}

int fallocate(int fd, int mode, off_t off, off_t len)
{
	REAL(fallocate);
	if (faultfs_kind(fd) == 'd' && getenv("FAULTFS_ENOSPC_RANGE")) {
		errno = ENOSPC;
		return -1;
	}
	return real_fallocate(fd, mode, off, len);
}

int fallocate64(int fd, int mode, off_t off, off_t len)
{
	REAL(fallocate64);
	if (faultfs_kind(fd) == 'd' && getenv("FAULTFS_ENOSPC_RANGE")) {
		errno = ENOSPC;
		return -1;
	}
	return real_fallocate64(fd, mode, off, len);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	REAL(mmap);
	if (faultfs_kind(fd) == 's' && getenv("FAULTFS_EIO_AT")) {
		errno = ENODEV;
		return MAP_FAILED;
	}
	return real_mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	REAL(mmap64);
	if (faultfs_kind(fd) == 's' && getenv("FAULTFS_EIO_AT")) {
		errno = ENODEV;
		return MAP_FAILED;
	}
	return real_mmap64(addr, len, prot, flags, fd, off);
}
