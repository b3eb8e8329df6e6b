// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump as PID 1 of the capture kernel: mount proc/sys/dev, load the
// modules the initramfs carries, wait (bounded) for the dump target, mount
// it, write dmesg.txt, the dump and a summary into
// <path>/<host>-<YYYY-MM-DD-HH:MM:SS>/, sync, unmount, then the final
// action. On failure: say why on the console, save what can be saved (the
// log to the target, else its tail to the console), then the failure
// action. Every wait has a bound and PID 1 never returns.
//
// `kexdump capture` runs the same flow on a running system (no mounts of
// proc/sys/dev, no modules, never a final action): that is how it is tested
// with real dumps on the host.
//
// Console lines the QEMU harness parses, keep them exact:
//   kexdump-capture: started (kernel RELEASE)
//   kexdump-capture: dump complete: DIR (BYTES bytes in SECONDS s)
//   kexdump-capture: dump incomplete: DIR: WHY
//   kexdump-capture: dump failed: WHY
//   kexdump-capture: final action: reboot|poweroff|halt|shell
#include "../src/cli.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define CONFIG_PATH "/etc/kexdump.conf"
#define MODULES_LIST "/etc/kexdump.modules"	/* include/kexdump/initramfs.h */
#define MODULES_DIR "/lib/modules"
#define TARGET_MNT "/mnt"
#define CONSOLE_TAIL 50		/* log lines shown when nothing reaches the disk */
#define SUMMARY_RESERVE 4096	/* bytes allocated for the summary up front */
#define POLL_MS 100

struct capture {
	bool pid1;
	const char *config_path;
	bool config_given;	/* else a missing /etc/kexdump.conf is the defaults */
	const char *vmcore_path;
	const char *target_dir;	/* kexdump capture --target-dir */
	struct kd_config cfg;
	bool have_cfg;
	struct kd_dump *dump;
	struct kd_kernel *kernel;
	char release[65];	/* of the crashed kernel */
	char panic[256];
	char host[65];
	char date[32];		/* "YYYY-MM-DD HH:MM:SS" UTC */
	char mnt[PATH_MAX];	/* where we mounted the target, "" if we did not */
	char base[PATH_MAX];	/* folder holding the dump folders */
	char dir[PATH_MAX];	/* this capture's folder, "" until made */
	int summary_fd;		/* reserved early so a full disk cannot refuse it */
	bool dmesg_done;
	char dmesg_error[256];
	char error[512];	/* first failure, for the summary and console */
	struct kd_save_stats stats;
	double seconds;
};

enum outcome { OUT_COMPLETE, OUT_INCOMPLETE, OUT_FAILED };


static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("kexdump-capture: ", stdout);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

// Record the first failure and say it on the console.
static void fail(struct capture *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct capture *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say("ERROR: %s", msg);
	if (!c->error[0])
		snprintf(c->error, sizeof(c->error), "%s", msg);
}

