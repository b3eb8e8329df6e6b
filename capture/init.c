// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump as PID 1 of the capture kernel: mount proc/sys/dev, load the
// modules the initramfs carries, wait (bounded) for the dump target, mount
// it, write dmesg.txt, the dump, a summary and report.txt into
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
//   kexdump-capture: report.txt written in SECONDS s: SIGNATURE
//
// A watchdog thread bounds the whole capture (capture_timeout, or a
// default growing with the dump): a save, sync() or umount stuck on a hung
// disk leaves the main thread in D state, and the watchdog then takes the
// failure action itself, without sync.
#include "capture.h"
#include "report.h"
#include "internal.h"

#include <kexdump/service.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
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

#define MODULES_LIST "/etc/kexdump.modules"	/* include/kexdump/service/initramfs.h */
#define MODULES_DIR "/lib/modules"
#define POLL_MS 100
#define COPY_CHUNK (1u << 20)	/* the ELF-copy fallback's buffer */
#define COPY_BLOCK 4096u	/* all-zero blocks of it are left as holes */
// Exit codes of `kexdump capture`, as every kexdump command's (src/cli.h).
#define CAPTURE_EXIT_FAILED 1
#define CAPTURE_EXIT_USAGE 2

void capture_say(const char *fmt, ...)
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
void capture_fail(struct capture *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	capture_say("ERROR: %s", msg);
	if (!c->error[0])
		snprintf(c->error, sizeof(c->error), "%s", msg);
}

void capture_fail_err(struct capture *c, struct kd_error *err)
{
	capture_fail(c, "%s", kd_error_message(err));
	kd_error_destroy(err);
}

double capture_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void capture_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

// ------------------------------------------------------------ PID 1 setup

static void capture_mount_api(const char *source, const char *target, const char *type,
		      unsigned long flags)
{
	mkdir(target, 0755);
	if (mount(source, target, type, flags, NULL) < 0 && errno != EBUSY)
		capture_say("cannot mount %s on %s: %s", type, target, strerror(errno));
}

static void capture_setup_pid1(void)
{
	capture_mount_api("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	capture_mount_api("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC);
	capture_mount_api("devtmpfs", "/dev", "devtmpfs", MS_NOSUID);
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
static void capture_load_modules(void)
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
			capture_say("%s: bad module name '%s'", MODULES_LIST, line);
			continue;
		}
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s.ko", MODULES_DIR, line);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			capture_say("module %s: cannot open %s: %s", line, path, strerror(errno));
			failed++;
			continue;
		}
		if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST) {
			capture_say("module %s: cannot load: %s", line, strerror(errno));
			failed++;
		} else {
			loaded++;
		}
		close(fd);
	}
	fclose(f);
	capture_say("%u modules loaded%s", loaded, failed ? " (some failed, see above)" : "");
}

// -------------------------------------------------------------- the dump

// The first line of @p text, control bytes as '?'.
static void capture_first_line(const char *text, size_t len, char *out, size_t outlen)
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

static bool capture_open_dump(struct capture *c)
{
	struct kd_error *err = kd_dump_open(c->vmcore_path, &c->dump);
	if (err) {
		capture_fail_err(c, err);
		return false;
	}
	err = kd_kernel_open(c->dump, NULL, &c->kernel);
	if (err) {
		// Every page is still readable: copy the dump as it is
		// (capture_copy_dump) rather than write nothing.
		snprintf(c->fallback_why, sizeof(c->fallback_why), "%s", kd_error_message(err));
		capture_say("cannot interpret the crashed kernel: %s; copying the dump as it is",
			    c->fallback_why);
		kd_error_destroy(err);
		return false;
	}
	const char *rel;
	err = kd_vmcoreinfo_string(kd_kernel_vmcoreinfo(c->kernel), "OSRELEASE", &rel);
	if (!err)
		capture_first_line(rel, strlen(rel), c->release, sizeof(c->release));
	kd_error_destroy(err);	// no release: the summary leaves it out
	err = kd_printk_find_panic(c->kernel, c->panic, sizeof(c->panic));
	if (err)
		capture_say("no panic line: %s", kd_error_message(err));
	kd_error_destroy(err);
	return true;
}


