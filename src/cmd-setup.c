// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump setup: the one command that arms a machine (config and target
// checked, crashkernel= reservation checked or added to GRUB, capture
// initramfs built, capture kernel loaded, systemd units installed). Its
// checks are shared with kexdump test (src/cmd-test.c) through setup.h.
#include "cli.h"
#include "setup.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define INITRAMFS_DIR SETUP_INITRAMFS_DIR
#define UNIT_DIR "/etc/systemd/system"
#define GRUB_DROPIN KD_INSTALL_GRUB_DROPIN
#define MIB ((uint64_t)1024 * 1024)

// ------------------------------------------------------------ small helpers

static struct kd_error *setup_self_exe(char *out, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", out, len - 1);
	if (n < 0)
		return kd_error_os(errno, "/proc/self/exe");
	out[n] = '\0';
	return NULL;
}

static uint64_t setup_file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) ? 0 : (uint64_t)st.st_size;
}

// Run @p argv (argv[0] looked up in PATH) and wait; never through a shell.
static struct kd_error *setup_run_command(const char *const argv[])
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return kd_error_os(errno, "fork for %s", argv[0]);
	if (pid == 0) {
		// execvp(3) takes char *const[] for historical reasons only.
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "kexdump: %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return kd_error_os(errno, "waiting for %s", argv[0]);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return kd_error_create(KD_ERROR_NOTFOUND, "%s: command not found", argv[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return kd_error_create(KD_ERROR_OS, "%s failed (%s %d)", argv[0],
				       WIFEXITED(status) ? "exit status" : "signal",
				       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return NULL;
}

static const char *setup_human(uint64_t bytes, char *buf, size_t len)
{
	cli_human_size(bytes, buf, len);
	return buf;
}

// ------------------------------------------------------------------- units

// The paths the units name, as unit-file text: the executable and the
// config quoted for ExecStart= (kd_install_unit_exec_arg), the config for
// PathChanged= (kd_install_unit_path). The config is made absolute
// (realpath): systemd runs the units from /.
struct unit_text {
	char *exe;		// ExecStart= word
	char *config;		// ExecStart= word, NULL for the default config
	char *watch;		// PathChanged= value
};

static void setup_unit_text_free(struct unit_text *u)
{
	free(u->exe);
	free(u->config);
	free(u->watch);
}

static struct kd_error *setup_unit_text(const char *exe, const char *config, struct unit_text *u)
{
	memset(u, 0, sizeof(*u));
	char real[PATH_MAX];
	if (config && !realpath(config, real))
		return kd_error_os(errno, "%s: cannot resolve the config's path for the units", config);
	struct kd_error *err = kd_install_unit_exec_arg(exe, &u->exe);
	if (!err && config)
		err = kd_install_unit_exec_arg(real, &u->config);
	if (!err)
		err = kd_install_unit_path(config ? real : KD_CONFIG_PATH, &u->watch);
	if (err)
		setup_unit_text_free(u);
	return err;
}

static void setup_print_unit_service(FILE *out, const struct unit_text *u)
{
	fprintf(out,
		"[Unit]\n"
		"Description=kexdump crash dumps: load the capture kernel\n"
		"After=local-fs.target\n"
		"ConditionPathExists=/sys/kernel/kexec_crash_size\n"
		"\n"
		"[Service]\n"
		"Type=oneshot\n"
		"RemainAfterExit=yes\n"
		"ExecStart=%s setup --boot%s%s\n"
		"ExecStop=%s unload --crash\n"
		"\n"
		"[Install]\n"
		"WantedBy=multi-user.target\n",
		u->exe, u->config ? " --config " : "", u->config ? u->config : "", u->exe);
}

static void setup_print_unit_rearm_path(FILE *out, const struct unit_text *u)
{
	// PathChanged= on a folder fires when an entry in it is created,
	// removed or renamed: a new or updated kernel in /boot, a new module
	// tree in /lib/modules (systemd.path(5)).
	fprintf(out,
		"[Unit]\n"
		"Description=kexdump: re-arm when the config or the kernel changes\n"
		"\n"
		"[Path]\n"
		"PathChanged=%s\n"
		"PathChanged=/boot\n"
		"PathChanged=/lib/modules\n"
		"Unit=kexdump-rearm.service\n"
		"\n"
		"[Install]\n"
		"WantedBy=multi-user.target\n",
		u->watch);
}

static void setup_print_unit_rearm_service(FILE *out, const struct unit_text *u)
{
	fprintf(out,
		"[Unit]\n"
		"Description=kexdump: re-arm after a config or kernel change\n"
		"After=kexdump.service\n"
		"\n"
		"[Service]\n"
		"Type=oneshot\n"
		"ExecStart=%s setup --boot%s%s\n",
		u->exe, u->config ? " --config " : "", u->config ? u->config : "");
}

static const struct {
	const char *name;
	int kind;
} units[] = {
	{ "kexdump.service", 0 },
	{ "kexdump-rearm.path", 1 },
	{ "kexdump-rearm.service", 2 },
};

