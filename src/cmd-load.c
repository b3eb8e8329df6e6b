// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump load, unload, exec: put a kernel in the crash slot (it runs on a
// panic) or the reboot slot (it runs on kexdump exec) with
// kexec_file_load(2), take it out again, and reboot into it.
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

// Where kexdump setup and kexdump initramfs put the capture initramfs.
#define INITRAMFS_DIR "/var/lib/kexdump"

// The running kernel's command line (/proc/cmdline, newline cut).
struct kd_error *cli_read_cmdline(char **ret)
{
	static const char path[] = "/proc/cmdline";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_error_os(errno, "%s: cannot open", path);
	char *buf = malloc(65536);
	if (!buf) {
		close(fd);
		return kd_error_create(KD_ERROR_NOMEM, "out of memory");
	}
	ssize_t n = read(fd, buf, 65535);
	int e = errno;
	close(fd);
	if (n < 0) {
		free(buf);
		return kd_error_os(e, "%s: cannot read", path);
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	*ret = buf;
	return NULL;
}

struct kd_error *cli_load_and_record(enum kd_kexec_slot slot, const char *kernel,
				     const char *initrd, const char *cmdline)
{
	struct kd_error *err = kd_kexec_load(slot, kernel, initrd, cmdline);
	if (err)
		return err;
	// The kernel cannot tell which files are loaded; status reads this.
	struct kd_kexec_record rec = { .loaded_at = (int64_t)time(NULL) };
	snprintf(rec.kernel, sizeof(rec.kernel), "%s", kernel);
	snprintf(rec.initrd, sizeof(rec.initrd), "%s", initrd ? initrd : "");
	snprintf(rec.cmdline, sizeof(rec.cmdline), "%s", cmdline);
	err = kd_kexec_record_write(NULL, slot, &rec);
	if (err) {
		// The kernel is loaded all the same; only status will not know
		// which one.
		cli_warn("%s", kd_error_message(err));
		kd_error_destroy(err);
	}
	return NULL;
}

static bool load_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static char *load_join(const char *a, const char *b)
{
	char *s;
	if (asprintf(&s, "%s%s%s", a, *a && *b ? " " : "", b) < 0)
		return NULL;
	return s;
}

static int load_usage(void)
{
	return cli_usage("kexdump load --crash|--reboot [--kernel K] [--initrd I|--no-initrd] "
			 "[--append ARGS] [--reuse-cmdline | --command-line FULL] "
			 "[--config FILE] [--dry-run]");
}

int cmd_load(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "crash", no_argument, NULL, 'p' },
		{ "reboot", no_argument, NULL, 'l' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "no-initrd", no_argument, NULL, 'n' },
		{ "append", required_argument, NULL, 'a' },
		{ "reuse-cmdline", no_argument, NULL, 'r' },
		{ "command-line", required_argument, NULL, 'c' },
		{ "config", required_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int slot = -1;
	const char *kernel = NULL, *initrd = NULL, *append = "", *full = NULL;
	const char *config = KD_CONFIG_PATH;
	bool no_initrd = false, reuse = false, dry_run = false, config_given = false;
	int c;
	while ((c = getopt_long(argc, argv, "plk:i:na:rc:f:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
		case 'l':
			if (slot != -1)
				return load_usage();
			slot = c == 'p' ? KD_KEXEC_CRASH : KD_KEXEC_REBOOT;
			break;
		case 'k':
			kernel = optarg;
			break;
		case 'i':
			initrd = optarg;
			break;
		case 'n':
			no_initrd = true;
			break;
		case 'a':
			append = optarg;
			break;
		case 'r':
			reuse = true;
			break;
		case 'c':
			full = optarg;
			break;
		case 'f':
			config = optarg;
			config_given = true;
			break;
		case 'd':
			dry_run = true;
			break;
		default:
			return load_usage();
		}
	}
	if (optind != argc || slot == -1 || (initrd && no_initrd) ||
	    (full && (reuse || *append)))
		return load_usage();

	struct utsname uts;
	uname(&uts);
	char kernel_buf[512], initrd_buf[512];
	if (!kernel) {
		snprintf(kernel_buf, sizeof(kernel_buf), "/boot/vmlinuz-%s", uts.release);
		kernel = kernel_buf;
	}
	if (!initrd && !no_initrd) {
		if (slot == KD_KEXEC_CRASH) {
			// The capture initramfs kexdump builds, never the
			// distribution's: its /init is kexdump.
			snprintf(initrd_buf, sizeof(initrd_buf), INITRAMFS_DIR "/initramfs-%s.img",
				 uts.release);
			if (!load_exists(initrd_buf))
				return cli_fail(kd_error_create(KD_ERROR_NOTFOUND,
					"%s: no capture initramfs for %s: run kexdump setup "
					"(or kexdump initramfs -o %s)", initrd_buf, uts.release, initrd_buf));
		} else {
			// The distribution's initramfs: Debian's name, then Fedora's.
			snprintf(initrd_buf, sizeof(initrd_buf), "/boot/initrd.img-%s", uts.release);
			if (!load_exists(initrd_buf))
				snprintf(initrd_buf, sizeof(initrd_buf), "/boot/initramfs-%s.img",
					 uts.release);
			if (!load_exists(initrd_buf)) {
				cli_warn("no /boot/initrd.img-%s or %s: loading %s without an initramfs",
					 uts.release, initrd_buf, kernel);
				initrd_buf[0] = '\0';
			}
		}
		if (initrd_buf[0])
			initrd = initrd_buf;
	}

	// The command line: given whole, or the running one (for the crash
	// slot turned into a capture kernel's, kd_kexec_capture_cmdline())
	// with the config's and the caller's additions.
	char *cmdline = NULL;
	struct kd_error *err = NULL;
	if (full) {
		cmdline = strdup(full);
	} else {
		char *running = NULL;
		err = cli_read_cmdline(&running);
		if (err)
			return cli_fail(err);
		if (slot == KD_KEXEC_CRASH) {
			struct kd_config cfg;
			err = kd_config_load(config, !config_given, &cfg);
			char *extra = err ? NULL : load_join(cfg.cmdline_append, append);
			if (!err && extra)
				err = kd_kexec_capture_cmdline(running, extra, &cmdline);
			free(extra);
		} else {
			err = kd_kexec_append_cmdline(running, append, &cmdline);
		}
		free(running);
		if (err)
			return cli_fail(err);
	}
	if (!cmdline)
		return cli_fail(kd_error_create(KD_ERROR_NOMEM, "out of memory"));

	const char *slot_name = slot == KD_KEXEC_CRASH ? "crash" : "reboot";
	if (dry_run) {
		printf("slot=%s\nkernel=%s\ninitrd=%s\ncmdline=%s\n", slot_name, kernel,
		       initrd ? initrd : "", cmdline);
		free(cmdline);
		return fflush(stdout) ? EXIT_BAD_INPUT : 0;
	}
	err = cli_load_and_record((enum kd_kexec_slot)slot, kernel, initrd, cmdline);
	if (err) {
		free(cmdline);
		return cli_fail(err);
	}
	printf("loaded %s%s%s into the %s slot\ncommand line: %s\n", kernel,
	       initrd ? " with " : " without an initramfs", initrd ? initrd : "",
	       slot_name, cmdline);
	free(cmdline);
	return fflush(stdout) ? EXIT_BAD_INPUT : 0;
}

int cmd_unload(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "crash", no_argument, NULL, 'p' },
		{ "reboot", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	enum kd_kexec_slot slot = KD_KEXEC_CRASH;
	int c, nslots = 0;
	while ((c = getopt_long(argc, argv, "plh", opts, NULL)) != -1) {
		if (c != 'p' && c != 'l')
			return cli_usage("kexdump unload [--crash|--reboot]");
		slot = c == 'p' ? KD_KEXEC_CRASH : KD_KEXEC_REBOOT;
		nslots++;
	}
	if (optind != argc || nslots > 1)
		return cli_usage("kexdump unload [--crash|--reboot]");
	struct kd_error *err = kd_kexec_unload(slot);
	if (!err)
		err = kd_kexec_record_remove(NULL, slot);
	if (err)
		return cli_fail(err);
	printf("the %s slot is empty\n", slot == KD_KEXEC_CRASH ? "crash" : "reboot");
	return fflush(stdout) ? EXIT_BAD_INPUT : 0;
}

int cmd_exec(int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return cli_usage("kexdump exec");
	// Only returns on failure.
	return cli_fail(kd_kexec_exec());
}