struct kd_error *capture_write_record(const struct kd_printk_record *rec, void *arg)
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
void capture_console_tail(struct capture *c, uint64_t lines)
{
	if (!c->kernel)
		return;
	struct write_ctx w = { 0 };
	struct kd_error *err = kd_printk_iterate(c->kernel, capture_write_record, &w);
	if (err) {
		capture_say("cannot read the kernel log: %s", kd_error_message(err));
		kd_error_destroy(err);
		return;
	}
	capture_say("last %llu lines of the crashed kernel's log:",
	    (unsigned long long)(w.count < lines ? w.count : lines));
	struct write_ctx t = { .out = stdout, .skip = w.count > lines ? w.count - lines : 0 };
	kd_error_destroy(kd_printk_iterate(c->kernel, capture_write_record, &t));
	fflush(stdout);
}

// ------------------------------------------------------------ the target

// Resolve the configured target (kd_target_resolve, as setup and
// initramfs did), waiting a bounded time for the device to appear: its
// driver may still be probing.
static bool capture_wait_target(struct capture *c, struct kd_target *t)
{
	double deadline = capture_now() + c->cfg.device_timeout;
	bool told = false, dm_done = !c->cfg.ndm;
	for (;;) {
		// A target on device-mapper (an LVM logical volume): its stack
		// as setup recorded it, created once the devices under it are
		// there (lib/service/dm.c).
		struct kd_error *err = NULL;
		if (!dm_done) {
			char made[512] = "";
			err = kd_dm_activate(&c->cfg, NULL, NULL, made, sizeof(made));
			if (made[0])
				capture_say("device-mapper: created %s", made);
			dm_done = !err;
		}
		if (!err)
			err = kd_target_resolve(&c->cfg, NULL, t);
		if (!err)
			return true;
		char why[384];
		snprintf(why, sizeof(why), "%s", kd_error_message(err));
		if (!kd_error_catch(&err, KD_ERROR_NOTFOUND)) {
			capture_fail(c, "%s", kd_error_message(err));	// it names the target
			kd_error_destroy(err);
			return false;
		}
		if (capture_now() >= deadline) {
			if (!dm_done)
				capture_fail(c, "target %s: %s within %u s (driver module missing?)",
					     c->cfg.target, why, c->cfg.device_timeout);
			else
				capture_fail(c, "target %s did not appear within %u s (driver module missing?)",
					     c->cfg.target, c->cfg.device_timeout);
			return false;
		}
		if (!told) {
			capture_say("waiting up to %u s for %s", c->cfg.device_timeout, c->cfg.target);
			told = true;
		}
		capture_sleep_ms(POLL_MS);
	}
}

static void capture_devnode(const struct kd_blkdev_info *info, char *out, size_t outlen)
{
	snprintf(out, outlen, "/dev/%s", info->name);
	for (char *p = out + 5; *p; p++)
		if (*p == '!')
			*p = '/';
}

// Mount the filesystem target; base becomes the dump folder inside it.
static bool capture_mount_target(struct capture *c, const struct kd_target *t)
{
	if (!c->pid1 && t->mounted) {
		// kexdump capture on a running system: already mounted here.
		snprintf(c->base, sizeof(c->base), "%s", t->local_path);
		return true;
	}
	char node[64];
	capture_devnode(&t->dev, node, sizeof(node));
	const char *type = t->config.fstype;
	char where[PATH_MAX];
	if (c->pid1) {
		snprintf(where, sizeof(where), "%s", TARGET_MNT);
		mkdir(where, 0700);
	} else {
		snprintf(where, sizeof(where), "/tmp/kexdump-capture-XXXXXX");
		if (!mkdtemp(where)) {
			capture_fail(c, "cannot create a mount point: %s", strerror(errno));
			return false;
		}
	}
	// btrfs: its subvolume and member devices (lib/service/btrfs.c).
	char data[1024];
	struct kd_error *merr = kd_btrfs_target_mount_data(t, NULL, NULL, data, sizeof(data));
	if (merr) {
		capture_fail_err(c, merr);
		if (!c->pid1)
			rmdir(where);
		return false;
	}
	if (mount(node, where, type, MS_NOATIME | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  data[0] ? data : NULL) < 0) {
		int e = errno;
		capture_fail(c, "cannot mount %s (%s, %s%s%s) on %s: %s%s", c->cfg.target, node, type,
		     data[0] ? ", " : "", data, where, strerror(e),
		     e == ENODEV ? " (the filesystem's module is not loaded)" : "");
		if (!c->pid1)
			rmdir(where);
		return false;
	}
	snprintf(c->mnt, sizeof(c->mnt), "%s", where);
	capture_say("mounted %s (%s%s%s) on %s", node, type, data[0] ? ", " : "", data, where);
	// The config holds the folder's path inside the filesystem
	// (kd_target_resolve wrote it so when the initramfs was built).
	struct kd_error *err = kd_target_join(where, t->config.path, c->base, sizeof(c->base));
	if (err) {
		capture_fail_err(c, err);
		return false;
	}
	return true;
}

