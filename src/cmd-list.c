// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump list: the dumps the capture kernel left under the target path,
// oldest first, with whether each completed, the panic line and the crash
// signature (the panicking task and its top frames, from report.txt).
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

// Where the dumps are on this system: the target's mount point + path.
static int list_resolve_dir(const char *config, bool config_given, char *out, size_t len)
{
	struct kd_config cfg;
	struct kd_error *err = kd_config_load(config, !config_given, &cfg);
	if (err)
		return cli_fail(err);
	if (cfg.target_kind == KD_TARGET_RAW) {
		return cli_error("%s: the target is the raw device %s: its dump is read "
				 "with kexdump info %s, not listed", config, cfg.target, cfg.target);
	}
	if (!cfg.target[0]) {
		snprintf(out, len, "%s", cfg.path);
		return 0;
	}
	struct kd_target *t = malloc(sizeof(*t));
	if (!t)
		return cli_fail(kd_error_create(KD_ERROR_NOMEM, "out of memory"));
	err = kd_target_resolve(&cfg, NULL, t);
	if (err) {
		free(t);
		return cli_fail(kd_error_prefix(err, "%s", config));
	}
	int rc = 0;
	if (!t->mounted) {
		rc = cli_error("%s: target %s (/dev/%s) is not mounted: mount it or "
			       "pass the folder: kexdump list DIR", config, cfg.target, t->dev.name);
	} else {
		snprintf(out, len, "%s", t->local_path);
	}
	free(t);
	return rc;
}

static void list_print_json(const struct kd_dumpdir_entry *e, size_t n)
{
	struct json j = { .out = stdout };
	json_begin_array(&j, NULL);
	for (size_t i = 0; i < n; i++) {
		json_begin_object(&j, NULL);
		json_string(&j, "dir", e[i].dir);
		json_string(&j, "host", e[i].host);
		json_string(&j, "date", e[i].date);
		json_string(&j, "release", e[i].release);
		json_string(&j, "status", e[i].status);
		json_string(&j, "error", e[i].error);
		json_string(&j, "panic", e[i].panic);
		json_u64(&j, "vmcore_size", e[i].vmcore_size);
		json_bool(&j, "has_vmcore", e[i].has_vmcore);
		json_bool(&j, "has_dmesg", e[i].has_dmesg);
		json_bool(&j, "has_report", e[i].has_report);
		json_string(&j, "signature", e[i].signature);
		json_end_object(&j);
	}
	json_end_array(&j);
}

// Every string here comes from the folder's name or its summary: written
// through cli_sanitize() (a name or a value may hold ESC, C1 or newlines).
static void list_print_text(const char *dir, const struct kd_dumpdir_entry *e, size_t n)
{
	if (!n) {
		printf("no dumps in %s\n", cli_sanitize(dir));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char size[32];
		if (e[i].has_vmcore)
			cli_human_size(e[i].vmcore_size, size, sizeof(size));
		else
			snprintf(size, sizeof(size), "no vmcore");
		printf("%s UTC  %s  %s  %s  %s", cli_sanitize(e[i].date), cli_sanitize(e[i].host),
		       e[i].release[0] ? cli_sanitize(e[i].release) : "?", size,
		       cli_sanitize(e[i].status));
		if (e[i].error[0])
			printf(" (%s)", cli_sanitize(e[i].error));
		putchar('\n');
		if (e[i].panic[0])
			printf("    %s\n", cli_sanitize(e[i].panic));
		// The crash signature (report.txt): two dumps of one bug read alike.
		if (e[i].signature[0])
			printf("    signature: %s\n", cli_sanitize(e[i].signature));
		printf("    %s\n", cli_sanitize(e[i].dir));
	}
}

// An ssh:// link listed over SFTP, logged in as the capture does (the
// config's key, its known_hosts or the one setup pinned; nothing pinned
// here).
static struct kd_error *list_ssh(const struct kd_config *cfg, const struct kd_config_target *link,
				 struct kd_dumpdir_entry **e, size_t *n)
{
	// setup pinned the host key under the address it resolved.
	char addr[64];
	struct kd_error *err = kd_nfs_resolve_host(link->host, false, addr, sizeof(addr));
	if (err)
		return err;
	struct kd_sftp_target st = {
		.user = link->user, .host = addr, .port = kd_config_target_port(link),
		.key_file = cfg->ssh_key,
		.known_hosts = cfg->known_hosts[0] ? cfg->known_hosts : KD_CONFIG_KNOWN_HOSTS,
		.retries = 1,
	};
	struct kd_sftp *s;
	err = kd_sftp_open(&st, 0, &s);
	if (err)
		return err;
	err = kd_sftp_list(s, link->path, e, n);
	kd_sftp_close(s);
	return err;
}

