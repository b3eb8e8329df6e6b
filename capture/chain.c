// SPDX-License-Identifier: LGPL-2.1-or-later
// The capture's target chain (capture/init.c runs it): each link of the
// config in turn until one takes the whole dump, the capture kernel's
// network brought up before the first network link, and the network
// links themselves: nfs:// mounted, then written as a local folder;
// ssh:// written over SFTP (lib/service/sftp.c).
//
// An ssh link writes what a local target gets, in the same order, into
// PATH/<host>-<date>/ on the server: dmesg.txt first, vmcore.incomplete
// renamed vmcore when done, the summary last. A dropped link is resumed
// by the SFTP file itself (kd_sftp_file_pwrite: reconnect, send again the
// write the server had not acknowledged, a bounded number of times); when
// it cannot, the dump stays there marked incomplete and the next link of
// the chain takes the dump (dmesg.txt first, so it gets at least that).
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

// Dump folder names tried on the server (the plain one, then random
// suffixes, as kd_dumpdir_create).
#define CHAIN_SSH_NAME_TRIES 10

static enum outcome chain_ssh(struct capture *c, const struct kd_config_target *link);

// The capture kernel's network (lib/service/netif.c, dhcp.c), brought up
// once, before the first network target: lo and the interface of the
// network key up, its address (static, or kexdump's DHCP client) and the
// default route, every wait bounded by device_timeout. False when it could
// not (net_error says why, for each network target that needed it).
bool capture_network(struct capture *c)
{
	if (c->net_state)
		return c->net_state > 0;
	unsigned int secs = c->cfg.device_timeout ? c->cfg.device_timeout : 10;
	struct kd_netif_report rep;
	struct kd_error *err = kd_netif_bring_up(&c->cfg.network, secs * 1000, &rep);
	if (err) {
		snprintf(c->net_error, sizeof(c->net_error), "network: %s", kd_error_message(err));
		kd_error_destroy(err);
		capture_say("ERROR: %s", c->net_error);
		c->net_state = -1;
		return false;
	}
	char a[16], g[16], srv[16], how[64] = "";
	kd_netif_format_ip(rep.addr, a);
	kd_netif_format_ip(rep.gateway, g);
	if (rep.dhcp) {
		kd_netif_format_ip(rep.dhcp_server, srv);
		snprintf(how, sizeof(how), " (DHCP from %s, lease %u s)", srv, rep.lease_seconds);
	}
	capture_say("network: %s %s/%u%s%s mtu %u%s up in %.2f s (interface %.2f s, carrier %.2f s)",
		    rep.iface, a, rep.prefix, rep.has_gateway ? " gateway " : "",
		    rep.has_gateway ? g : "", rep.mtu, how, rep.total_seconds, rep.link_seconds,
		    rep.carrier_seconds);
	c->net_state = 1;
	// Reaching the server: the first network target, when setup gave
	// its address (the capture kernel has no resolver). A refused port
	// counts: the host answered; the target itself says what is wrong.
	for (size_t i = 0; i < c->cfg.nchain; i++) {
		const struct kd_config_target *t = &c->cfg.chain[i];
		uint8_t ip[4];
		if (!kd_config_target_is_network(t->kind))
			continue;
		if (!kd_netif_parse_ip(t->host, ip))
			break;
		double t0 = capture_now();
		unsigned int port = kd_config_target_port(t);
		err = kd_netif_probe_tcp(ip, (uint16_t)port, secs * 1000);
		if (err) {
			capture_say("WARNING: network: %s", kd_error_message(err));
			kd_error_destroy(err);
		} else {
			capture_say("network: %s:%u answers (%.2f s)", t->host, port,
				    capture_now() - t0);
		}
		break;
	}
	return true;
}


