// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump status: is this machine armed? The crashkernel= reservation, what
// is loaded in the crash and reboot slots (from kexdump load's records,
// checked against /sys/kernel/kexec_*), what stops a load (kexec disabled,
// lockdown), the dump target of /etc/kexdump.conf and the last dump on it.
// Exits 0 when a capture kernel is loaded in a reservation, 1 when not.
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct slot_view {
	bool loaded;		// the kernel says so
	bool recorded;		// kexdump load left a record
	struct kd_kexec_record rec;
	char error[256];	// the record could not be read
};

struct target_view {
	char config_error[512];
	struct kd_config cfg;	// as loaded
	struct kd_target t;	// as resolved (valid when error is "")
	char dumps[4096];	// the folder holding the dumps here, "" if unknown
	char error[512];	// why the target is not resolved or listed
	struct kd_dumpdir_entry *entries;
	size_t nentries;
	struct kd_target_chain_state chain;	// setup's check of the chain
	bool have_chain;
};

static void status_read_slot(enum kd_kexec_slot slot, bool loaded, struct slot_view *v)
{
	memset(v, 0, sizeof(*v));
	v->loaded = loaded;
	struct kd_error *err = kd_kexec_record_read(NULL, slot, &v->rec);
	if (!err) {
		v->recorded = true;
		return;
	}
	if (!kd_error_catch(&err, KD_ERROR_NOTFOUND))
		snprintf(v->error, sizeof(v->error), "%s", kd_error_message(err));
	kd_error_destroy(err);
}

static void status_set_error(char *buf, size_t len, struct kd_error *err)
{
	snprintf(buf, len, "%s", kd_error_message(err));
	kd_error_destroy(err);
}

// Where the configured target is on the running system and what it holds.
static void status_read_target(const char *config, bool missing_ok, struct target_view *t)
{
	memset(t, 0, sizeof(*t));
	struct kd_error *err = kd_config_load(config, missing_ok, &t->cfg);
	if (err) {
		status_set_error(t->config_error, sizeof(t->config_error), err);
		return;
	}
	const struct kd_config *cfg = &t->cfg;
	err = kd_target_chain_state_read(NULL, &t->chain);
	t->have_chain = !err;
	kd_error_destroy(err);
	// Network targets only: nothing here to list (kexdump list does).
	if (!kd_config_local(cfg))
		return;
	// Without a target the path is a folder of this machine: its dumps
	// are listed even when no capture kernel could reach it.
	if (cfg->target_kind == KD_TARGET_FS && !cfg->target[0])
		snprintf(t->dumps, sizeof(t->dumps), "%s", cfg->path);
	err = kd_target_resolve(cfg, NULL, &t->t);
	if (err) {
		status_set_error(t->error, sizeof(t->error), err);
	} else if (cfg->target_kind == KD_TARGET_FS) {
		if (t->t.mounted)
			snprintf(t->dumps, sizeof(t->dumps), "%s", t->t.local_path);
		else
			snprintf(t->error, sizeof(t->error),
				 "/dev/%s is not mounted here: its dumps are not listed",
				 t->t.dev.name);
	}
	if (t->dumps[0]) {
		err = kd_dumpdir_list(t->dumps, &t->entries, &t->nentries);
		if (err && !t->error[0])
			status_set_error(t->error, sizeof(t->error), err);
		else
			kd_error_destroy(err);
	}
}

// Setup's word on link @p i of the chain: NULL when setup has not checked
// this chain (none recorded, or the config changed since).
static const struct kd_target_check *status_link_check(const struct target_view *t, size_t i)
{
	const struct kd_config *cfg = &t->cfg;
	if (!t->have_chain || t->chain.n != cfg->nchain || i >= t->chain.n)
		return NULL;
	const struct kd_target_check *c = &t->chain.links[i];
	if (kd_config_target_is_network(cfg->chain[i].kind) && strcmp(c->name, cfg->chain[i].url))
		return NULL;
	return c;
}