static void fail_err(struct capture *c, struct kd_error *err)
{
	fail(c, "%s", kd_error_message(err));
	kd_error_destroy(err);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

// ------------------------------------------------------------ PID 1 setup

static void mount_api(const char *source, const char *target, const char *type,
		      unsigned long flags)
{
	mkdir(target, 0755);
	if (mount(source, target, type, flags, NULL) < 0 && errno != EBUSY)
		say("cannot mount %s on %s: %s", type, target, strerror(errno));
}

static void setup_pid1(void)
{
	mount_api("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	mount_api("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	mount_api("devtmpfs", "/dev", "devtmpfs", MS_NOSUID);
	// The kernel gives init /dev/console as fds 0-2 only when the
	// initramfs has that node; devtmpfs has it now.
	if (fcntl(1, F_GETFD) < 0) {
		int fd = open("/dev/console", O_RDWR | O_NOCTTY);
		if (fd >= 0) {
			for (int i = 0; i < 3; i++)
				if (fd != i)
					dup2(fd, i);
			if (fd > 2)
				close(fd);
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
}

// /etc/kexdump.modules: one name per line, in load order (dependencies
// first); each is /lib/modules/NAME.ko, uncompressed by the initramfs
// builder. A module that fails is reported and the rest still load: the
// target may not need it.
static void load_modules(void)
{
	FILE *f = fopen(MODULES_LIST, "re");
	if (!f)
		return;
	char line[128];
	unsigned int loaded = 0, failed = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (strchr(line, '/') || strlen(line) > 63) {
			say("%s: bad module name '%s'", MODULES_LIST, line);
			continue;
		}
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s.ko", MODULES_DIR, line);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			say("module %s: cannot open %s: %s", line, path, strerror(errno));
			failed++;
			continue;
		}
		if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST) {
			say("module %s: cannot load: %s", line, strerror(errno));
			failed++;
		} else {
			loaded++;
		}
		close(fd);
	}
	fclose(f);
	say("%u modules loaded%s", loaded, failed ? " (some failed, see above)" : "");
}

// -------------------------------------------------------------- the dump

struct panic_ctx {
	char *out;
	size_t outlen;
	bool found_panic, found_sysrq;
};

static void first_line(const char *text, size_t len, char *out, size_t outlen)
{
	size_t n = 0;
	while (n < len && text[n] != '\n')
		n++;
	if (n >= outlen)
		n = outlen - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (unsigned char)text[i] < 0x20 || text[i] == 0x7f ? '?' : text[i];
	out[n] = '\0';
}

static struct kd_error *find_panic(const struct kd_printk_record *rec, void *arg)
{
	struct panic_ctx *p = arg;
	bool panic = memmem(rec->text, rec->text_len, "Kernel panic - not syncing", 26);
	bool sysrq = !panic && memmem(rec->text, rec->text_len, "sysrq: Trigger a crash", 22);
	if (!panic && !(sysrq && !p->found_sysrq))
		return NULL;
	char *line;
	size_t len;
	struct kd_error *err = kd_printk_format(rec, false, &line, &len);
	if (err)
		return err;
	first_line(line, len, p->out, p->outlen);
	free(line);
	p->found_sysrq |= sysrq;
	if (panic) {
		p->found_panic = true;
		// The first panic line is the one; stop walking.
		return &kd_stop;
	}
	return NULL;
}

static bool open_dump(struct capture *c)
{
	struct kd_error *err = kd_dump_open(c->vmcore_path, &c->dump);
	if (!err)
		err = kd_kernel_open(c->dump, NULL, &c->kernel);
	if (err) {
		fail_err(c, err);
		return false;
	}
	const char *rel;
	if (!kd_vmcoreinfo_string(kd_kernel_vmcoreinfo(c->kernel), "OSRELEASE", &rel))
		first_line(rel, strlen(rel), c->release, sizeof(c->release));
	struct panic_ctx p = { .out = c->panic, .outlen = sizeof(c->panic) };
	err = kd_printk_iterate(c->kernel, find_panic, &p);
	if (err)
		say("no panic line: %s", kd_error_message(err));
	kd_error_destroy(err);
	return true;
}

struct write_ctx {
	FILE *out;
	uint64_t skip;		/* records to skip (console tail) */
	uint64_t count;
};

static struct kd_error *write_record(const struct kd_printk_record *rec, void *arg)
{
	struct write_ctx *w = arg;
	if (w->count++ < w->skip)
		return NULL;
	if (!w->out)
		return NULL;	// counting pass
	char *line;
	size_t len;
	struct kd_error *err = kd_printk_format(rec, false, &line, &len);
	if (err)
		return err;
	size_t n = fwrite(line, 1, len, w->out);
	free(line);
	if (n != len)
		return kd_error_os(errno ? errno : EIO, "writing the kernel log");
	return NULL;
}

// The last @p lines records of the crashed kernel's log on the console.
static void console_tail(struct capture *c, uint64_t lines)
{
	if (!c->kernel)
		return;
	struct write_ctx w = { 0 };
	struct kd_error *err = kd_printk_iterate(c->kernel, write_record, &w);
	if (err) {
		say("cannot read the kernel log: %s", kd_error_message(err));
		kd_error_destroy(err);
		return;
	}
	say("last %llu lines of the crashed kernel's log:",
	    (unsigned long long)(w.count < lines ? w.count : lines));
	struct write_ctx t = { .out = stdout, .skip = w.count > lines ? w.count - lines : 0 };
	kd_error_destroy(kd_printk_iterate(c->kernel, write_record, &t));
	fflush(stdout);
}

// ------------------------------------------------------------ the target

static bool valid_host(const char *h)
{
	if (!*h || *h == '-' || *h == '.' || strlen(h) > 64)
		return false;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && *h != '-' && *h != '.')
			return false;
	return true;
}