static void setup_print_unit(FILE *out, int kind, const struct unit_text *u)
{
	switch (kind) {
	case 0:
		setup_print_unit_service(out, u);
		break;
	case 1:
		setup_print_unit_rearm_path(out, u);
		break;
	default:
		setup_print_unit_rearm_service(out, u);
		break;
	}
}

// --print-units: every unit after a "### NAME" comment line, so the
// output splits back into files (tests run systemd-analyze verify on them).
static struct kd_error *setup_print_units(const char *exe, const char *config)
{
	struct unit_text u;
	struct kd_error *err = setup_unit_text(exe, config, &u);
	if (err)
		return err;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		printf("%s### %s\n", i ? "\n" : "", units[i].name);
		setup_print_unit(stdout, units[i].kind, &u);
	}
	setup_unit_text_free(&u);
	return NULL;
}

static struct kd_error *setup_install_units(const char *exe, const char *config)
{
	struct unit_text u;
	struct kd_error *err = setup_unit_text(exe, config, &u);
	if (err)
		return err;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		char *text = NULL, path[PATH_MAX];
		size_t len = 0;
		FILE *mem = open_memstream(&text, &len);
		if (!mem) {
			setup_unit_text_free(&u);
			return kd_error_os(errno, "open_memstream");
		}
		fprintf(mem, "# Written by kexdump setup; kexdump setup rewrites it.\n");
		setup_print_unit(mem, units[i].kind, &u);
		if (fclose(mem)) {
			free(text);
			setup_unit_text_free(&u);
			return kd_error_os(errno, "unit text");
		}
		snprintf(path, sizeof(path), "%s/%s", UNIT_DIR, units[i].name);
		err = kd_install_file(path, text, 0644);
		free(text);
		if (err) {
			setup_unit_text_free(&u);
			return err;
		}
	}
	setup_unit_text_free(&u);
	const char *const reload[] = { "systemctl", "daemon-reload", NULL };
	err = setup_run_command(reload);
	if (err)
		return err;
	const char *const enable[] = { "systemctl", "enable", "--quiet", "kexdump.service", NULL };
	err = setup_run_command(enable);
	if (err)
		return err;
	// The path unit starts watching now, not only from the next boot.
	const char *const watch[] = { "systemctl", "enable", "--quiet", "--now", "kexdump-rearm.path", NULL };
	return setup_run_command(watch);
}

// ------------------------------------------------------------- reservation

// The crashkernel= size to suggest: what is needed, rounded up to 16 MiB.
static uint64_t setup_suggest_size(uint64_t needed)
{
	return (needed + 16 * MIB - 1) / (16 * MIB) * (16 * MIB);
}

static struct kd_error *setup_apply_bootloader(uint64_t size)
{
	char text[512];
	struct kd_error *err = kd_install_grub_dropin(size, text, sizeof(text));
	if (err)
		return err;
	err = kd_install_file(GRUB_DROPIN, text, 0644);
	if (err)
		return err;
	printf("kexdump setup: wrote %s (crashkernel=%" PRIu64 "M)\n", GRUB_DROPIN, size / MIB);
	const char *const argv[] = { "update-grub", NULL };
	err = setup_run_command(argv);
	if (err)
		return kd_error_prefix(err, "%s is written but GRUB's config is not updated "
				       "(run update-grub or grub-mkconfig -o /boot/grub/grub.cfg)",
				       GRUB_DROPIN);
	return NULL;
}

// The reservation the next boot gets: the crashkernel= of GRUB's drop-in
// when there is one (kexdump setup --apply-bootloader wrote it; the last
// crashkernel= of a command line is the one the kernel takes, and the
// drop-in's comes last), else the running kernel's (*@p from says which).
static uint64_t setup_next_reservation(const struct kd_kexec_state *st, const char **from)
{
	struct sysinfo si;
	uint64_t ram = sysinfo(&si) ? 0 : (uint64_t)si.totalram * si.mem_unit, size;
	struct kd_error *err = kd_install_grub_reservation(GRUB_DROPIN, ram, &size);
	if (err) {
		kd_error_destroy(err);
		*from = "the running kernel's";
		return st->crash_size;
	}
	*from = GRUB_DROPIN "'s";
	return size;
}

// setup --kernel RELEASE for a kernel that is not the running one (a
// kernel package's postinst, /etc/kernel/postinst.d/kexdump): its capture
// initramfs is built (done by the caller), and the reservation of its
// first boot must hold it and the kernel: raised in GRUB's drop-in with
// --apply-bootloader (6.12's kernel needs more than 6.1's), which the
// kernel package's update-grub (zz-update-grub, after this hook) or ours
// puts into grub.cfg. Loading it is kexdump.service's job at that boot.
static int setup_prepare_other(const struct setup_opts *o, const struct kd_kexec_state *st,
			       const char *release, uint64_t needed, bool *raised)
{
	const char *from;
	uint64_t next = setup_next_reservation(st, &from), suggest = setup_suggest_size(needed);
	char b1[32], b2[32];
	*raised = false;
	if (next >= needed) {
		printf("kexdump setup: %s reservation (%s) holds %s's capture kernel (%s needed)\n",
		       from, setup_human(next, b1, sizeof(b1)), release,
		       setup_human(needed, b2, sizeof(b2)));
		return 0;
	}
	printf("kexdump setup: %s's capture kernel needs %s; %s reservation is %s",
	       release, setup_human(needed, b1, sizeof(b1)), from, setup_human(next, b2, sizeof(b2)));
	if (!o->apply_bootloader) {
		printf(":\n  use crashkernel=%" PRIu64 "M on the kernel command line before booting %s,\n"
		       "  or run kexdump setup --kernel %s --apply-bootloader (%s).\n",
		       suggest / MIB, release, release, GRUB_DROPIN);
		return EXIT_BAD_INPUT;
	}
	printf(".\n");
	struct kd_error *err = setup_apply_bootloader(suggest);
	if (err)
		return cli_fail(err);
	*raised = true;
	return 0;
}