// The network links of the chain, one after the other: nfs:// mounted
// (in a private mount namespace) and listed; ssh:// over SFTP. A link that
// cannot be listed is a warning; the exit is 1 when none could be.
static int list_chain(const char *config, const struct kd_config *cfg, bool json)
{
	unsigned int wait_ms = (cfg->device_timeout < 10 ? 10 : cfg->device_timeout) * 1000u;
	struct kd_dumpdir_entry *all = NULL;
	size_t nall = 0, listed = 0;
	for (size_t i = 0; i < cfg->nchain; i++) {
		const struct kd_config_target *link = &cfg->chain[i];
		char where[4200];
		struct kd_dumpdir_entry *e = NULL;
		size_t n = 0;
		struct kd_error *err;
		if (link->kind == KD_TARGET_NFS) {
			struct kd_config_target t = *link;
			snprintf(where, sizeof(where), "%s:%s", link->host, link->path);
			err = kd_nfs_resolve_host(link->host, false, t.host, sizeof(t.host));
			if (!err)
				err = kd_nfs_list(&t, wait_ms, &e, &n);
		} else if (link->kind == KD_TARGET_SSH) {
			snprintf(where, sizeof(where), "%s@%s:%s", link->user, link->host, link->path);
			err = list_ssh(cfg, link, &e, &n);
		} else {
			char dir[4096];
			if (list_resolve_dir(config, true, dir, sizeof(dir)))
				continue;	// it said why
			snprintf(where, sizeof(where), "%s", dir);
			err = kd_dumpdir_list(dir, &e, &n);
		}
		if (err) {
			cli_warn("%s:%u: %s: %s", config, link->line, link->kind == KD_TARGET_FS ||
				 link->kind == KD_TARGET_RAW ? cfg->target : link->url,
				 kd_error_message(err));
			kd_error_destroy(err);
			continue;
		}
		listed++;
		if (!json) {
			printf("%s%s:\n", i ? "\n" : "", cli_sanitize(where));
			list_print_text(where, e, n);
		} else if (n) {
			struct kd_dumpdir_entry *grown = realloc(all, (nall + n) * sizeof(*all));
			if (!grown) {
				free(e);
				free(all);
				return cli_fail(kd_error_create(KD_ERROR_NOMEM, "out of memory"));
			}
			all = grown;
			memcpy(all + nall, e, n * sizeof(*e));
			nall += n;
		}
		free(e);
	}
	if (json && listed)
		list_print_json(all, nall);
	free(all);
	if (!listed)
		return cli_error("%s: no target of the chain could be listed (see above)", config);
	return fflush(stdout) ? EXIT_BAD_INPUT : 0;
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char usage[] = "kexdump list [--json] [--config FILE] [DIR]";
	bool json = false;
	const char *config = KD_CONFIG_PATH;
	bool config_given = false;
	int c;
	while ((c = getopt_long(argc, argv, "jc:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'c':
			config = optarg;
			config_given = true;
			break;
		default:
			return cli_usage("%s", usage);
		}
	}
	if (optind + 1 < argc)
		return cli_usage("%s", usage);
	char dir[4096];
	if (optind < argc) {
		// A folder named on the command line must exist (a typo is not
		// "no dumps"); the configured one may not have been created yet.
		struct stat st;
		if (stat(argv[optind], &st))
			return cli_fail(kd_error_os(errno, "%s: cannot list", argv[optind]));
		snprintf(dir, sizeof(dir), "%s", argv[optind]);
	} else {
		struct kd_config cfg;
		struct kd_error *err = kd_config_load(config, !config_given, &cfg);
		if (err)
			return cli_fail(err);
		if (kd_config_has_network(&cfg))
			return list_chain(config, &cfg, json);
		int rc = list_resolve_dir(config, config_given, dir, sizeof(dir));
		if (rc)
			return rc;
	}
	struct kd_dumpdir_entry *e;
	size_t n;
	struct kd_error *err = kd_dumpdir_list(dir, &e, &n);
	if (err)
		return cli_fail(err);
	if (json)
		list_print_json(e, n);
	else
		list_print_text(dir, e, n);
	free(e);
	return fflush(stdout) ? EXIT_BAD_INPUT : 0;
}