// An nfs:// link: mount it (lib/service/nfs.c), then as a local folder.
static enum outcome chain_nfs(struct capture *c, const struct kd_config_target *link)
{
	struct kd_config_target t = *link;
	// setup wrote the address; `kexdump capture` may be given a name.
	struct kd_error *err = kd_nfs_resolve_host(link->host, c->pid1, t.host, sizeof(t.host));
	if (err) {
		capture_fail_err(c, err);
		return OUT_FAILED;
	}
	char where[PATH_MAX];
	if (c->pid1) {
		snprintf(where, sizeof(where), "%s", TARGET_MNT);
		mkdir(where, 0700);
	} else {
		snprintf(where, sizeof(where), "/tmp/kexdump-capture-XXXXXX");
		if (!mkdtemp(where)) {
			capture_fail(c, "cannot create a mount point: %s", strerror(errno));
			return OUT_FAILED;
		}
	}
	unsigned int wait_ms = (c->cfg.device_timeout < 10 ? 10 : c->cfg.device_timeout) * 1000u;
	struct kd_nfs_mounted *m = malloc(sizeof(*m));
	err = m ? kd_nfs_mount(&t, where, wait_ms, m) :
		    kd_error_create(KD_ERROR_NOMEM, "out of memory");
	if (err) {
		capture_fail_err(c, err);
		free(m);
		if (!c->pid1)
			rmdir(where);
		return OUT_FAILED;
	}
	snprintf(c->mnt, sizeof(c->mnt), "%s", where);
	snprintf(c->base, sizeof(c->base), "%s", m->dir);
	capture_say("mounted %s (NFS %s) on %s", m->source, m->vers, where);
	free(m);
	return capture_into_base(c);
}

// One link of the chain.
static enum outcome chain_link(struct capture *c, const struct kd_config_target *link)
{
	switch (link->kind) {
	case KD_TARGET_NFS:
		// `kexdump capture` on a running system uses its network.
		if (c->pid1 && !capture_network(c)) {
			capture_fail(c, "%s", c->net_error);
			return OUT_FAILED;
		}
		return chain_nfs(c, link);
	case KD_TARGET_SSH:
		if (c->pid1 && !capture_network(c)) {
			capture_fail(c, "%s", c->net_error);
			return OUT_FAILED;
		}
		return chain_ssh(c, link);
	case KD_TARGET_RAW:
		if (!c->target_dir)
			return capture_raw(c);
		return capture_fs(c);
	case KD_TARGET_FS:
	default:
		return capture_fs(c);
	}
}

// What is kept between links: the failure of the last one, its folder
// left with what it got (dmesg.txt written if it was not, its summary);
// then everything of the link is let go.
static void chain_link_failed(struct capture *c, enum outcome out, bool last)
{
	if (c->dumpdir && !c->dmesg_done && c->kernel)
		capture_write_dmesg(c);
	capture_write_summary(c, out == OUT_INCOMPLETE ? OUT_INCOMPLETE : OUT_FAILED);
	if (c->nfailed < KD_CONFIG_MAX_TARGETS)
		snprintf(c->failed[c->nfailed++], sizeof(c->failed[0]), "%.160s: %.200s",
			 c->target_name, c->error[0] ? c->error : "unknown error");
	if (last)
		return;
	capture_say("target %s failed: %s; trying the next target", c->target_name,
		    c->error[0] ? c->error : "unknown error");
	capture_unmount_target(c);
	c->error[0] = '\0';
	c->dir[0] = c->base[0] = '\0';
	c->dmesg_done = false;
	c->dmesg_error[0] = '\0';
	memset(&c->stats, 0, sizeof(c->stats));
	c->seconds = 0;
	c->link_drops = c->link_resumed = 0;
}