// -------------------------------------------------------------------- load

// What `kexdump load --crash` does with the defaults: the capture command
// line from the running one, kexec_file_load, and the record that
// `kexdump status` reads.
static struct kd_error *setup_load_crash(const char *kernel, const char *initrd,
				   const struct kd_config *cfg, char **cmdline_ret)
{
	char *running, *cmdline;
	struct kd_error *err = cli_read_cmdline(&running);
	if (err)
		return err;
	err = kd_kexec_capture_cmdline(running, cfg->cmdline_append, &cmdline);
	free(running);
	if (err)
		return err;
	err = cli_load_and_record(KD_KEXEC_CRASH, kernel, initrd, cmdline);
	if (err) {
		free(cmdline);
		return err;
	}
	*cmdline_ret = cmdline;
	return NULL;
}

// ------------------------------------------------------------------- setup

// A raw target is overwritten from byte 0 and nothing protects it in the
// capture kernel: refuse a device carrying a signature (unless
// raw_overwrite yes) and stamp it (@p stamp), its id going into the
// capture initramfs's config (lib/service/rawdev.c).
static struct kd_error *setup_check_raw(struct kd_target *t, bool stamp)
{
	char node[64];
	snprintf(node, sizeof(node), "/dev/%s", t->dev.name);
	for (char *p = node + 5; *p; p++)
		if (*p == '!')
			*p = '/';
	struct kd_error *err = kd_rawdev_prepare(node, t->config.raw_overwrite, stamp,
						 t->config.raw_id);
	if (err)
		return err;
	if (!stamp && !t->config.raw_id[0])
		cli_warn("%s carries no kexdump stamp yet: kexdump setup stamps it", node);
	return NULL;
}

// The capture kernel's network (network key, lib/service/netif.c): auto
// copies how the first network target is reached now; dhcp and static get
// the interface's MAC and MTU. Nothing to do without a network target and
// with the default (auto). A failure is the network targets' failure
// (setup_check_target): a local target after them still takes the dump.
static struct kd_error *setup_network(struct kd_config *cfg)
{
	const char *host = NULL;
	for (size_t i = 0; !host && i < cfg->nchain; i++)
		if (kd_config_target_is_network(cfg->chain[i].kind))
			host = cfg->chain[i].host;
	if (!host && cfg->network.mode == KD_NETIF_AUTO)
		return NULL;
	uint8_t dst[4];
	struct kd_error *err = host ? kd_netif_host_ip(host, dst) : NULL;
	struct kd_netif_config net;
	if (!err)
		err = kd_netif_resolve(&cfg->network, host ? dst : NULL, &net);
	if (!err)
		cfg->network = net;
	return err;
}

// The drivers of the capture kernel's network interface.
struct kd_error *setup_network_modules(struct kd_modset *set, const struct kd_config *cfg)
{
	const struct kd_netif_config *n = &cfg->network;
	if (n->mode == KD_NETIF_AUTO || !n->iface[0] || !strcmp(n->iface, "lo"))
		return NULL;
	return kd_modset_add_netdev(set, n->iface, NULL);
}

// The local link of the chain: resolved, its folder checked (made when
// @p create), a raw device checked and stamped.
static struct kd_error *setup_check_local(const struct kd_config *cfg, bool create,
					  struct kd_target *t, uint64_t *free_ret)
{
	struct kd_error *err = kd_target_resolve(cfg, NULL, t);
	// A target on device-mapper (an LVM logical volume): its stack
	// recorded for the capture kernel to re-create (lib/service/dm.c).
	if (!err && t->dev.name[0] && kd_dm_is_dm(t->dev.name, NULL))
		err = kd_dm_record(t->dev.name, NULL, NULL, &t->config);
	if (!err)
		err = kd_target_check_folder(t, create, free_ret);
	if (!err && t->config.target_kind == KD_TARGET_RAW)
		err = setup_check_raw(t, create);
	return err;
}

// The kernel's NFSv4 client, loaded when this kernel has it as a module.
static void setup_nfs_client(void)
{
	FILE *f = fopen("/proc/filesystems", "re");
	char line[128];
	bool have = false;
	while (f && !have && fgets(line, sizeof(line), f))
		have = !strcmp(line, "nodev\tnfs4\n");
	if (f)
		fclose(f);
	if (have)
		return;
	const char *const argv[] = { "modprobe", "-q", "nfsv4", NULL };
	kd_error_destroy(setup_run_command(argv));
}