static struct kd_error *mkdir_p(const char *path)
{
	char p[PATH_MAX];
	if ((size_t)snprintf(p, sizeof(p), "%s", path) >= sizeof(p))
		return kd_error_create(KD_ERROR_INVALID, "%s: path too long", path);
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return kd_error_os(errno, "%s: cannot create", p);
		if (!saved)
			return NULL;
		*s = saved;
	}
}

static bool wait_device(struct capture *c, struct kd_blkdev_info *info)
{
	double deadline = now() + c->cfg.device_timeout;
	bool told = false;
	for (;;) {
		struct kd_error *err = kd_blkdev_find(c->cfg.target, NULL, NULL, info);
		if (!err)
			return true;
		if (!kd_error_catch(&err, KD_ERROR_NOTFOUND)) {
			fail(c, "target %s: %s", c->cfg.target, kd_error_message(err));
			kd_error_destroy(err);
			return false;
		}
		if (now() >= deadline) {
			fail(c, "target %s did not appear within %u s (driver module missing?)",
			     c->cfg.target, c->cfg.device_timeout);
			return false;
		}
		if (!told) {
			say("waiting up to %u s for %s", c->cfg.device_timeout, c->cfg.target);
			told = true;
		}
		sleep_ms(POLL_MS);
	}
}

static void devnode(const struct kd_blkdev_info *info, char *out, size_t outlen)
{
	snprintf(out, outlen, "/dev/%s", info->name);
	for (char *p = out + 5; *p; p++)
		if (*p == '!')
			*p = '/';
}

