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

static double initramfs_mib(uint64_t n)
{
	return (double)n / (1024.0 * 1024.0);
}

// Print each entry of the archive @p path: mode, size, name.
static int initramfs_list(const char *path)
{
	struct kd_cpio_reader *r;
	struct kd_error *err = kd_cpio_open(path, &r);
	if (err)
		return cli_fail(err);
	struct kd_cpio_entry *e = malloc(sizeof(*e));
	if (!e) {
		kd_cpio_close(r);
		return cli_fail(kd_error_create(KD_ERROR_NOMEM, "out of memory"));
	}
	bool end = false;
	while (!err && !end) {
		err = kd_cpio_next(r, e, &end);
		if (!err && !end)
			printf("  %06o %10u  /%s\n", e->mode, e->size, e->name);
	}
	free(e);
	kd_cpio_close(r);
	return err ? cli_fail(err) : 0;
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
	const char *out = NULL, *config = KD_CONFIG_PATH, *release = NULL;
	const char *moddir = NULL, *init = "/proc/self/exe", *sysfs = NULL, *dev = NULL;
	const char *extra[KD_CONFIG_MAX_MODULES];
	size_t nextra = 0;
	bool compress = true, list = false, config_given = false;
	int c;
	while ((c = getopt_long(argc, argv, "o:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'c': config = optarg; config_given = true; break;
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

	// A missing default config is the defaults, as in every command.
	struct kd_config loaded;
	struct kd_error *err = kd_config_load(config, !config_given, &loaded);
	if (err)
		return cli_fail(err);
	// The archive gets the resolved config: the target by UUID, the
	// path inside it, the filesystem type the modules were chosen for.
	struct kd_target *t = malloc(sizeof(*t));
	if (!t)
		return cli_fail(kd_error_create(KD_ERROR_NOMEM, "out of memory"));
	const struct kd_target_roots roots = { .sysfs = sysfs, .dev = dev };
	// A chain of network targets only has no device to resolve (setup
	// resolves their hosts to addresses).
	t->config = loaded;
	err = kd_config_local(&loaded) ? kd_target_resolve(&loaded, &roots, t) : NULL;
	// A target on device-mapper: its stack, as setup records it.
	if (!err && kd_config_local(&loaded) && t->dev.name[0] && kd_dm_is_dm(t->dev.name, sysfs))
		err = kd_dm_record(t->dev.name, sysfs, dev, &t->config);
	if (err) {
		free(t);
		return cli_fail(kd_error_prefix(err, "%s", config));
	}
	struct kd_config cfg = t->config;
	// A raw target's stamp id (kexdump setup wrote it): the capture
	// writes only onto a device carrying it.
	if (cfg.target_kind == KD_TARGET_RAW && !cfg.raw_id[0] && !dev) {
		char node[64];
		snprintf(node, sizeof(node), "/dev/%s", t->dev.name);
		for (char *p = node + 5; *p; p++)
			if (*p == '!')
				*p = '/';
		err = kd_rawdev_prepare(node, cfg.raw_overwrite, false, cfg.raw_id);
		if (err) {
			free(t);
			return cli_fail(kd_error_prefix(err, "%s", config));
		}
		if (!cfg.raw_id[0])
			cli_warn("%s carries no kexdump stamp: the capture will not write onto it "
				 "(run kexdump setup)", node);
	}
	free(t);
	struct kd_modset *set;
	err = kd_modset_open(moddir, &set);
	if (err)
		return cli_fail(err);
	err = kd_modset_add_chain(set, &cfg, sysfs, dev);
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
	bool raw = cfg.target_kind == KD_TARGET_RAW;
	printf("%s: %.1f MiB%s: /init %.1f MiB, %zu modules %.1f MiB, target %s%s%s%s%s\n",
	       out, initramfs_mib(rep.size), compress ? " (gzip)" : "", initramfs_mib(rep.init_size),
	       rep.nmodules, initramfs_mib(rep.modules_size), cfg.target, raw ? " (raw)" : " ",
	       raw ? "" : cfg.fstype, raw ? "" : ", folder ", raw ? "" : cfg.path);
	kd_modset_close(set);
	return list ? initramfs_list(out) : 0;
}