// A network link's host resolved to the address the capture kernel will
// use (it has no resolver), written into @p link.
static struct kd_error *setup_resolve_network(struct kd_config_target *link)
{
	char addr[64];
	struct kd_error *err = kd_nfs_resolve_host(link->host, false, addr, sizeof(addr));
	if (err || !strcmp(addr, link->host))
		return err;
	snprintf(link->host, sizeof(link->host), "%s", addr);
	return kd_config_target_format(link);
}

// The folder holding @p path, made 0700 when missing (/etc/kexdump).
static struct kd_error *setup_parent_dir(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return NULL;
	*slash = '\0';
	return kd_install_dir(dir, 0700);
}

// The key ssh targets log in with: made once (ed25519) when missing, and
// then its public line printed for the server's authorized_keys.
static struct kd_error *setup_ssh_key(const struct kd_config *cfg)
{
	char line[1024], comment[80];
	bool created;
	snprintf(comment, sizeof(comment), "kexdump@%s", cfg->hostname[0] ? cfg->hostname : "localhost");
	struct kd_error *err = setup_parent_dir(cfg->ssh_key);
	if (!err)
		err = kd_sftp_keygen(cfg->ssh_key, comment, line, sizeof(line), &created);
	if (err)
		return err;
	if (created)
		printf("kexdump setup: created the ssh key %s; add this line to the server's "
		       "~USER/.ssh/authorized_keys:\n  %s\n", cfg->ssh_key, line);
	return NULL;
}

// The ssh link: logged in with the config's key, the server's host key
// checked against known_hosts (or, without one, pinned in
// KD_CONFIG_KNOWN_HOSTS when the host is new), the folder made, a probe
// file written and deleted.
static struct kd_error *setup_check_ssh(const struct kd_config *cfg,
					const struct kd_config_target *link)
{
	struct kd_error *err = setup_ssh_key(cfg);
	if (err)
		return err;
	const char *kh = cfg->known_hosts[0] ? cfg->known_hosts : KD_CONFIG_KNOWN_HOSTS;
	if (!cfg->known_hosts[0] && (err = setup_parent_dir(kh)))
		return err;
	struct kd_sftp_target st = {
		.user = link->user, .host = link->host, .port = kd_config_target_port(link),
		.key_file = cfg->ssh_key, .known_hosts = kh,
		// setup fails fast: one attempt, no resuming to wait for.
		.retries = 1,
	};
	// The host key first, pinned when new (and said so even when the
	// login is refused next).
	char fp[128];
	bool pinned = false;
	if (!cfg->known_hosts[0]) {
		err = kd_sftp_pin(&st, fp, sizeof(fp), &pinned);
		if (!err && pinned)
			printf("kexdump setup: pinned the host key of %s port %u in %s: %s "
			       "(check it against the server's: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)\n",
			       link->host, st.port, kh, fp);
	}
	struct kd_sftp *s;
	if (!err)
		err = kd_sftp_open(&st, 0, &s);
	if (err && kd_error_code(err) == KD_ERROR_OS &&
	    (kd_error_errno(err) == ECONNREFUSED || kd_error_errno(err) == ETIMEDOUT ||
	     kd_error_errno(err) == EHOSTUNREACH || kd_error_errno(err) == ENETUNREACH)) {
		struct kd_error *e = kd_error_create(KD_ERROR_OS,
			"%s (check that the server's sshd runs and listens on port %u, and that no firewall is in the way)",
			kd_error_message(err), st.port);
		kd_error_destroy(err);
		return e;
	}
	if (err)
		return err;
	err = kd_sftp_probe(s, link->path);
	kd_sftp_close(s);
	return err;
}

// A network link checked as the capture will use it: connected, mounted
// or logged in, the folder made, a probe file written and deleted.
static struct kd_error *setup_check_network(const struct kd_config *cfg,
					    struct kd_config_target *link, unsigned int wait_ms)
{
	if (link->kind == KD_TARGET_SSH)
		return setup_check_ssh(cfg, link);
	setup_nfs_client();
	return kd_nfs_check(link, wait_ms, NULL);
}