// Each link in turn until one takes the whole dump. When none does, the
// outcome is the best one seen (a partial dump is better than none) and
// the error lists every link's.
enum outcome capture_chain(struct capture *c)
{
	const struct kd_config *cfg = &c->cfg;
	size_t n = cfg->nchain ? cfg->nchain : 1;
	enum outcome best = OUT_FAILED;
	char best_dir[PATH_MAX] = "";
	for (size_t i = 0; i < n; i++) {
		const struct kd_config_target *link = &cfg->chain[i];
		kd_config_target_name(cfg, link, c->target_name, sizeof(c->target_name));
		if (c->target_dir && !kd_config_target_is_network(link->kind))
			snprintf(c->target_name, sizeof(c->target_name), "%s", c->target_dir);
		if (n > 1)
			capture_say("target %zu of %zu: %s", i + 1, n, c->target_name);
		enum outcome out = chain_link(c, link);
		if (out == OUT_COMPLETE)
			return out;
		if (out == OUT_INCOMPLETE && best != OUT_INCOMPLETE) {
			best = out;
			snprintf(best_dir, sizeof(best_dir), "%s", c->dir);
		}
		bool no_dump = !c->kernel && !c->fallback_why[0];
		chain_link_failed(c, out, i + 1 == n || no_dump);
		// Without a dump, one folder says why; no other link is tried.
		if (no_dump)
			return OUT_FAILED;
	}
	if (n > 1) {
		char all[512] = "every target failed: ";
		for (size_t i = 0; i < c->nfailed; i++) {
			size_t l = strlen(all);
			snprintf(all + l, sizeof(all) - l, "%s%s", i ? "; " : "", c->failed[i]);
		}
		snprintf(c->error, sizeof(c->error), "%s", all);
	}
	if (best == OUT_INCOMPLETE)
		snprintf(c->dir, sizeof(c->dir), "%s", best_dir);
	return best;
}

// ------------------------------------------------------------------ ssh

// The log as dmesg.txt's text (what capture_write_dmesg writes).
static struct kd_error *chain_dmesg_text(struct capture *c, char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);
	if (!f)
		return kd_error_create(KD_ERROR_NOMEM, "out of memory");
	struct write_ctx w = { .out = f };
	struct kd_error *err = kd_printk_iterate(c->kernel, capture_write_record, &w);
	if (fclose(f) != 0 && !err)
		err = kd_error_create(KD_ERROR_NOMEM, "out of memory");
	if (err) {
		free(*text);
		*text = NULL;
	}
	return err;
}

// The summary into the folder on the server, last. After the link was
// lost for good, one new session is tried for it (the server may be back).
static void chain_ssh_summary(struct capture *c, struct kd_sftp **s,
			      const struct kd_sftp_target *st, const char *dir,
			      const char *date, enum outcome out)
{
	struct kd_dumpdir_summary sum;
	const char *failed[KD_CONFIG_MAX_TARGETS];
	capture_summary(c, out, &sum, failed);
	char *text = NULL, path[PATH_MAX];
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, KD_DUMPDIR_SUMMARY);
	struct kd_error *err = kd_dumpdir_summary_text(c->host, date, NULL, &sum, &text, &len);
	if (!err && !*s)
		err = kd_sftp_open(st, 0, s);
	if (!err)
		err = kd_sftp_put(*s, path, text, len);
	free(text);
	if (err) {
		capture_say("the summary on the server: %s", kd_error_message(err));
		kd_error_destroy(err);
	}
}

// The dump folder on the server: PATH made, then PATH/<host>-<date>
// (0700), another name when taken.
static struct kd_error *chain_ssh_mkdir(struct capture *c, struct kd_sftp *s,
					const char *base, char *dir, size_t dirlen, char date[20])
{
	struct kd_error *err = kd_sftp_mkdirs(s, base);
	if (err)
		return err;
	int64_t now = (int64_t)time(NULL);
	for (int i = 0; i < CHAIN_SSH_NAME_TRIES; i++) {
		char name[128];
		bool exists;
		err = kd_dumpdir_name(c->host, now, i > 0, name, sizeof(name), date);
		if (!err && (size_t)snprintf(dir, dirlen, "%s/%s", strcmp(base, "/") ? base : "",
					     name) >= dirlen)
			err = kd_error_create(KD_ERROR_INVALID, "%s: dump folder name too long", base);
		if (!err)
			err = kd_sftp_mkdir(s, dir, &exists);
		if (err || !exists)
			return err;
	}
	return kd_error_create(KD_ERROR_INVALID, "cannot create a new dump folder under %s: names taken",
			       base);
}