// <base>/<host>-<YYYY-MM-DD-HH:MM:SS>, 0700 (kd_dumpdir_create).
static bool capture_make_dir(struct capture *c)
{
	struct kd_error *err = kd_dumpdir_create(c->base, c->host, &c->dumpdir);
	if (err) {
		capture_fail_err(c, err);
		return false;
	}
	snprintf(c->dir, sizeof(c->dir), "%s", kd_dumpdir_path(c->dumpdir));
	return true;
}

// dmesg.txt first: the log is what a user reads first, and it is small
// enough to fit where the dump does not.
void capture_write_dmesg(struct capture *c)
{
	int fd;
	struct kd_error *err = kd_dumpdir_create_file(c->dumpdir, KD_DUMPDIR_DMESG, &fd);
	if (err) {
		snprintf(c->dmesg_error, sizeof(c->dmesg_error), "%s", kd_error_message(err));
		kd_error_destroy(err);
		capture_say("%s", c->dmesg_error);
		return;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return;
	}
	struct write_ctx w = { .out = f };
	err = kd_printk_iterate(c->kernel, capture_write_record, &w);
	if (fflush(f) != 0 && !err)
		err = kd_error_os(errno, "%s/%s: cannot write", c->dir, KD_DUMPDIR_DMESG);
	// A write error the kernel reports only at writeback shows here.
	if (fsync(fileno(f)) != 0 && !err)
		err = kd_error_os(errno, "%s/%s: fsync failed", c->dir, KD_DUMPDIR_DMESG);
	if (fclose(f) != 0 && !err)
		err = kd_error_os(errno, "%s/%s: close failed", c->dir, KD_DUMPDIR_DMESG);
	c->dmesg_done = true;
	c->any_dmesg |= !err;
	if (err) {
		snprintf(c->dmesg_error, sizeof(c->dmesg_error), "%s", kd_error_message(err));
		capture_say("dmesg.txt: %s", c->dmesg_error);
		kd_error_destroy(err);
	}
}

// Reserve the summary's blocks before the dump can fill the disk; it is
// written over them at the end.
static void capture_reserve_summary(struct capture *c)
{
	struct kd_error *err = kd_dumpdir_reserve_summary(c->dumpdir);
	if (err) {
		capture_say("%s", kd_error_message(err));
		kd_error_destroy(err);
	}
}

void capture_summary(struct capture *c, enum outcome out, struct kd_dumpdir_summary *s,
		     const char **failed)
{
	kd_save_auto_describe(&c->stats, c->compress_auto, sizeof(c->compress_auto));
	*s = (struct kd_dumpdir_summary){
		.status = (enum kd_dumpdir_status)out,
		.error = c->error,
		.release = c->release,
		.panic = c->panic,
		.dump_level = c->fallback ? 0 : c->cfg.dump_level,
		.codec = c->fallback ? "none" : kd_save_codec_name(c->stats.codec),
		.format = c->fallback ? "elf" : kd_save_format_name(c->cfg.format),
		.bytes_written = c->stats.bytes_out,
		.pages_written = c->stats.pages_written,
		.seconds = c->seconds,
		.dmesg_error = c->dmesg_error,
		.warning = c->warning[0] ? c->warning : c->stats.warning,
		.fallback = c->fallback,
		.target = c->target_name,
		.nfailed = c->nfailed,
		.link_drops = c->link_drops,
		.link_resumed = c->link_resumed,
		.compress_auto = c->fallback ? NULL : c->compress_auto,
	};
	for (size_t i = 0; i < c->nfailed; i++)
		failed[i] = c->failed[i];
	s->failed = failed;
}

