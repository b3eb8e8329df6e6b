// SPDX-License-Identifier: LGPL-2.1-or-later
// The files `kexdump setup` puts on the machine (systemd units, GRUB's
// drop-in, the capture initramfs's folder): whole or not at all, so that a
// reader (systemd, update-grub) never sees half a file, and durable before
// setup says it is done.
#include "service/service.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

// ------------------------------------------------------ systemd unit text
//
// A path written into a unit file is read by systemd's parser: a newline
// would start a new directive (systemd.syntax(7)), a backslash at the end a
// continuation line, '%' a specifier (systemd.unit(5) "Specifiers"), and in
// ExecStart= white space splits words, quotes and backslashes are
// unquoted and '$' expands a variable (systemd.service(5) "Command
// lines"). Control characters and text that is not UTF-8 (systemd ignores
// such lines) are refused; the rest is escaped.

// NULL, or why @p s cannot go into a unit file.
static struct kd_error *install_unit_check(const char *what, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t len = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 :
			     (*p & 0xf8) == 0xf0 ? 4 : 0;
		if (*p < 0x20 || *p == 0x7f)
			return kd_error_create(KD_ERROR_INVALID,
					       "%s: a control character (0x%02x) in the path: a systemd "
					       "unit cannot name it (rename or move the file)", what, *p);
		for (size_t i = 1; i < len; i++)
			if ((p[i] & 0xc0) != 0x80)
				len = 0;
		if (!len || (len == 2 && *p < 0xc2))
			return kd_error_create(KD_ERROR_INVALID,
					       "%s: the path is not UTF-8: a systemd unit cannot name it "
					       "(rename or move the file)", what);
		p += len;
	}
	return NULL;
}

// Append @p s to @p f, '%' as "%%" and, when @p exec, '$' as "$$" and
// backslash and double quote escaped.
static void install_unit_escape(FILE *f, const char *s, bool exec)
{
	for (; *s; s++) {
		if (*s == '%' || (exec && *s == '$'))
			fputc(*s, f);
		else if (exec && (*s == '\\' || *s == '"'))
			fputc('\\', f);
		fputc(*s, f);
	}
}

static struct kd_error *install_unit_text(const char *s, bool exec, char **ret)
{
	// Quotes only where needed, so that common paths read as typed.
	bool quote = false;
	if (exec) {
		quote = !*s || !strcmp(s, ";");
		for (const char *p = s; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("/._-+,:=@%$", *p) &&
			    !((unsigned char)*p & 0x80))
				quote = true;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return &kd_enomem;
	if (quote)
		fputc('"', f);
	install_unit_escape(f, s, exec);
	if (quote)
		fputc('"', f);
	if (fclose(f)) {
		free(text);
		return &kd_enomem;
	}
	*ret = text;
	return NULL;
}

KD_EXPORT struct kd_error *kd_install_unit_exec_arg(const char *s, char **ret)
{
	struct kd_error *err = install_unit_check(s, s);
	return err ? err : install_unit_text(s, true, ret);
}

KD_EXPORT struct kd_error *kd_install_unit_path(const char *s, char **ret)
{
	struct kd_error *err = install_unit_check(s, s);
	if (err)
		return err;
	size_t n = strlen(s);
	// systemd trims the value and takes a final backslash for a
	// continuation line; the path must be absolute (systemd.path(5)).
	if (s[0] != '/' || isspace((unsigned char)s[n - 1]) || s[n - 1] == '\\')
		return kd_error_create(KD_ERROR_INVALID,
				       "%s: a systemd path unit needs an absolute path that does not "
				       "end in white space or a backslash", s);
	return install_unit_text(s, false, ret);
}

KD_EXPORT struct kd_error *kd_install_grub_dropin(uint64_t size, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 "# Written by kexdump setup --apply-bootloader: memory reserved for the\n"
			 "# capture kernel (see kexdump's docs/setup.md). Remove this file and run\n"
			 "# update-grub to undo.\n"
			 "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=%lluM\"\n",
			 (unsigned long long)(size >> 20));
	if (n < 0 || (size_t)n >= len)
		return kd_error_create(KD_ERROR_INVALID, "GRUB drop-in: %zu bytes of room are too few", len);
	return NULL;
}

KD_EXPORT struct kd_error *kd_install_grub_reservation(const char *path, uint64_t ram,
						       uint64_t *size)
{
	FILE *f = fopen(path, "re");
	if (!f && errno == ENOENT)
		return kd_error_create(KD_ERROR_NOTFOUND, "%s: no such file", path);
	if (!f)
		return kd_error_os(errno, "%s", path);
	char line[512], value[128] = "";
	while (fgets(line, sizeof(line), f)) {
		if (line[strspn(line, " \t")] == '#')
			continue;
		// A word of its own: at the start, or after a blank or a quote.
		for (char *p = line; (p = strstr(p, "crashkernel=")); p += 12)
			if (p == line || strchr(" \t\"'", p[-1]))
				snprintf(value, sizeof(value), "%.*s",
					 (int)strcspn(p + 12, " \t\"'\n"), p + 12);
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad)
		return kd_error_os(EIO, "%s: read error", path);
	if (!value[0])
		return kd_error_create(KD_ERROR_NOTFOUND, "%s: no crashkernel=", path);
	return kd_error_prefix(kd_kexec_crashkernel_size(value, ram, size), "%s", path);
}
