// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump initramfs: build the capture initramfs for the configured target
// (the static kexdump as /init, the config, the target's modules). With
// --list, read the written archive back and print what it holds.
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

static double mib(uint64_t n)
{
	return (double)n / (1024.0 * 1024.0);
}

// An 8-digit hex field of a newc header.
static unsigned long hexfield(const char *p)
{
	char buf[9];
	memcpy(buf, p, 8);
	buf[8] = '\0';
	return strtoul(buf, NULL, 16);
}

// Print each entry of the newc archive @p path (gzip or plain; gzread
// reads both): mode, size, name.
static int list_archive(const char *path)
{
	gzFile f = gzopen(path, "rb");
	if (!f) {
		return cli_fail(kd_error_os(errno ? errno : ENOMEM, "%s: cannot open", path));
	}
	char hdr[110], name[4096], buf[65536];
	for (;;) {
		if (gzread(f, hdr, sizeof(hdr)) != (int)sizeof(hdr) ||
		    memcmp(hdr, "070701", 6))
			break;
		unsigned long mode = hexfield(hdr + 14), size = hexfield(hdr + 54);
		unsigned long namesize = hexfield(hdr + 94);
		if (namesize == 0 || namesize > sizeof(name))
			break;
		// name padded so that header + name is a multiple of 4
		size_t npad = (4 - (sizeof(hdr) + namesize) % 4) % 4;
		if (gzread(f, name, (unsigned)(namesize + npad)) != (int)(namesize + npad))
			break;
		name[namesize - 1] = '\0';
		if (!strcmp(name, "TRAILER!!!")) {
			gzclose(f);
			return 0;
		}
		printf("  %06lo %10lu  /%s\n", mode, size, name);
		for (unsigned long left = size + (4 - size % 4) % 4; left;) {
			unsigned n = left < sizeof(buf) ? (unsigned)left : sizeof(buf);
			if (gzread(f, buf, n) != (int)n)
				goto bad;
			left -= n;
		}
	}
bad:
	gzclose(f);
	return cli_error("%s: not a complete newc cpio archive", path);
}