// Mount the filesystem target; base becomes <mount point><path>.
static bool mount_target(struct capture *c, const struct kd_blkdev_info *info)
{
	char node[64];
	devnode(info, node, sizeof(node));
	const char *type = c->cfg.fstype[0] ? c->cfg.fstype : info->fstype;
	if (!type[0]) {
		fail(c, "%s (%s): no filesystem found on it", c->cfg.target, node);
		return false;
	}
	char where[PATH_MAX];
	if (c->pid1) {
		snprintf(where, sizeof(where), "%s", TARGET_MNT);
		mkdir(where, 0700);
	} else {
		// kexdump capture on a running system: the target may be mounted.
		struct kd_error *err = kd_blkdev_mountpoint(info->major, info->minor, NULL,
							    where, sizeof(where));
		if (!err)
			goto mounted;
		kd_error_destroy(err);
		snprintf(where, sizeof(where), "/tmp/kexdump-capture-XXXXXX");
		if (!mkdtemp(where)) {
			fail(c, "cannot create a mount point: %s", strerror(errno));
			return false;
		}
	}
	if (mount(node, where, type, MS_NOATIME | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		int e = errno;
		fail(c, "cannot mount %s (%s, %s) on %s: %s%s", c->cfg.target, node, type,
		     where, strerror(e),
		     e == ENODEV ? " (the filesystem's module is not loaded)" : "");
		if (!c->pid1)
			rmdir(where);
		return false;
	}
	snprintf(c->mnt, sizeof(c->mnt), "%s", where);
	say("mounted %s (%s) on %s", node, type, where);
mounted:
	if ((size_t)snprintf(c->base, sizeof(c->base), "%s%s", strcmp(where, "/") ? where : "",
			     c->cfg.path) >= sizeof(c->base)) {
		fail(c, "dump path too long");
		return false;
	}
	return true;
}

// <base>/<host>-<YYYY-MM-DD-HH:MM:SS>, 0700; a second capture within the
// same second waits for the next one rather than mixing two dumps.
static bool make_dir(struct capture *c)
{
	struct kd_error *err = mkdir_p(c->base);
	if (err) {
		fail_err(c, err);
		return false;
	}
	for (int tries = 0; tries < 3; tries++) {
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		char stamp[32];
		strftime(stamp, sizeof(stamp), "%Y-%m-%d-%H:%M:%S", &tm);
		char path[PATH_MAX];
		if ((size_t)snprintf(path, sizeof(path), "%s/%s-%s", c->base, c->host, stamp) >=
		    sizeof(path)) {
			fail(c, "dump folder name too long");
			return false;
		}
		if (mkdir(path, 0700) == 0) {
			snprintf(c->dir, sizeof(c->dir), "%s", path);
			strftime(c->date, sizeof(c->date), "%Y-%m-%d %H:%M:%S", &tm);
			return true;
		}
		if (errno != EEXIST) {
			fail(c, "%s: cannot create: %s", path, strerror(errno));
			return false;
		}
		sleep_ms(1000);
	}
	fail(c, "cannot create a new dump folder under %s: names taken", c->base);
	return false;
}

static int create_in_dir(struct capture *c, const char *name, char *path, size_t len)
{
	if ((size_t)snprintf(path, len, "%s/%s", c->dir, name) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

// dmesg.txt first: the log is what a user reads first, and it is small
// enough to fit where the dump does not.
static void write_dmesg(struct capture *c)
{
	char path[PATH_MAX];
	int fd = create_in_dir(c, "dmesg.txt", path, sizeof(path));
	if (fd < 0) {
		snprintf(c->dmesg_error, sizeof(c->dmesg_error), "cannot create %.180s: %s",
			 path, strerror(errno));
		say("%s", c->dmesg_error);
		return;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return;
	}
	struct write_ctx w = { .out = f };
	struct kd_error *err = kd_printk_iterate(c->kernel, write_record, &w);
	if (fflush(f) != 0 && !err)
		err = kd_error_os(errno, "%s: cannot write", path);
	fsync(fileno(f));
	fclose(f);
	c->dmesg_done = true;
	if (err) {
		snprintf(c->dmesg_error, sizeof(c->dmesg_error), "%s", kd_error_message(err));
		say("dmesg.txt: %s", c->dmesg_error);
		kd_error_destroy(err);
	}
}

// Reserve the summary's blocks before the dump can fill the disk; it is
// rewritten in place at the end.
static void reserve_summary(struct capture *c)
{
	char path[PATH_MAX];
	c->summary_fd = create_in_dir(c, "summary", path, sizeof(path));
	if (c->summary_fd < 0) {
		say("cannot create %s: %s", path, strerror(errno));
		return;
	}
	if (posix_fallocate(c->summary_fd, 0, SUMMARY_RESERVE) != 0) {
		// No fallocate (vfat): zeros take the space all the same.
		static const char zeros[SUMMARY_RESERVE];
		if (pwrite(c->summary_fd, zeros, sizeof(zeros), 0) < 0)
			return;
	}
}

static void put_value(FILE *f, const char *key, const char *v)
{
	fprintf(f, "%s=", key);
	for (; *v; v++)
		fputc((unsigned char)*v < 0x20 || *v == 0x7f ? '?' : *v, f);
	fputc('\n', f);
}

// The summary (format in lib/dumpdir.c).
static void write_summary(struct capture *c, enum outcome out)
{
	if (c->summary_fd < 0)
		return;
	static const char *const status[] = { "complete", "incomplete", "failed" };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return;
	put_value(f, "status", status[out]);
	put_value(f, "error", out == OUT_COMPLETE ? "" : c->error);
	put_value(f, "release", c->release);
	put_value(f, "panic", c->panic);
	put_value(f, "host", c->host);
	put_value(f, "date", c->date);
	fprintf(f, "dump_level=%u\n", c->cfg.dump_level);
	put_value(f, "codec", kd_save_codec_name(c->stats.codec));
	put_value(f, "format", kd_save_format_name(c->cfg.format));
	fprintf(f, "bytes_written=%llu\n", (unsigned long long)c->stats.bytes_out);
	fprintf(f, "pages_written=%llu\n", (unsigned long long)c->stats.pages_written);
	fprintf(f, "seconds=%.2f\n", c->seconds);
	if (c->dmesg_error[0])
		put_value(f, "dmesg_error", c->dmesg_error);
	if (c->stats.warning[0])
		put_value(f, "warning", c->stats.warning);
	if (fclose(f) != 0) {
		free(text);
		return;
	}
	if (pwrite(c->summary_fd, text, len, 0) != (ssize_t)len ||
	    ftruncate(c->summary_fd, (off_t)len) < 0 || fsync(c->summary_fd) < 0)
		say("cannot write %s/summary: %s", c->dir, strerror(errno));
	free(text);
	close(c->summary_fd);
	c->summary_fd = -1;
}

static void sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static void save_options(const struct capture *c, struct kd_save_options *o)
{
	memset(o, 0, sizeof(*o));
	o->format = (enum kd_save_format)c->cfg.format;
	o->codec = (enum kd_save_codec)c->cfg.codec;
	o->level = c->cfg.level;
	o->dump_level = c->cfg.dump_level;
	o->threads = 0;		// online CPUs (one in a nr_cpus=1 capture kernel)
}

static enum outcome save_result(struct capture *c, struct kd_error *err)
{
	if (!err)
		return OUT_COMPLETE;
	bool partial = c->stats.incomplete;
	fail(c, "%s", kd_error_message(err));
	kd_error_destroy(err);
	return partial ? OUT_INCOMPLETE : OUT_FAILED;
}

// A raw block device: the dump goes onto it at offset 0; the log goes to
// the console, there being no filesystem for dmesg.txt.
static enum outcome capture_raw(struct capture *c)
{
	struct kd_blkdev_info info;
	if (!wait_device(c, &info))
		return OUT_FAILED;
	char node[64];
	devnode(&info, node, sizeof(node));
	snprintf(c->dir, sizeof(c->dir), "%s", node);
	console_tail(c, CONSOLE_TAIL);
	// O_EXCL on a block device: refuse one that is mounted.
	int fd = open(node, O_WRONLY | O_EXCL | O_CLOEXEC);
	if (fd < 0) {
		fail(c, "cannot open %s for writing: %s", node, strerror(errno));
		return OUT_FAILED;
	}
	struct kd_save_options o;
	save_options(c, &o);
	double t0 = now();
	memset(&c->stats, 0, sizeof(c->stats));
	struct kd_error *err = kd_save_fd(c->kernel, fd, true, &o, &c->stats);
	if (fsync(fd) < 0 && !err)
		err = kd_error_os(errno, "%s: fsync failed", node);
	close(fd);
	c->seconds = now() - t0;
	return save_result(c, err);
}

static enum outcome capture_fs(struct capture *c)
{
	if (c->target_dir) {
		snprintf(c->base, sizeof(c->base), "%s", c->target_dir);
	} else if (!c->cfg.target[0]) {
		if (c->pid1) {
			fail(c, "no target in %s (run kexdump setup)", c->config_path);
			return OUT_FAILED;
		}
		snprintf(c->base, sizeof(c->base), "%s", c->cfg.path);
	} else {
		struct kd_blkdev_info info;
		if (!wait_device(c, &info) || !mount_target(c, &info))
			return OUT_FAILED;
	}
	if (!make_dir(c))
		return OUT_FAILED;
	if (!c->kernel) {
		// No dump to read: the summary on the target still says why,
		// for kexdump list/status after the reboot.
		reserve_summary(c);
		write_summary(c, OUT_FAILED);
		sync_path(c->dir);
		return OUT_FAILED;
	}
	write_dmesg(c);
	reserve_summary(c);
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/vmcore", c->dir) >= sizeof(path)) {
		fail(c, "dump folder path too long");
		return OUT_FAILED;
	}
	struct kd_save_options o;
	save_options(c, &o);
	say("saving to %s (dump level %u, %s, %s)", path, o.dump_level,
	    kd_save_codec_name(o.codec), kd_save_format_name(o.format));
	double t0 = now();
	struct kd_error *err = kd_save_file(c->kernel, path, false, &o, &c->stats);
	c->seconds = now() - t0;
	enum outcome out = save_result(c, err);
	write_summary(c, out);
	sync_path(c->dir);
	return out;
}

static void unmount_target(struct capture *c)
{
	sync();
	if (!c->mnt[0])
		return;
	if (umount2(c->mnt, 0) < 0) {
		say("cannot unmount %s: %s; detaching it", c->mnt, strerror(errno));
		umount2(c->mnt, MNT_DETACH);
	}
	if (!c->pid1)
		rmdir(c->mnt);
	c->mnt[0] = '\0';
}

// What is left to do after a failure: the log where someone will see it.
static void fallback(struct capture *c)
{
	if (c->dir[0] && c->cfg.target_kind == KD_TARGET_FS && !c->dmesg_done && c->kernel)
		write_dmesg(c);
	if (c->summary_fd >= 0)
		write_summary(c, OUT_FAILED);
	if (!c->dmesg_done)
		console_tail(c, CONSOLE_TAIL);
}

static enum outcome run(struct capture *c)
{
	// PID 1 needs the config setup wrote: without it there is no target.
	struct kd_error *err = kd_config_load(c->config_path,
					      !c->pid1 && !c->config_given, &c->cfg);
	if (err) {
		fail_err(c, err);
		kd_config_default(&c->cfg);
		// Without a config there is no target: show the log at least.
		if (open_dump(c))
			console_tail(c, CONSOLE_TAIL);
		return OUT_FAILED;
	}
	c->have_cfg = true;
	struct utsname u;
	const char *host = c->cfg.hostname;
	if (!host[0] && uname(&u) == 0 && valid_host(u.nodename))
		host = u.nodename;
	snprintf(c->host, sizeof(c->host), "%s", host[0] ? host : "localhost");
	if (c->pid1)
		load_modules();
	bool have_dump = open_dump(c);
	if (!have_dump && (c->cfg.target_kind == KD_TARGET_RAW && !c->target_dir))
		return OUT_FAILED;
	if (c->release[0])
		say("dumping %s%s%s", c->release, c->panic[0] ? ": " : "", c->panic);
	enum outcome out = c->cfg.target_kind == KD_TARGET_RAW && !c->target_dir ?
		capture_raw(c) : capture_fs(c);
	if (out == OUT_FAILED)
		fallback(c);
	return out;
}

static void final_action(struct capture *c, enum kd_action action)
{
	if (!c->pid1) {
		// kexdump capture never reboots the running system.
		say("final action: %s (not taken outside the capture kernel)",
		    kd_action_name(action));
		return;
	}
	say("final action: %s", kd_action_name(action));
	sync();
	switch (action) {
	case KD_ACTION_SHELL:
		if (access("/bin/sh", X_OK) == 0) {
			char *const argv[] = { (char *)"sh", NULL };
			execv("/bin/sh", argv);
			say("cannot run /bin/sh: %s", strerror(errno));
		} else {
			say("no /bin/sh in the capture initramfs; halting");
		}
		reboot(RB_HALT_SYSTEM);
		break;
	case KD_ACTION_POWEROFF:
		reboot(RB_POWER_OFF);
		break;
	case KD_ACTION_HALT:
		reboot(RB_HALT_SYSTEM);
		break;
	case KD_ACTION_REBOOT:
	default:
		reboot(RB_AUTOBOOT);
		break;
	}
	say("%s failed: %s; stopping here", kd_action_name(action), strerror(errno));
	// PID 1 must not exit: the kernel would panic again.
	for (;;)
		pause();
}

static int finish(struct capture *c, enum outcome out)
{
	unmount_target(c);
	switch (out) {
	case OUT_COMPLETE:
		say("dump complete: %s (%llu bytes in %.1f s)", c->dir,
		    (unsigned long long)c->stats.bytes_out, c->seconds);
		break;
	case OUT_INCOMPLETE:
		say("dump incomplete: %s: %s", c->dir, c->error);
		break;
	case OUT_FAILED:
		say("dump failed: %s", c->error[0] ? c->error : "unknown error");
		break;
	}
	kd_kernel_close(c->kernel);
	kd_dump_close(c->dump);
	c->kernel = NULL;
	c->dump = NULL;
	final_action(c, out == OUT_COMPLETE ? c->cfg.final_action : c->cfg.failure_action);
	return out == OUT_COMPLETE ? 0 : EXIT_BAD_INPUT;
}

int capture_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct capture c = {
		.pid1 = true,
		.config_path = CONFIG_PATH,
		.vmcore_path = "/proc/vmcore",
		.summary_fd = -1,
	};
	kd_config_default(&c.cfg);
	setup_pid1();
	struct utsname u;
	say("started (kernel %s)", uname(&u) == 0 ? u.release : "unknown");
	return finish(&c, run(&c));
}

int cmd_capture(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "vmcore", required_argument, NULL, 'v' },
		{ "target-dir", required_argument, NULL, 't' },
		{ "no-action", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char usage[] = "kexdump capture [--config FILE] [--vmcore FILE] "
				    "[--target-dir DIR] [--no-action]";
	struct capture c = {
		.config_path = CONFIG_PATH,
		.vmcore_path = "/proc/vmcore",
		.summary_fd = -1,
	};
	kd_config_default(&c.cfg);
	int opt;
	while ((opt = getopt_long(argc, argv, "c:v:t:nh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			c.config_path = optarg;
			c.config_given = true;
			break;
		case 'v':
			c.vmcore_path = optarg;
			break;
		case 't':
			c.target_dir = optarg;
			break;
		case 'n':
			break;	// the final action is only ever taken as PID 1
		default:
			return cli_usage("%s", usage);
		}
	}
	if (optind != argc)
		return cli_usage("%s", usage);
	struct utsname u;
	say("started (kernel %s)", uname(&u) == 0 ? u.release : "unknown");
	return finish(&c, run(&c));
}