void capture_say_auto(struct capture *c)
{
	kd_save_auto_describe(&c->stats, c->compress_auto, sizeof(c->compress_auto));
	if (c->compress_auto[0])
		capture_say("compress auto: %s", c->compress_auto);
}

// The summary (format in lib/service/dumpdir.c); nothing when none is
// reserved.
void capture_write_summary(struct capture *c, enum outcome out)
{
	if (!c->dumpdir)
		return;
	struct kd_dumpdir_summary s;
	const char *failed[KD_CONFIG_MAX_TARGETS];
	capture_summary(c, out, &s, failed);
	struct kd_error *err = kd_dumpdir_write_summary(c->dumpdir, &s);
	if (err) {
		capture_say("%s", kd_error_message(err));
		kd_error_destroy(err);
	}
}

// fsync the dump folder (its new entries) and let it go.
static void capture_close_dir(struct capture *c)
{
	struct kd_error *err = kd_dumpdir_close(c->dumpdir);
	c->dumpdir = NULL;
	if (err) {
		capture_say("%s", kd_error_message(err));
		kd_error_destroy(err);
	}
}

void capture_save_options(const struct capture *c, struct kd_save_options *o)
{
	memset(o, 0, sizeof(*o));
	o->format = (enum kd_save_format)c->cfg.format;
	o->codec = (enum kd_save_codec)c->cfg.codec;
	o->level = c->cfg.level;
	o->dump_level = c->cfg.dump_level;
	o->threads = 0;		// online CPUs (one in a nr_cpus=1 capture kernel)
}