// An ssh:// link: logged in with the key and host keys setup put in the
// initramfs, the folder made, dmesg.txt, the dump, the summary.
static enum outcome chain_ssh(struct capture *c, const struct kd_config_target *link)
{
	if (!c->kernel) {
		// The ELF copy (and a failed folder's summary) are written
		// through the local target's files: leave them to it.
		capture_fail(c, "the crashed kernel could not be read: an ssh target takes "
			     "kdump files only");
		return OUT_FAILED;
	}
	struct kd_sftp_target st = {
		.user = link->user, .host = link->host, .port = kd_config_target_port(link),
		.key_file = c->cfg.ssh_key,
		.known_hosts = c->cfg.known_hosts[0] ? c->cfg.known_hosts : KD_CONFIG_KNOWN_HOSTS,
		.timeout = c->cfg.device_timeout < 10 ? 10 : c->cfg.device_timeout,
	};
	struct kd_sftp *s = NULL;
	double t0 = capture_now();
	struct kd_error *err = kd_sftp_open(&st, 0, &s);
	if (err) {
		capture_fail_err(c, err);
		return OUT_FAILED;
	}
	capture_say("logged in to %s@%s port %u (host key %s) in %.2f s", link->user, link->host,
		    st.port, kd_sftp_fingerprint(s), capture_now() - t0);
	char dir[512], date[20], path[PATH_MAX];
	err = chain_ssh_mkdir(c, s, link->path, dir, sizeof(dir), date);
	if (err) {
		capture_fail_err(c, err);
		kd_sftp_close(s);
		return OUT_FAILED;
	}
	snprintf(c->dir, sizeof(c->dir), "%s@%s:%s", link->user, link->host, dir);
	// dmesg.txt first: the log is what a user reads first.
	char *text = NULL;
	size_t len = 0;
	err = chain_dmesg_text(c, &text, &len);
	snprintf(path, sizeof(path), "%s/%s", dir, KD_DUMPDIR_DMESG);
	if (!err)
		err = kd_sftp_put(s, path, text, len);
	free(text);
	c->dmesg_done = true;
	if (err) {
		snprintf(c->dmesg_error, sizeof(c->dmesg_error), "%s", kd_error_message(err));
		capture_say("dmesg.txt: %s", c->dmesg_error);
		kd_error_destroy(err);
	} else {
		c->any_dmesg = true;
	}
	struct kd_save_options o;
	capture_save_options(c, &o);
	snprintf(path, sizeof(path), "%s/%s", dir, KD_DUMPDIR_VMCORE);
	capture_say("saving to %s:%s (dump level %u, %s, %s)", link->host, path, o.dump_level,
		    kd_save_codec_name(o.codec), kd_save_format_name(o.format));
	struct kd_sftp_file_stats fst;
	t0 = capture_now();
	err = kd_sftp_save(s, c->kernel, path, &o, &c->stats, &fst);
	c->seconds = capture_now() - t0;
	capture_say_auto(c);
	c->link_drops = fst.drops;
	c->link_resumed = fst.reconnects;
	if (fst.drops)
		capture_say("the link dropped %u times, resumed %u times%s%s", fst.drops,
			    fst.reconnects, fst.error[0] ? ": " : "", fst.error);
	enum outcome out = OUT_COMPLETE;
	if (err) {
		// Cut short: what the server holds says incomplete in its
		// header (and stays vmcore.incomplete when the link is gone).
		out = c->stats.bytes_out ? OUT_INCOMPLETE : OUT_FAILED;
		capture_fail_err(c, err);
	}
	if (fst.error[0]) {
		// The session is gone with the link.
		kd_sftp_close(s);
		s = NULL;
		st.retries = 1;
	}
	chain_ssh_summary(c, &s, &st, dir, date, out);
	kd_sftp_close(s);
	return out;
}