static const char *status_kind_name(enum kd_target_kind kind)
{
	switch (kind) {
	case KD_TARGET_RAW:
		return "raw";
	case KD_TARGET_SSH:
		return "ssh";
	case KD_TARGET_NFS:
		return "nfs";
	case KD_TARGET_FS:
	default:
		return "fs";
	}
}

static const struct kd_dumpdir_entry *status_last_dump(const struct target_view *t)
{
	return t->nentries ? &t->entries[t->nentries - 1] : NULL;
}

/* --------------------------------------------------------------- text */

// Strings below come from records, the config, the mount table, dump
// folder names and summaries: all written through S() (cli_sanitize), so
// that an ESC or C1 control in one never reaches the terminal.
#define S(x) cli_sanitize(x)

static void status_print_slot(const char *name, const struct slot_view *v)
{
	if (!v->loaded) {
		printf("%-14s not loaded%s\n", name,
		       v->recorded ? " (kexdump's record of a load is stale: it was unloaded)" : "");
		return;
	}
	if (!v->recorded) {
		printf("%-14s loaded, not by kexdump (no record%s%s)\n", name,
		       v->error[0] ? ": " : "", S(v->error));
		return;
	}
	char when[64];
	cli_format_time(v->rec.loaded_at, when, sizeof(when));
	printf("%-14s loaded %s\n", name, when);
	printf("  kernel:      %s\n", S(v->rec.kernel));
	printf("  initramfs:   %s\n", v->rec.initrd[0] ? S(v->rec.initrd) : "(none)");
	printf("  command line: %s\n", S(v->rec.cmdline));
}

// The chain, and whether setup reached each link.
static void status_print_chain(const struct target_view *t)
{
	const struct kd_config *cfg = &t->cfg;
	if (cfg->nchain < 2 && !kd_config_has_network(cfg))
		return;
	char when[64] = "";
	if (t->have_chain)
		cli_format_time((time_t)t->chain.checked_at, when, sizeof(when));
	for (size_t i = 0; i < cfg->nchain; i++) {
		char name[600];
		kd_config_target_name(cfg, &cfg->chain[i], name, sizeof(name));
		const struct kd_target_check *c = status_link_check(t, i);
		printf("%-14s %zu. %s: %s%s%s%s\n", i ? "" : "chain:", i + 1, S(name),
		       !c ? "not checked by setup (run kexdump setup)" :
		       c->ok ? "reachable at setup, " : "NOT reachable at setup, ",
		       c ? when : "", c && !c->ok ? ": " : "", c && !c->ok ? S(c->error) : "");
	}
}