// What setup and test both check first: the config and every target of
// its chain (@p create: make the dump folders when missing; @p free_ret:
// the bytes free in the local one). A chain with one link fails as it
// always did; in a longer one a failed link is a warning while another
// works, and setup fails only when none does. @p chain_ret (may be NULL)
// gets what each link gave. The network links are not touched on a dry
// run (their checks write to the servers).
struct kd_error *setup_check_target(const struct setup_opts *o, bool create,
					   struct kd_target *t, uint64_t *free_ret,
					   struct kd_target_chain_state *chain_ret)
{
	const char *config_path = o->config ? o->config : KD_CONFIG_PATH;
	struct kd_config cfg;
	struct kd_error *err = kd_config_load(config_path, !o->config, &cfg);
	if (err)
		return err;
	struct kd_target_chain_state cs = { .checked_at = time(NULL), .n = cfg.nchain };
	const struct kd_config_target *local = kd_config_local(&cfg);
	if (free_ret)
		*free_ret = 0;
	if (!kd_config_has_network(&cfg)) {
		err = setup_check_local(&cfg, create, t, free_ret);
		if (!err && (err = setup_network(&t->config)))
			err = kd_error_prefix(err, "network");
		if (err)
			return kd_error_prefix(err, "%s", config_path);
		kd_config_target_name(&t->config, &t->config.chain[0], cs.links[0].name,
				      sizeof(cs.links[0].name));
		cs.links[0].ok = true;
		if (chain_ret)
			*chain_ret = cs;
		return NULL;
	}
	// The local link resolved first: its kd_target carries the config
	// the capture initramfs gets.
	struct kd_error *local_err = NULL;
	if (local)
		local_err = setup_check_local(&cfg, create, t, free_ret);
	if (!local || local_err) {
		memset(t, 0, sizeof(*t));
		t->config = cfg;
		if (!t->config.hostname[0] &&
		    gethostname(t->config.hostname, sizeof(t->config.hostname) - 1))
			snprintf(t->config.hostname, sizeof(t->config.hostname), "localhost");
	}
	unsigned int wait_ms = (cfg.device_timeout < 10 ? 10 : cfg.device_timeout) * 1000u;
	// The hosts as addresses, then the capture kernel's network for
	// the first of them (the network key), then each link.
	struct kd_error *resolve_err[KD_CONFIG_MAX_TARGETS] = { 0 };
	for (size_t i = 0; i < cfg.nchain; i++)
		if (kd_config_target_is_network(cfg.chain[i].kind))
			resolve_err[i] = setup_resolve_network(&t->config.chain[i]);
	struct kd_error *net_err = setup_network(&t->config);
	// A network that is not supported (a bond, bridge or VLAN) is the
	// config's error, not one link's.
	if (net_err && kd_error_code(net_err) == KD_ERROR_UNSUPPORTED) {
		for (size_t i = 0; i < cfg.nchain; i++)
			kd_error_destroy(resolve_err[i]);
		return kd_error_prefix(kd_error_prefix(net_err, "network"), "%s", config_path);
	}
	if (net_err && o->dry_run)
		cli_warn("%s: network: %s (the network targets will fail in the capture kernel)",
			 config_path, kd_error_message(net_err));
	size_t nok = 0;
	struct kd_error *first = NULL;
	for (size_t i = 0; i < cfg.nchain; i++) {
		struct kd_config_target *link = &t->config.chain[i];
		struct kd_target_check *c = &cs.links[i];
		kd_config_target_name(&t->config, link, c->name, sizeof(c->name));
		if (!kd_config_target_is_network(link->kind)) {
			err = local_err;
			local_err = NULL;
		} else if (o->dry_run) {
			kd_error_destroy(resolve_err[i]);
			snprintf(c->error, sizeof(c->error), "not checked (--dry-run)");
			continue;
		} else {
			err = resolve_err[i];
			if (!err && net_err)
				err = kd_error_create(KD_ERROR_INVALID, "the capture kernel's network: %s",
						      kd_error_message(net_err));
			if (!err)
				err = setup_check_network(&t->config, link, wait_ms);
			// The URL as written: the address is the capture's.
			snprintf(c->name, sizeof(c->name), "%s", cfg.chain[i].url);
		}
		if (!err) {
			c->ok = true;
			nok++;
			continue;
		}
		err = kd_error_prefix(err, "%s:%u: %s", config_path, cfg.chain[i].line, c->name);
		snprintf(c->error, sizeof(c->error), "%s", kd_error_message(err));
		if (!first) {
			first = err;
			continue;
		}
		if (!o->quiet)
			cli_warn("%s", kd_error_message(err));
		kd_error_destroy(err);
	}
	kd_error_destroy(net_err);
	if (chain_ret)
		*chain_ret = cs;
	if (nok == 0 && !o->dry_run) {
		if (cfg.nchain == 1)
			return first;
		if (!o->quiet)
			cli_warn("%s", kd_error_message(first));
		kd_error_destroy(first);
		return kd_error_create(KD_ERROR_INVALID,
				       "%s: no target of the chain works (%zu tried, see above)",
				       config_path, cfg.nchain);
	}
	if (first) {
		if (!o->quiet)
			cli_warn("%s (the next target of the chain takes the dump)",
				 kd_error_message(first));
		kd_error_destroy(first);
	}
	return NULL;
}

// ... and the kernel's kexec state.
struct kd_error *setup_load_and_check(const struct setup_opts *o, bool create,
				       struct kd_target *t, uint64_t *free_ret,
				       struct kd_kexec_state *st,
				       struct kd_target_chain_state *chain_ret)
{
	struct kd_error *err = setup_check_target(o, create, t, free_ret, chain_ret);
	return err ? err : kd_kexec_state(NULL, st);
}

// The folder the dumps go to, as the capture will find it: no symbolic
// link on its path, owned by root, not writable by others unless sticky
// (kd_dumpdir_check_base; the capture refuses it otherwise). Others may
// write to it (sticky): a warning.
static struct kd_error *setup_check_dump_base(const struct setup_opts *o,
					      const struct kd_target *t)
{
	if (t->config.target_kind != KD_TARGET_FS || !t->local_path[0])
		return NULL;
	char warning[512];
	struct kd_error *err = kd_dumpdir_check_base(t->local_path, warning, sizeof(warning));
	if (err)
		return kd_error_prefix(err, "%s", o->config ? o->config : KD_CONFIG_PATH);
	if (warning[0])
		cli_warn("%s", warning);
	return NULL;
}