static bool capture_zero_block(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

// The fallback when the kernel cannot be interpreted: the dump copied as it
// is (for /proc/vmcore an ELF core, headers and every segment), with
// bounded memory, up to @p limit bytes (0: none). When @p holes, all-zero
// blocks are skipped (a sparse file); a raw device gets them written.
static struct kd_error *capture_copy(int in, int out, bool holes, uint64_t limit,
				     const char *dst, uint64_t *bytes_ret)
{
	char *buf = malloc(COPY_CHUNK);
	if (!buf)
		return kd_error_create(KD_ERROR_NOMEM, "out of memory for the copy");
	struct kd_error *err = NULL;
	uint64_t off = 0;
	for (;;) {
		ssize_t n = read(in, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = kd_error_os(errno, "reading the dump at %llu", (unsigned long long)off);
			break;
		}
		if (n == 0)
			break;
		if (limit && off + (uint64_t)n > limit) {
			err = kd_error_os(ENOSPC, "%s: the dump does not fit (%llu bytes)", dst,
					  (unsigned long long)limit);
			break;
		}
		for (size_t b = 0; b < (size_t)n && !err;) {
			size_t len = (size_t)n - b < COPY_BLOCK ? (size_t)n - b : COPY_BLOCK;
			if (holes && capture_zero_block(buf + b, len)) {
				b += len;
				continue;
			}
			ssize_t w = pwrite(out, buf + b, len, (off_t)(off + b));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				err = kd_error_os(w < 0 ? errno : ENOSPC, "%s: cannot write at %llu", dst,
						  (unsigned long long)(off + b));
			else
				b += (size_t)w;
		}
		if (err)
			break;
		off += (uint64_t)n;
		*bytes_ret = off;
	}
	// The holes at the end are part of the file.
	if (!err && holes && ftruncate(out, (off_t)off) < 0)
		err = kd_error_os(errno, "%s: cannot set its size", dst);
	if (!err && fsync(out) < 0)
		err = kd_error_os(errno, "%s: fsync failed", dst);
	free(buf);
	return err;
}

static void capture_note_fallback(struct capture *c)
{
	c->fallback = "elf-copy";
	snprintf(c->warning, sizeof(c->warning),
		 "the crashed kernel could not be interpreted (%s): the vmcore is a copy of "
		 "the dump as it is, every page, no page filtering", c->fallback_why);
	capture_say("WARNING: %s", c->warning);
}

// The ELF-copy fallback into the dump folder: vmcore.incomplete, renamed
// vmcore when whole or cut short after some bytes (then marked incomplete
// in the summary).
static enum outcome capture_copy_dump(struct capture *c)
{
	capture_note_fallback(c);
	snprintf(c->dmesg_error, sizeof(c->dmesg_error), "no kernel log: %.200s",
		 c->fallback_why);
	capture_reserve_summary(c);
	int in = open(c->vmcore_path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		capture_fail(c, "%s: cannot open: %s", c->vmcore_path, strerror(errno));
		return OUT_FAILED;
	}
	char tmp[PATH_MAX], path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", c->dir, KD_DUMPDIR_VMCORE) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/%s.incomplete", c->dir, KD_DUMPDIR_VMCORE) >=
		    sizeof(tmp)) {
		close(in);
		capture_fail(c, "dump folder path too long");
		return OUT_FAILED;
	}
	int out;
	struct kd_error *err = kd_dumpdir_create_file(c->dumpdir, KD_DUMPDIR_VMCORE ".incomplete",
						      &out);
	if (err) {
		close(in);
		capture_fail_err(c, err);
		return OUT_FAILED;
	}
	capture_say("copying %s to %s", c->vmcore_path, path);
	double t0 = capture_now();
	uint64_t bytes = 0;
	err = capture_copy(in, out, true, 0, tmp, &bytes);
	close(in);
	if (close(out) < 0 && !err)
		err = kd_error_os(errno, "%s: close failed", tmp);
	c->seconds = capture_now() - t0;
	c->stats.bytes_out = bytes;
	enum outcome res = err ? (bytes ? OUT_INCOMPLETE : OUT_FAILED) : OUT_COMPLETE;
	if (res != OUT_FAILED && rename(tmp, path) < 0) {
		capture_fail(c, "cannot rename %s to %s: %s", tmp, KD_DUMPDIR_VMCORE, strerror(errno));
		res = OUT_INCOMPLETE;
	}
	if (err)
		capture_fail_err(c, err);
	capture_write_summary(c, res);
	return res;
}

static enum outcome capture_save_result(struct capture *c, struct kd_error *err)
{
	if (!err)
		return OUT_COMPLETE;
	bool partial = c->stats.incomplete;
	capture_fail(c, "%s", kd_error_message(err));
	kd_error_destroy(err);
	return partial ? OUT_INCOMPLETE : OUT_FAILED;
}

// A raw block device: the dump goes onto it at offset 0; the log goes to
// the console, there being no filesystem for dmesg.txt.
enum outcome capture_raw(struct capture *c)
{
	struct kd_target t;
	if (!capture_wait_target(c, &t))
		return OUT_FAILED;
	char node[64];
	capture_devnode(&t.dev, node, sizeof(node));
	snprintf(c->dir, sizeof(c->dir), "%s", node);
	capture_console_tail(c, CONSOLE_TAIL);
	// Only the device setup stamped, carrying no signature (nothing is
	// mounted here, so O_EXCL alone protects nothing); its start zeroed.
	int fd;
	uint64_t limit;
	struct kd_error *err = kd_rawdev_open(node, c->cfg.raw_id, c->cfg.raw_overwrite, &fd,
					      &limit);
	if (err) {
		capture_fail_err(c, err);
		return OUT_FAILED;
	}
	double t0 = capture_now();
	memset(&c->stats, 0, sizeof(c->stats));
	if (!c->kernel) {
		capture_note_fallback(c);
		int in = open(c->vmcore_path, O_RDONLY | O_CLOEXEC);
		if (in < 0)
			err = kd_error_os(errno, "%s", c->vmcore_path);
		else
			err = capture_copy(in, fd, false, limit, node, &c->stats.bytes_out);
		if (in >= 0)
			close(in);
		c->stats.incomplete = err && c->stats.bytes_out;
	} else {
		struct kd_save_options o;
		capture_save_options(c, &o);
		err = kd_save_fd(c->kernel, fd, true, &o, &c->stats);
	}
	if (fsync(fd) < 0 && !err)
		err = kd_error_os(errno, "%s: fsync failed", node);
	close(fd);
	c->seconds = capture_now() - t0;
	// A dump reaching the device's end overwrote the stamp: the next
	// capture refuses the device until setup stamps it again.
	struct kd_error *serr = kd_rawdev_check_stamp(node, c->cfg.raw_id);
	if (serr) {
		capture_say("WARNING: %s: run kexdump setup again before the next crash",
			    kd_error_message(serr));
		kd_error_destroy(serr);
	}
	return capture_save_result(c, err);
}