static void status_print_text(const struct kd_kexec_state *st, const struct slot_view *crash,
		       const struct slot_view *reboot, const struct target_view *t,
		       bool armed)
{
	if (st->crash_size)
		printf("%-14s %" PRIu64 " MiB at 0x%" PRIx64 "%s%s%s\n", "reservation:",
		       st->crash_size >> 20, st->crash_start,
		       st->crash_start ? "" : " (address hidden from non-root)",
		       st->crashkernel_arg[0] ? ", " : "", S(st->crashkernel_arg));
	else
		printf("%-14s none: add crashkernel=256M to the kernel command line "
		       "(kexdump setup --apply-bootloader) and reboot\n", "reservation:");
	status_print_slot("crash kernel:", crash);
	status_print_slot("reboot kernel:", reboot);
	printf("%-14s %s, lockdown %s\n", "kexec:",
	       st->load_disabled ? "disabled until reboot (kernel.kexec_load_disabled=1)" : "enabled",
	       st->lockdown[0] ? S(st->lockdown) : "unknown");
	if (t->config_error[0]) {
		printf("%-14s %s\n", "config:", S(t->config_error));
	} else {
		const struct kd_config *cfg = &t->cfg;
		const struct kd_target *r = &t->t;
		bool resolved = !t->error[0] || r->dev.name[0];
		if (!kd_config_local(cfg))
			;	// the chain below says it all
		else if (cfg->target_kind == KD_TARGET_RAW)
			printf("%-14s raw device %s%s%s\n", "target:", S(cfg->target),
			       resolved ? " = /dev/" : "", resolved ? S(r->dev.name) : "");
		else if (resolved)
			printf("%-14s %s (/dev/%s, %s), %s%s%sfolder %s on it\n", "target:",
			       S(r->config.target), S(r->dev.name), S(r->config.fstype),
			       r->config.subvol[0] ? "subvolume " : "", S(r->config.subvol),
			       r->config.subvol[0] ? ", " : "", S(r->config.path));
		else
			printf("%-14s %s, folder %s\n", "target:",
			       cfg->target[0] ? S(cfg->target) : "the filesystem holding the path",
			       S(cfg->path));
		if (r->mounted)
			printf("%-14s %s\n", "mounted at:", S(r->mountpoint));
		if (t->error[0])
			printf("%-14s %s\n", "target error:", S(t->error));
		status_print_chain(t);
	}
	const struct kd_dumpdir_entry *d = status_last_dump(t);
	if (d) {
		printf("%-14s %s %s: %s%s%s (%zu dump%s in %s)\n", "last dump:", S(d->date),
		       S(d->host), S(d->status), d->error[0] ? ": " : "", S(d->error), t->nentries,
		       t->nentries == 1 ? "" : "s", S(t->dumps));
		if (d->panic[0])
			printf("  panic:       %s\n", S(d->panic));
	} else if (t->dumps[0] && !t->error[0]) {
		printf("%-14s none in %s\n", "last dump:", S(t->dumps));
	}
	printf("%-14s %s\n", "status:", armed ? "armed: a panic will write a dump" :
	       !st->crash_size ? "not armed: no crashkernel= reservation" :
	       "not armed: no capture kernel loaded (kexdump setup or kexdump load --crash)");
}

#undef S

/* --------------------------------------------------------------- JSON */

static void status_json_slot(struct json *j, const char *key, const struct slot_view *v)
{
	json_begin_object(j, key);
	json_bool(j, "loaded", v->loaded);
	json_bool(j, "recorded", v->recorded);
	if (v->recorded) {
		json_string(j, "kernel", v->rec.kernel);
		json_string(j, "initrd", v->rec.initrd);
		json_string(j, "cmdline", v->rec.cmdline);
		json_u64(j, "loaded_at", (unsigned long long)v->rec.loaded_at);
		// A record without a loaded kernel: someone unloaded it.
		json_bool(j, "stale", !v->loaded);
	}
	if (v->error[0])
		json_string(j, "error", v->error);
	json_end_object(j);
}