// --dry-run: what the capture initramfs would be told and where the dumps
// are here, as KEY=VALUE lines (tests compare them with initramfs and
// status); nothing is changed.
static void setup_print_dry_run(const char *config, const struct kd_target *t)
{
	const struct kd_config *c = &t->config;
	printf("config=%s\n", config ? config : KD_CONFIG_PATH);
	printf("kind=%s\n", c->target_kind == KD_TARGET_RAW ? "raw" : "fs");
	printf("target=%s\n", c->target);
	printf("device=/dev/%s\n", t->dev.name);
	printf("devnum=%u:%u\n", t->dev.major, t->dev.minor);
	printf("uuid=%s\n", t->dev.uuid);
	printf("label=%s\n", t->dev.label);
	printf("fstype=%s\n", c->target_kind == KD_TARGET_RAW ? "" : c->fstype);
	printf("path=%s\n", c->target_kind == KD_TARGET_RAW ? "" : c->path);
	printf("subvol=%s\n", c->subvol);
	printf("mountpoint=%s\n", t->mountpoint);
	printf("local_path=%s\n", t->local_path);
	printf("hostname=%s\n", c->hostname);
	if (c->target_kind == KD_TARGET_RAW)
		printf("raw_id=%s\n", c->raw_id);
	for (size_t i = 0; i < c->ndm; i++)
		printf("dm.%zu=%s %" PRIu64 " %" PRIu64 " %s %s\n", i + 1, c->dm[i].name,
		       c->dm[i].start, c->dm[i].length, c->dm[i].type, c->dm[i].params);
	char net[160];
	kd_netif_config_format(&c->network, net, sizeof(net));
	printf("network=%s\n", net);
}

static int setup_parse_opts(int argc, char **argv, struct setup_opts *o)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "apply-bootloader", no_argument, NULL, 'a' },
		{ "no-systemd", no_argument, NULL, 'n' },
		{ "boot", no_argument, NULL, 'b' },
		{ "print-units", no_argument, NULL, 'p' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ "kernel", required_argument, NULL, 'k' },
		{ 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'a':
			o->apply_bootloader = true;
			break;
		case 'n':
			o->no_systemd = true;
			break;
		case 'b':
			o->boot = true;
			break;
		case 'p':
			o->print_units = true;
			break;
		case 'd':
			o->dry_run = true;
			break;
		case 'k':
			o->kernel = optarg;
			break;
		default:
			return -1;
		}
	}
	return optind != argc ? -1 : 0;
}

// Print the target line of the summary.
static void setup_print_target(const struct kd_target *t, uint64_t free_bytes)
{
	char b[32];
	if (t->config.target_kind == KD_TARGET_RAW) {
		printf("  target:      raw device %s (/dev/%s), stamp %s\n", t->config.target,
		       t->dev.name, t->config.raw_id);
		return;
	}
	printf("  target:      %s (%s on /dev/%s), %s%s%sfolder %s", t->config.target,
	       t->config.fstype, t->dev.name, t->config.subvol[0] ? "subvolume " : "",
	       t->config.subvol, t->config.subvol[0] ? ", " : "", t->config.path);
	if (t->local_path[0])
		printf(" = %s here, %s free\n", t->local_path, setup_human(free_bytes, b, sizeof(b)));
	else
		printf(" (not mounted here; the capture kernel creates it)\n");
}

// The capture initramfs's modules for the chain; a local link that failed
// at setup (a warning: another link works) brings none.
struct kd_error *setup_add_modules(struct kd_modset *set, const struct kd_config *cfg,
					  const struct kd_target_chain_state *chain)
{
	const struct kd_config_target *local = kd_config_local(cfg);
	if (!local || chain->links[local - cfg->chain].ok)
		return kd_modset_add_chain(set, cfg, NULL, NULL);
	struct kd_config *net = malloc(sizeof(*net));
	if (!net)
		return kd_error_create(KD_ERROR_NOMEM, "out of memory");
	*net = *cfg;
	net->nchain = 0;
	for (size_t i = 0; i < cfg->nchain; i++)
		if (kd_config_target_is_network(cfg->chain[i].kind))
			net->chain[net->nchain++] = cfg->chain[i];
	struct kd_error *err = kd_modset_add_chain(set, net, NULL, NULL);
	free(net);
	return err;
}

// What the capture needs for the chain's ssh targets: the key and the
// host keys, copied into the initramfs (0600) at the paths its config
// (@p icfg, a copy of @p cfg) names. Nothing without an ssh target.
static size_t setup_ssh_files(const struct kd_config *cfg, struct kd_config *icfg,
			      struct kd_initramfs_file *files)
{
	*icfg = *cfg;
	bool ssh = false;
	for (size_t i = 0; i < cfg->nchain; i++)
		ssh |= cfg->chain[i].kind == KD_TARGET_SSH;
	if (!ssh)
		return 0;
	size_t n = 0;
	const char *kh = cfg->known_hosts[0] ? cfg->known_hosts : KD_CONFIG_KNOWN_HOSTS;
	if (access(cfg->ssh_key, R_OK) == 0) {
		files[n++] = (struct kd_initramfs_file){ "id_ed25519", cfg->ssh_key, 0600 };
		snprintf(icfg->ssh_key, sizeof(icfg->ssh_key), "/etc/kexdump/id_ed25519");
	}
	if (access(kh, R_OK) == 0) {
		files[n++] = (struct kd_initramfs_file){ "known_hosts", kh, 0600 };
		snprintf(icfg->known_hosts, sizeof(icfg->known_hosts), "/etc/kexdump/known_hosts");
	}
	return n;
}