enum outcome capture_fs(struct capture *c)
{
	if (c->target_dir) {
		snprintf(c->base, sizeof(c->base), "%s", c->target_dir);
	} else if (!c->cfg.target[0]) {
		if (c->pid1) {
			capture_fail(c, "no target in %s (run kexdump setup)", c->config_path);
			return OUT_FAILED;
		}
		snprintf(c->base, sizeof(c->base), "%s", c->cfg.path);
	} else {
		struct kd_target *t = malloc(sizeof(*t));
		bool ok = t && capture_wait_target(c, t) && capture_mount_target(c, t);
		if (!t)
			capture_fail(c, "out of memory");
		free(t);
		if (!ok)
			return OUT_FAILED;
	}
	return capture_into_base(c);
}

// report.txt, once the vmcore and the summary are on the target: the
// report runs in a child process (capture/report.c), so that whatever it
// meets in the crashed kernel, the dump is already safe.
static void capture_write_report(struct capture *c)
{
	char signature[320];
	double t0 = capture_now();
	struct kd_error *err = capture_report_write(c->kernel, c->dumpdir, c->vmcore_path,
						    CAPTURE_REPORT_TIMEOUT, signature,
						    sizeof(signature));
	if (err) {
		capture_say("report.txt: %s (the dump is not affected)", kd_error_message(err));
		kd_error_destroy(err);
		return;
	}
	capture_say("report.txt written in %.2f s: %s", capture_now() - t0,
		    signature[0] ? signature : "no crash signature");
}

// The dump folder in c->base, the log, the dump, the summary, the report.
enum outcome capture_into_base(struct capture *c)
{
	if (!capture_make_dir(c))
		return OUT_FAILED;
	if (!c->kernel && c->fallback_why[0])
		return capture_copy_dump(c);
	if (!c->kernel) {
		// No dump to read: the summary on the target still says why,
		// for kexdump list/status after the reboot.
		capture_reserve_summary(c);
		capture_write_summary(c, OUT_FAILED);
		return OUT_FAILED;
	}
	capture_write_dmesg(c);
	capture_reserve_summary(c);
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", c->dir, KD_DUMPDIR_VMCORE) >=
	    sizeof(path)) {
		capture_fail(c, "dump folder path too long");
		return OUT_FAILED;
	}
	struct kd_save_options o;
	capture_save_options(c, &o);
	capture_say("saving to %s (dump level %u, %s, %s)", path, o.dump_level,
	    kd_save_codec_name(o.codec), kd_save_format_name(o.format));
	double t0 = capture_now();
	struct kd_error *err = kd_save_file(c->kernel, path, false, &o, &c->stats);
	c->seconds = capture_now() - t0;
	capture_say_auto(c);
	enum outcome out = capture_save_result(c, err);
	capture_write_summary(c, out);
	if (out != OUT_FAILED)
		capture_write_report(c);
	return out;
}

void capture_unmount_target(struct capture *c)
{
	capture_close_dir(c);
	sync();
	if (!c->mnt[0])
		return;
	if (umount2(c->mnt, 0) < 0) {
		capture_say("cannot unmount %s: %s; detaching it", c->mnt, strerror(errno));
		umount2(c->mnt, MNT_DETACH);
	}
	if (!c->pid1)
		rmdir(c->mnt);
	c->mnt[0] = '\0';
}

