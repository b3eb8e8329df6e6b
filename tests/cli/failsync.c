// SPDX-License-Identifier: LGPL-2.1-or-later
// LD_PRELOAD shim for the CLI tests: fsync(2) of a file whose path ends in
// $KD_FAIL_FSYNC fails with EIO, as it does when the kernel could not
// write the file back (a disk error). Everything else is the real call.
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fsync(int fd);

int fsync(int fd)
{
	const char *want = getenv("KD_FAIL_FSYNC");
	if (want && *want) {
		char link[64], path[PATH_MAX];
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, path, sizeof(path) - 1);
		size_t w = strlen(want);
		if (n > 0 && (size_t)n >= w) {
			path[n] = '\0';
			if (!strcmp(path + n - w, want)) {
				errno = EIO;
				return -1;
			}
		}
	}
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	return real ? real(fd) : -1;
}
