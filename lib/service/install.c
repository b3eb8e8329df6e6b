// SPDX-License-Identifier: LGPL-2.1-or-later
// The files `kexdump setup` puts on the machine (systemd units, GRUB's
// drop-in, the capture initramfs's folder): whole or not at all, so that a
// reader (systemd, update-grub) never sees half a file, and durable before
// setup says it is done.
#include "service/service.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

KD_EXPORT struct kd_error *kd_install_dir(const char *path, unsigned int mode)
{
	return kd_fs_mkdir_p(path, mode);
}

// Write all of @p text to @p fd.
static struct kd_error *install_write_all(int fd, const char *name, const char *text)
{
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return kd_error_os(n < 0 ? errno : EIO, "%s: cannot write", name);
		off += (size_t)n;
	}
	return NULL;
}

KD_EXPORT struct kd_error *kd_install_file(const char *path, const char *text,
					   unsigned int mode)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	if ((size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
		return kd_error_create(KD_ERROR_INVALID, "%s: path too long", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		struct kd_error *err = kd_fs_mkdir_p(dir, 0755);
		if (err)
			return err;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return kd_error_os(errno, "%s: cannot create", tmp);
	struct kd_error *err = install_write_all(fd, tmp, text);
	// fchmod: the mode open() gave went through the umask.
	if (!err && (fchmod(fd, (mode_t)mode) < 0 || fsync(fd) < 0))
		err = kd_error_os(errno, "%s: cannot write", tmp);
	if (close(fd) < 0 && !err)
		err = kd_error_os(errno, "%s: cannot write", tmp);
	if (!err && rename(tmp, path) < 0)
		err = kd_error_os(errno, "%s: cannot rename it to %s", tmp, path);
	if (err) {
		unlink(tmp);
		return err;
	}
	return kd_fs_fsync_parent(path);
}