// What is left to do after a failure: the log where someone will see it.
static void capture_fallback(struct capture *c)
{
	if (c->dumpdir && !c->dmesg_done && c->kernel)
		capture_write_dmesg(c);
	capture_write_summary(c, OUT_FAILED);
	if (!c->any_dmesg)
		capture_console_tail(c, CONSOLE_TAIL);
}

// ------------------------------------------------------------ the watchdog

// What the watchdog thread needs, copied before it starts: the main
// thread may be stuck anywhere, holding any lock (stdio's too), so the
// thread only reads this, formats on its stack and calls write(2) and
// reboot(2).
struct capture_watchdog {
	unsigned int timeout;
	bool pid1;
	enum kd_action action;
	atomic_bool *done;
};

static void capture_watchdog_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void capture_watchdog_say(const char *fmt, ...)
{
	char line[384];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	ssize_t w = write(STDOUT_FILENO, line, (size_t)n);
	(void)w;
}

static void *capture_watchdog_run(void *arg)
{
	struct capture_watchdog *w = arg;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += w->timeout;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	if (atomic_load(w->done))
		return NULL;
	capture_watchdog_say("kexdump-capture: ERROR: watchdog: the capture did not finish within "
			     "%u s (capture_timeout; a hung disk?)", w->timeout);
	capture_watchdog_say("kexdump-capture: dump failed: watchdog fired after %u s", w->timeout);
	if (!w->pid1) {
		capture_watchdog_say("kexdump-capture: final action: %s (not taken outside the capture kernel)",
				     kd_action_name(w->action));
		_exit(CAPTURE_EXIT_FAILED);
	}
	// No sync: it would hang on the disk that hangs the capture. A
	// shell cannot be started while a thread is stuck in the kernel
	// (execve waits for it): halt instead.
	capture_watchdog_say("kexdump-capture: final action: %s", kd_action_name(w->action));
	// The serial console sends what the tty holds at its own pace:
	// a moment for these lines to leave before the reset.
	struct timespec drain = { 1, 0 };
	nanosleep(&drain, NULL);
	switch (w->action) {
	case KD_ACTION_POWEROFF:
		reboot(RB_POWER_OFF);
		break;
	case KD_ACTION_HALT:
	case KD_ACTION_SHELL:
		reboot(RB_HALT_SYSTEM);
		break;
	case KD_ACTION_REBOOT:
	default:
		reboot(RB_AUTOBOOT);
		break;
	}
	capture_watchdog_say("kexdump-capture: watchdog: %s failed: %s", kd_action_name(w->action),
			     strerror(errno));
	return NULL;
}

// Arm the watchdog over the rest of the capture: capture_timeout, or a
// bound growing with the dump's size (kd_config_capture_timeout).
static void capture_watchdog_start(struct capture *c)
{
	static struct capture_watchdog w;
	struct stat st;
	uint64_t size = stat(c->vmcore_path, &st) == 0 && S_ISREG(st.st_mode) ?
		(uint64_t)st.st_size : 0;
	c->timeout = kd_config_capture_timeout(&c->cfg, size);
	w = (struct capture_watchdog){
		.timeout = c->timeout, .pid1 = c->pid1, .action = c->cfg.failure_action,
		.done = &c->done,
	};
	pthread_attr_t attr;
	pthread_t tid;
	int e = pthread_attr_init(&attr);
	if (!e) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		e = pthread_create(&tid, &attr, capture_watchdog_run, &w);
		pthread_attr_destroy(&attr);
	}
	if (e)
		capture_say("WARNING: no watchdog: %s", strerror(e));
	else
		capture_say("watchdog: %u s", c->timeout);
}