// The config names no target: take the filesystem holding its path (or
// the nearest existing parent) and name it by UUID in the copy that goes
// into the archive, so the capture kernel finds it without udev.
static struct kd_error *resolve_target(struct kd_config *cfg, const char *sysfs,
				       const char *dev)
{
	char path[sizeof(cfg->path)];
	snprintf(path, sizeof(path), "%s", cfg->path);
	struct stat st;
	while (stat(path, &st) < 0 && strcmp(path, "/")) {
		char *slash = strrchr(path, '/');
		if (slash == path)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	unsigned int maj, min;
	char fstype[sizeof(cfg->fstype)];
	struct kd_error *err = kd_blkdev_of_path(path, NULL, &maj, &min, fstype,
						 sizeof(fstype));
	if (err)
		return kd_error_prefix(err, "finding the filesystem of %s", cfg->path);
	// /sys/dev/block/MAJ:MIN links to the device's directory (its name).
	char link[PATH_MAX], target[PATH_MAX];
	snprintf(link, sizeof(link), "%s/dev/block/%u:%u", sysfs ? sysfs : "/sys", maj, min);
	ssize_t n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return kd_error_os(errno, "%s", link);
	target[n] = '\0';
	const char *name = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
	char node[PATH_MAX];
	if ((size_t)snprintf(node, sizeof(node), "%s/%s", dev ? dev : "/dev", name) >=
	    sizeof(node))
		return kd_error_create(KD_ERROR_INVALID, "%s: device name too long", link);
	struct kd_blkdev_info info;
	err = kd_blkdev_probe(node, &info);
	if (err)
		return kd_error_prefix(err, "the filesystem holding %s", cfg->path);
	if (info.uuid[0])
		snprintf(cfg->target, sizeof(cfg->target), "UUID=%s", info.uuid);
	else if ((size_t)snprintf(cfg->target, sizeof(cfg->target), "/dev/%s", name) >=
		 sizeof(cfg->target))
		return kd_error_create(KD_ERROR_INVALID, "%s: device name too long", link);
	if (!cfg->fstype[0])
		snprintf(cfg->fstype, sizeof(cfg->fstype), "%s",
			 info.fstype[0] ? info.fstype : fstype);
	return NULL;
}

int cmd_initramfs(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "config", required_argument, NULL, 'c' },
		{ "release", required_argument, NULL, 'r' },
		{ "moddir", required_argument, NULL, 'm' },
		{ "init", required_argument, NULL, 'i' },
		{ "sysfs", required_argument, NULL, 'S' },
		{ "dev", required_argument, NULL, 'D' },
		{ "no-compress", no_argument, NULL, 'n' },
		{ "module", required_argument, NULL, 'M' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char usage[] =
		"kexdump initramfs -o FILE [--config FILE] [--release R] [--moddir DIR] "
		"[--init PATH] [--sysfs DIR] [--dev DIR] [--no-compress] [--module NAME]... [--list]";
	const char *out = NULL, *config = "/etc/kexdump.conf", *release = NULL;
	const char *moddir = NULL, *init = "/proc/self/exe", *sysfs = NULL, *dev = NULL;
	const char *extra[KD_CONFIG_MAX_MODULES];
	size_t nextra = 0;
	bool compress = true, list = false;
	int c;
	while ((c = getopt_long(argc, argv, "o:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'c': config = optarg; break;
		case 'r': release = optarg; break;
		case 'm': moddir = optarg; break;
		case 'i': init = optarg; break;
		case 'S': sysfs = optarg; break;
		case 'D': dev = optarg; break;
		case 'n': compress = false; break;
		case 'l': list = true; break;
		case 'M':
			if (nextra == KD_CONFIG_MAX_MODULES)
				return cli_usage("at most %d --module", KD_CONFIG_MAX_MODULES);
			extra[nextra++] = optarg;
			break;
		default:
			return cli_usage("%s", usage);
		}
	}
	if (!out || optind != argc)
		return cli_usage("%s", usage);

	struct utsname uts;
	if (!release) {
		uname(&uts);
		release = uts.release;
	}
	char moddir_buf[PATH_MAX];
	if (!moddir) {
		snprintf(moddir_buf, sizeof(moddir_buf), "/lib/modules/%s", release);
		moddir = moddir_buf;
	}
	// Name the real file in messages, not /proc/self/exe.
	char init_buf[PATH_MAX];
	if (realpath(init, init_buf))
		init = init_buf;

	struct kd_config cfg;
	struct kd_error *err = kd_config_load(config, false, &cfg);
	if (err)
		return cli_fail(err);
	if (!cfg.target[0])
		err = resolve_target(&cfg, sysfs, dev);
	// The archive's config names the filesystem type the modules were
	// chosen for, so the capture init mounts it as that type.
	if (!err && cfg.target_kind == KD_TARGET_FS && !cfg.fstype[0]) {
		struct kd_blkdev_info info;
		err = kd_blkdev_find(cfg.target, sysfs, dev, &info);
		if (!err)
			snprintf(cfg.fstype, sizeof(cfg.fstype), "%s", info.fstype);
	}
	if (err)
		return cli_fail(kd_error_prefix(err, "%s", config));
	struct kd_modset *set;
	err = kd_modset_open(moddir, &set);
	if (err)
		return cli_fail(err);
	err = kd_modset_add_target(set, &cfg, sysfs, dev);
	for (size_t i = 0; !err && i < nextra; i++)
		err = kd_modset_add(set, extra[i]);
	struct kd_initramfs_options opts = {
		.init = init, .config = &cfg, .modules = set, .compress = compress,
	};
	struct kd_initramfs_report rep;
	if (!err)
		err = kd_initramfs_write(out, &opts, &rep);
	if (err) {
		kd_modset_close(set);
		return cli_fail(err);
	}
	printf("%s: %.1f MiB%s: /init %.1f MiB, %zu modules %.1f MiB, target %s%s%s\n",
	       out, mib(rep.size), compress ? " (gzip)" : "", mib(rep.init_size),
	       rep.nmodules, mib(rep.modules_size), cfg.target,
	       cfg.target_kind == KD_TARGET_RAW ? " (raw)" : " ",
	       cfg.target_kind == KD_TARGET_RAW ? "" : cfg.fstype);
	kd_modset_close(set);
	return list ? list_archive(out) : 0;
}