// The chain as setup found it, under the target line.
static void setup_print_chain(const struct kd_target_chain_state *chain)
{
	if (chain->n < 2)
		return;
	for (size_t i = 0; i < chain->n; i++)
		printf("  %s %zu. %s: %s\n", i ? "      " : "chain:", i + 1, chain->links[i].name,
		       chain->links[i].ok ? "ok" : "FAILED (see the warning above)");
}

int cmd_setup(int argc, char **argv)
{
	static const char usage[] =
		"kexdump setup [--config FILE] [--apply-bootloader] [--no-systemd] [--boot] [--print-units] [--dry-run] "
		"[--kernel RELEASE]";
	struct setup_opts o = { 0 };
	if (setup_parse_opts(argc, argv, &o))
		return cli_usage("%s", usage);
	if (o.boot && o.apply_bootloader)
		return cli_usage("--boot never changes the bootloader: %s", usage);
	// A release names /boot/vmlinuz-RELEASE and /lib/modules/RELEASE.
	if (o.kernel && (!o.kernel[0] || o.kernel[0] == '.' || strchr(o.kernel, '/') ||
			 strlen(o.kernel) > 200))
		return cli_usage("--kernel takes a kernel release (uname -r), not '%s'", o.kernel);
	if (o.kernel && o.boot)
		return cli_usage("--boot arms the running kernel, --kernel prepares another: %s", usage);
	char exe[PATH_MAX];
	struct kd_error *err = setup_self_exe(exe, sizeof(exe));
	if (err)
		return cli_fail(err);
	if (o.print_units) {
		err = setup_print_units(exe, o.config);
		return err ? cli_fail(err) : 0;
	}
	struct kd_target t;
	uint64_t free_bytes;
	struct kd_target_chain_state chain;
	if (o.dry_run) {
		err = setup_check_target(&o, false, &t, &free_bytes, &chain);
		if (!err)
			err = setup_check_dump_base(&o, &t);
		if (err)
			return cli_fail(err);
		setup_print_dry_run(o.config, &t);
		for (size_t i = 0; t.config.nchain > 1 && i < t.config.nchain; i++)
			printf("chain.%zu=%s\n", i + 1, chain.links[i].name);
		return 0;
	}
	if (geteuid() != 0) {
		return cli_error("setup: needs root (it loads a kernel): run it with sudo");
	}
	// 1. The config and the target, checked now rather than at crash
	// time; 2. the kernel's kexec state.
	struct kd_kexec_state st;
	err = setup_load_and_check(&o, true, &t, &free_bytes, &st, &chain);
	if (!err)
		err = setup_check_dump_base(&o, &t);
	if (err)
		return cli_fail(err);
	// What status shows: each link, reachable at setup time or not.
	char *chain_text;
	err = kd_target_chain_state_format(&chain, &chain_text);
	if (!err) {
		err = kd_install_file(KD_TARGET_CHAIN_STATE, chain_text, 0644);
		free(chain_text);
	}
	if (err)
		return cli_fail(err);
	if (st.load_disabled) {
		return cli_error("kexec is disabled on this machine (kernel.kexec_load_disabled = 1, "
				 "which only a reboot can reset): boot without it to use crash dumps");
	}

	// 3. The capture initramfs for the running kernel (or --kernel's).
	struct utsname u;
	uname(&u);
	const char *release = o.kernel ? o.kernel : u.release;
	bool other = strcmp(release, u.release) != 0;
	char kernel[256], moddir[256], initrd[256];
	snprintf(kernel, sizeof(kernel), "/boot/vmlinuz-%s", release);
	snprintf(moddir, sizeof(moddir), "/lib/modules/%s", release);
	snprintf(initrd, sizeof(initrd), "%s/initramfs-%s.img", INITRAMFS_DIR, release);
	if (access(kernel, R_OK)) {
		return cli_error("%s: %s (the %s kernel's image is needed for the capture kernel)",
				 kernel, strerror(errno), other ? "--kernel" : "running");
	}
	struct kd_modset *set = NULL;
	err = kd_modset_open(moddir, &set);
	if (!err)
		err = setup_add_modules(set, &t.config, &chain);
	if (!err)
		err = setup_network_modules(set, &t.config);
	if (err) {
		kd_modset_close(set);
		return cli_fail(kd_error_prefix(err, "capture initramfs"));
	}
	err = kd_install_dir(INITRAMFS_DIR, 0700);
	struct kd_initramfs_report rep = { 0 };
	struct kd_config *icfg = malloc(sizeof(*icfg));
	if (!err && !icfg)
		err = kd_error_create(KD_ERROR_NOMEM, "out of memory");
	if (!err && icfg) {
		struct kd_initramfs_file files[KD_INITRAMFS_MAX_FILES];
		size_t nfiles = setup_ssh_files(&t.config, icfg, files);
		struct kd_initramfs_options io = {
			.init = exe, .config = icfg, .modules = set, .compress = true,
			.files = files, .nfiles = nfiles,
		};
		err = kd_initramfs_write(initrd, &io, &rep);
	}
	free(icfg);
	kd_modset_close(set);
	if (err)
		return cli_fail(kd_error_prefix(err, "capture initramfs %s", initrd));

	// 4. The reservation must hold the kernel, the initramfs and the
	// capture kernel's run (kd_kexec_needed_reservation, measured).
	uint64_t needed = kd_kexec_needed_reservation(setup_file_size(kernel), rep.size);
	uint64_t suggest = setup_suggest_size(needed);
	bool reboot_needed = false, armed = false;
	int rc = 0;
	char b1[32], b2[32];
	if (other) {
		bool raised;
		rc = setup_prepare_other(&o, &st, release, needed, &raised);
		printf("kexdump setup: %s %s\n", release,
		       rc ? "NOT ready" : "ready: kexdump.service loads its capture kernel when it boots");
		printf("  initramfs:   %s, %s, %zu modules\n", initrd,
		       setup_human(rep.size, b1, sizeof(b1)), rep.nmodules);
		printf("  reservation: %s needed%s\n", setup_human(needed, b2, sizeof(b2)),
		       raised ? ", raised in " GRUB_DROPIN : "");
		return rc;
	} else if (st.crash_size < needed) {
		if (st.crash_size == 0)
			printf("kexdump setup: no memory is reserved for the capture kernel%s%s%s.\n"
			       "  Add crashkernel=%" PRIu64 "M to the kernel command line and reboot",
			       st.crashkernel_arg[0] ? " (" : "", st.crashkernel_arg,
			       st.crashkernel_arg[0] ? " reserved nothing)" : "", suggest / MIB);
		else
			printf("kexdump setup: the reservation (%s) is too small: kernel + initramfs + capture need %s.\n"
			       "  Use crashkernel=%" PRIu64 "M on the kernel command line and reboot",
			       setup_human(st.crash_size, b1, sizeof(b1)), setup_human(needed, b2, sizeof(b2)),
			       suggest / MIB);
		if (o.apply_bootloader) {
			printf(".\n");
			err = setup_apply_bootloader(suggest);
			if (err)
				return cli_fail(err);
			printf("kexdump setup: reboot now; kexdump.service arms the machine at boot\n");
			reboot_needed = true;
		} else {
			printf(",\n  or run kexdump setup --apply-bootloader to have it added to GRUB "
			       "(%s).\n", GRUB_DROPIN);
			rc = EXIT_BAD_INPUT;
		}
	} else {
		// 5. Load it: what `kexdump load --crash` does.
		char *cmdline = NULL;
		err = setup_load_crash(kernel, initrd, &t.config, &cmdline);
		if (err)
			return cli_fail(err);
		printf("kexdump setup: capture kernel loaded: %s, cmdline \"%s\"\n", kernel, cmdline);
		free(cmdline);
		armed = true;
	}

	// 6. The systemd units that re-arm at boot and on changes.
	const char *units_state;
	if (o.boot) {
		units_state = "(not touched: --boot)";
	} else if (o.no_systemd) {
		units_state = "not installed (--no-systemd)";
	} else if (access("/run/systemd/system", F_OK)) {
		printf("kexdump setup: systemd is not running: units not installed; run "
		       "\"%s setup --boot\" at each boot to re-arm\n", exe);
		units_state = "not installed (systemd is not running)";
	} else {
		err = setup_install_units(exe, o.config);
		if (err)
			return cli_fail(kd_error_prefix(err, "installing the systemd units"));
		units_state = "kexdump.service, kexdump-rearm.path enabled";
	}

	// 7. The summary.
	printf("kexdump setup: %s\n", armed ? "armed" : reboot_needed ? "reboot needed" : "NOT armed");
	if (kd_config_local(&t.config) && chain.links[kd_config_local(&t.config) - t.config.chain].ok)
		setup_print_target(&t, free_bytes);
	setup_print_chain(&chain);
	if (st.crash_size)
		printf("  reservation: %s at 0x%" PRIx64 " (%s needed)\n",
		       setup_human(st.crash_size, b1, sizeof(b1)), st.crash_start,
		       setup_human(needed, b2, sizeof(b2)));
	else
		printf("  reservation: none (crashkernel=%" PRIu64 "M needed)\n", suggest / MIB);
	printf("  initramfs:   %s, %s, %zu modules\n", initrd, setup_human(rep.size, b1, sizeof(b1)),
	       rep.nmodules);
	printf("  loaded:      %s\n", armed ? "yes (on crash)" : "no");
	printf("  units:       %s\n", units_state);
	printf("  on a crash:  dump to %s, then %s (failure: %s)\n", t.config.path,
	       kd_action_name(t.config.final_action), kd_action_name(t.config.failure_action));
	return rc;
}