static void status_print_json(const struct kd_kexec_state *st, const struct slot_view *crash,
		       const struct slot_view *reboot, const struct target_view *t,
		       bool armed)
{
	struct json j = { .out = stdout };
	json_begin_object(&j, NULL);
	json_bool(&j, "armed", armed);
	json_begin_object(&j, "reservation");
	json_u64(&j, "size", st->crash_size);
	json_hex(&j, "start", st->crash_start);
	json_string(&j, "crashkernel", st->crashkernel_arg);
	json_end_object(&j);
	status_json_slot(&j, "crash", crash);
	status_json_slot(&j, "reboot", reboot);
	json_bool(&j, "kexec_load_disabled", st->load_disabled);
	json_string(&j, "lockdown", st->lockdown);
	if (t->config_error[0]) {
		json_string(&j, "config_error", t->config_error);
	} else {
		json_begin_object(&j, "target");
		json_string(&j, "kind", t->cfg.target_kind == KD_TARGET_RAW ? "raw" : "fs");
		const struct kd_target *r = &t->t;
		json_string(&j, "spec", t->cfg.target);
		json_string(&j, "path", t->cfg.path);
		// What kd_target_resolve found ("" when it failed: see error).
		json_string(&j, "resolved", r->config.target);
		json_string(&j, "device", r->dev.name);
		if (r->dev.name[0]) {
			char devnum[32];
			snprintf(devnum, sizeof(devnum), "%u:%u", r->dev.major, r->dev.minor);
			json_string(&j, "devnum", devnum);
		} else {
			json_null(&j, "devnum");
		}
		json_string(&j, "fstype", r->config.target_kind == KD_TARGET_RAW ? "" :
			    r->config.fstype);
		json_string(&j, "subvol", r->config.subvol);
		json_string(&j, "path_in_fs", r->dev.name[0] &&
			    r->config.target_kind == KD_TARGET_FS ? r->config.path : "");
		if (r->mounted)
			json_string(&j, "mountpoint", r->mountpoint);
		else
			json_null(&j, "mountpoint");
		json_string(&j, "dumps", t->dumps);
		if (t->error[0])
			json_string(&j, "error", t->error);
		json_end_object(&j);
		if (t->have_chain)
			json_u64(&j, "chain_checked_at", (unsigned long long)t->chain.checked_at);
		else
			json_null(&j, "chain_checked_at");
		json_begin_array(&j, "chain");
		for (size_t i = 0; i < t->cfg.nchain; i++) {
			char name[600];
			kd_config_target_name(&t->cfg, &t->cfg.chain[i], name, sizeof(name));
			const struct kd_target_check *c = status_link_check(t, i);
			json_begin_object(&j, NULL);
			json_string(&j, "target", name);
			json_string(&j, "kind", status_kind_name(t->cfg.chain[i].kind));
			json_u64(&j, "line", t->cfg.chain[i].line);
			json_bool(&j, "checked", c != NULL);
			if (c) {
				json_bool(&j, "reachable", c->ok);
				json_string(&j, "error", c->error);
			} else {
				json_null(&j, "reachable");
			}
			json_end_object(&j);
		}
		json_end_array(&j);
	}
	json_u64(&j, "ndumps", t->nentries);
	const struct kd_dumpdir_entry *d = status_last_dump(t);
	if (d) {
		json_begin_object(&j, "last_dump");
		json_string(&j, "dir", d->dir);
		json_string(&j, "host", d->host);
		json_string(&j, "date", d->date);
		json_string(&j, "release", d->release);
		json_string(&j, "status", d->status);
		json_string(&j, "error", d->error);
		json_string(&j, "panic", d->panic);
		json_u64(&j, "vmcore_size", d->vmcore_size);
		json_bool(&j, "has_dmesg", d->has_dmesg);
		json_end_object(&j);
	} else {
		json_null(&j, "last_dump");
	}
	json_end_object(&j);
	fputc('\n', stdout);
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false, config_given = false;
	const char *config = KD_CONFIG_PATH;
	int c;
	while ((c = getopt_long(argc, argv, "jf:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'f':
			config = optarg;
			config_given = true;
			break;
		default:
			return cli_usage("kexdump status [--json] [--config FILE]");
		}
	}
	if (optind != argc)
		return cli_usage("kexdump status [--json] [--config FILE]");
	struct kd_kexec_state st;
	struct kd_error *err = kd_kexec_state(NULL, &st);
	if (err)
		return cli_fail(err);
	struct slot_view crash, reboot;
	status_read_slot(KD_KEXEC_CRASH, st.crash_loaded, &crash);
	status_read_slot(KD_KEXEC_REBOOT, st.reboot_loaded, &reboot);
	struct target_view *t = malloc(sizeof(*t));
	if (!t)
		return cli_fail(kd_error_create(KD_ERROR_NOMEM, "out of memory"));
	status_read_target(config, !config_given, t);
	// Armed: a panic now boots a capture kernel. The kernel sets
	// kexec_crash_loaded only for an image in the reservation.
	bool armed = st.crash_size && st.crash_loaded;
	if (json)
		status_print_json(&st, &crash, &reboot, t, armed);
	else
		status_print_text(&st, &crash, &reboot, t, armed);
	free(t->entries);
	free(t);
	if (fflush(stdout))
		return EXIT_BAD_INPUT;
	return armed ? 0 : 1;
}