static enum outcome capture_run(struct capture *c)
{
	// PID 1 needs the config setup wrote: without it there is no target.
	struct kd_error *err = kd_config_load(c->config_path,
					      !c->pid1 && !c->config_given, &c->cfg);
	capture_watchdog_start(c);	// on the defaults when the config is bad
	if (err) {
		capture_fail_err(c, err);
		kd_config_default(&c->cfg);
		// Without a config there is no target: show the log at least.
		if (capture_open_dump(c))
			capture_console_tail(c, CONSOLE_TAIL);
		return OUT_FAILED;
	}
	c->have_cfg = true;
	struct utsname u;
	const char *host = c->cfg.hostname;
	if (!host[0] && uname(&u) == 0 && kd_dumpdir_valid_host(u.nodename))
		host = u.nodename;
	snprintf(c->host, sizeof(c->host), "%s", host[0] ? host : "localhost");
	if (c->pid1)
		capture_load_modules();
	// Before the chain's first network target: setup wrote the network
	// settings it resolved.
	if (c->pid1 && (kd_config_has_network(&c->cfg) || c->cfg.network.mode != KD_NETIF_AUTO))
		capture_network(c);
	bool have_dump = capture_open_dump(c);
	if (!have_dump && !c->fallback_why[0] && c->cfg.nchain == 1 &&
	    (c->cfg.target_kind == KD_TARGET_RAW && !c->target_dir))
		return OUT_FAILED;
	if (c->release[0])
		capture_say("dumping %s%s%s", c->release, c->panic[0] ? ": " : "", c->panic);
	enum outcome out = capture_chain(c);
	if (out == OUT_FAILED)
		capture_fallback(c);
	return out;
}

static void capture_final_action(struct capture *c, enum kd_action action)
{
	if (!c->pid1) {
		// kexdump capture never reboots the running system.
		capture_say("final action: %s (not taken outside the capture kernel)",
		    kd_action_name(action));
		return;
	}
	capture_say("final action: %s", kd_action_name(action));
	sync();
	switch (action) {
	case KD_ACTION_SHELL:
		if (access("/bin/sh", X_OK) == 0) {
			char *const argv[] = { (char *)"sh", NULL };
			execv("/bin/sh", argv);
			capture_say("cannot run /bin/sh: %s", strerror(errno));
		} else {
			capture_say("no /bin/sh in the capture initramfs; halting");
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
	capture_say("%s failed: %s; stopping here", kd_action_name(action), strerror(errno));
	// PID 1 must not exit: the kernel would panic again.
	for (;;)
		pause();
}

static int capture_finish(struct capture *c, enum outcome out)
{
	capture_unmount_target(c);
	switch (out) {
	case OUT_COMPLETE:
		capture_say("dump complete: %s (%llu bytes in %.1f s)", c->dir,
		    (unsigned long long)c->stats.bytes_out, c->seconds);
		break;
	case OUT_INCOMPLETE:
		capture_say("dump incomplete: %s: %s", c->dir, c->error);
		break;
	case OUT_FAILED:
		capture_say("dump failed: %s", c->error[0] ? c->error : "unknown error");
		break;
	}
	kd_kernel_close(c->kernel);
	kd_dump_close(c->dump);
	c->kernel = NULL;
	c->dump = NULL;
	capture_final_action(c, out == OUT_COMPLETE ? c->cfg.final_action : c->cfg.failure_action);
	atomic_store(&c->done, true);
	return out == OUT_COMPLETE ? 0 : CAPTURE_EXIT_FAILED;
}

int capture_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct capture c = {
		.pid1 = true,
		.config_path = KD_CONFIG_PATH,
		.vmcore_path = "/proc/vmcore",
	};
	kd_config_default(&c.cfg);
	capture_setup_pid1();
	struct utsname u;
	capture_say("started (kernel %s)", uname(&u) == 0 ? u.release : "unknown");
	return capture_finish(&c, capture_run(&c));
}

// The usage line, as every kexdump command prints it.
static int capture_usage(const char *usage)
{
	fprintf(stderr, "kexdump: usage: %s\n", usage);
	return CAPTURE_EXIT_USAGE;
}

int capture_command(int argc, char **argv)
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
		.config_path = KD_CONFIG_PATH,
		.vmcore_path = "/proc/vmcore",
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
			return capture_usage(usage);
		}
	}
	if (optind != argc)
		return capture_usage(usage);
	struct utsname u;
	capture_say("started (kernel %s)", uname(&u) == 0 ? u.release : "unknown");
	return capture_finish(&c, capture_run(&c));
}
