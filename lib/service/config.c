// SPDX-License-Identifier: LGPL-2.1-or-later
// /etc/kexdump.conf: "key value" lines, '#' comments, validated strictly at
// set-up time so that nothing is discovered at crash time. Every error names
// the file and line ("kexdump.conf:3: unknown key 'foo'"). kd_config_write()
// emits every key with its resolved value; the capture init parses that
// text back with kd_config_parse(). docs/kexdump.conf.md describes the keys.
#include "service/service.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

// Larger files are certainly not a config file.
#define CONFIG_MAX_SIZE (64u * 1024)

// Names of enum kd_action, in order.
static const char *const action_names[] = {
	[KD_ACTION_REBOOT] = "reboot", [KD_ACTION_POWEROFF] = "poweroff",
	[KD_ACTION_HALT] = "halt", [KD_ACTION_SHELL] = "shell",
};
// Filesystems the capture init can probe and mount (lib/blkdev.c).
static const char *const fstype_names[] = {
	"ext2", "ext3", "ext4", "xfs", "btrfs", "vfat",
};

KD_EXPORT const char *kd_action_name(enum kd_action action)
{
	if ((unsigned int)action < KD_ARRAY_SIZE(action_names))
		return action_names[action];
	return "unknown";
}

KD_EXPORT void kd_config_default(struct kd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->target_kind = KD_TARGET_FS;
	cfg->chain[0].kind = KD_TARGET_FS;
	cfg->nchain = 1;
	strcpy(cfg->path, "/var/crash");
	cfg->dump_level = 31;
	cfg->codec = KD_SAVE_AUTO;
	cfg->format = KD_SAVE_KDUMP;
	cfg->final_action = KD_ACTION_REBOOT;
	cfg->failure_action = KD_ACTION_REBOOT;
	cfg->device_timeout = 30;
	strcpy(cfg->ssh_key, KD_CONFIG_SSH_KEY);
}

KD_EXPORT unsigned int kd_config_capture_timeout(const struct kd_config *cfg,
						 uint64_t dump_size)
{
	if (cfg->capture_timeout)
		return cfg->capture_timeout;
	// The device wait, two minutes for mounting, the log, sync and
	// unmount, and the dump at 20 MB/s (TCG and slow disks do more).
	uint64_t t = cfg->device_timeout + 120 + dump_size / (20 * 1000 * 1000);
	return t > KD_CONFIG_MAX_CAPTURE_TIMEOUT ? KD_CONFIG_MAX_CAPTURE_TIMEOUT : (unsigned int)t;
}

static int config_lookup(const char *const *names, size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], value))
			return (int)i;
	return -1;
}

// A block device spec: "UUID=" hex digits and dashes (ext/xfs/btrfs UUIDs,
// vfat's XXXX-XXXX serial), "LABEL=" a non-empty printable label, or
// "/dev/NAME" with a plain device name.
static const char *config_check_device(const char *v, bool raw)
{
	if (!strncmp(v, "UUID=", 5)) {
		const char *u = v + 5;
		if (!*u || strlen(u) > 36)
			return "UUID= needs a UUID of at most 36 characters";
		for (; *u; u++)
			if (!isxdigit((unsigned char)*u) && *u != '-')
				return "a UUID holds only hex digits and '-'";
		return NULL;
	}
	if (!raw && !strncmp(v, "LABEL=", 6)) {
		if (!v[6] || strlen(v + 6) > 63)
			return "LABEL= needs a label of 1 to 63 characters";
		return NULL;
	}
	if (!strncmp(v, "/dev/", 5)) {
		const char *n = v + 5;
		if (!*n || strstr(n, ".."))
			return "a device needs a name after /dev/";
		for (; *n; n++)
			if (!isalnum((unsigned char)*n) && !strchr("/_-.:+", *n))
				return "bad character in the device name";
		return NULL;
	}
	return raw ? "expected /dev/NAME or UUID=..." :
		     "expected UUID=..., LABEL=... or /dev/NAME";
}

static const char *config_check_path(const char *v)
{
	if (v[0] != '/')
		return "path not absolute";
	for (const char *p = v; *p; p++)
		if (isspace((unsigned char)*p))
			return "path holds white space";
	// ".." could lead out of the target filesystem's mount point.
	for (const char *p = v; (p = strstr(p, "..")); p += 2)
		if (p[-1] == '/' && (p[2] == '/' || !p[2]))
			return "path holds a '..' component";
	return NULL;
}

// RFC 1123 host names: labels of letters, digits and '-', separated by dots.
// The name becomes part of the dump folder's name, so no '/' can get in.
static const char *config_check_hostname(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > 64)
		return "hostname must have 1 to 64 characters";
	if (v[0] == '-' || v[0] == '.' || v[n - 1] == '-' || v[n - 1] == '.')
		return "hostname cannot begin or end with '-' or '.'";
	for (const char *p = v; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return "hostname holds only letters, digits, '-' and '.'";
		if (*p == '.' && p[1] == '.')
			return "hostname has an empty label";
	}
	return NULL;
}

// Module names as modules.dep has them: letters, digits, '_' and '-'.
static const char *config_check_module(const char *v)
{
	if (strlen(v) >= 64)
		return "module name too long";
	for (const char *p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return "bad character in module name";
	return NULL;
}

static bool config_parse_uint(const char *v, unsigned int max, unsigned int *ret)
{
	if (!isdigit((unsigned char)v[0]) || strlen(v) > 9)
		return false;
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	if (*end || n > max)
		return false;
	*ret = (unsigned int)n;
	return true;
}

/* ------------------------------------------------------ network targets */

KD_EXPORT bool kd_config_target_is_network(enum kd_target_kind kind)
{
	return kind == KD_TARGET_SSH || kind == KD_TARGET_NFS;
}

KD_EXPORT unsigned int kd_config_target_port(const struct kd_config_target *t)
{
	if (t->port)
		return t->port;
	return t->kind == KD_TARGET_SSH ? KD_CONFIG_SSH_PORT :
	       t->kind == KD_TARGET_NFS ? KD_CONFIG_NFS_PORT : 0;
}

KD_EXPORT const struct kd_config_target *kd_config_local(const struct kd_config *cfg)
{
	for (size_t i = 0; i < cfg->nchain && i < KD_CONFIG_MAX_TARGETS; i++)
		if (!kd_config_target_is_network(cfg->chain[i].kind))
			return &cfg->chain[i];
	return NULL;
}

KD_EXPORT bool kd_config_has_network(const struct kd_config *cfg)
{
	for (size_t i = 0; i < cfg->nchain && i < KD_CONFIG_MAX_TARGETS; i++)
		if (kd_config_target_is_network(cfg->chain[i].kind))
			return true;
	return false;
}

KD_EXPORT void kd_config_target_name(const struct kd_config *cfg,
				     const struct kd_config_target *t, char *out,
				     size_t outlen)
{
	if (kd_config_target_is_network(t->kind))
		snprintf(out, outlen, "%s", t->url);
	else if (cfg->target_kind == KD_TARGET_RAW)
		snprintf(out, outlen, "raw %s", cfg->target);
	else if (cfg->target[0])
		snprintf(out, outlen, "%s", cfg->target);
	else
		snprintf(out, outlen, "the filesystem holding %s", cfg->path);
}

// A login name as useradd(8) and POSIX's portable set allow: letters,
// digits, '.', '_' and '-', not starting with '-'.
static const char *config_url_check_user(const char *u, size_t n)
{
	if (n == 0)
		return "no user before '@'";
	if (n > 32)
		return "user longer than 32 characters";
	if (u[0] == '-')
		return "user cannot begin with '-'";
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)u[i]) && !strchr("._-", u[i]))
			return "user holds only letters, digits, '.', '_' and '-'";
	return NULL;
}

// A DNS name (RFC 1123: labels of 1 to 63 letters, digits and '-', not
// beginning or ending with '-'), or an IPv4 address when it is all digits
// and dots.
static const char *config_url_check_host(const char *h)
{
	size_t n = strlen(h);
	if (n == 0)
		return "no host";
	if (n > 253)
		return "host name longer than 253 characters";
	if (strspn(h, "0123456789.") == n) {
		struct in_addr a;
		return inet_pton(AF_INET, h, &a) == 1 ? NULL : "not an IPv4 address";
	}
	for (const char *p = h; *p;) {
		size_t l = strcspn(p, ".");
		if (l == 0 || l > 63)
			return "host name has an empty or too long label";
		if (p[0] == '-' || p[l - 1] == '-')
			return "host name label begins or ends with '-'";
		for (size_t i = 0; i < l; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '-')
				return "host name holds only letters, digits, '-' and '.'";
		p += l;
		if (*p == '.' && !*++p)
			return "host name ends with '.'";
	}
	return NULL;
}

// The folder on the server: absolute, components of letters, digits and
// "._~+,=:@-", none empty, "." or ".."; no percent-encoding.
static const char *config_url_check_path(const char *p)
{
	if (strlen(p) >= sizeof(((struct kd_config_target *)0)->path))
		return "path longer than 255 characters";
	for (const char *c = p; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("/._~+,=:@-", *c))
			return *c == '%' ? "percent-encoding is not supported in the path" :
					   "path holds a character other than letters, digits and /._~+,=:@-";
	if (!strcmp(p, "/"))
		return NULL;
	for (const char *c = p + 1;;) {
		size_t l = strcspn(c, "/");
		if (l == 0)
			return c[0] ? "path has an empty component ('//')" : NULL;
		if ((l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
			return "path holds a '.' or '..' component";
		c += l;
		if (!*c)
			return NULL;
		c++;
		if (!*c)
			return NULL;	// one trailing '/', dropped
	}
}

KD_EXPORT struct kd_error *kd_config_target_format(struct kd_config_target *t)
{
	const char *scheme = t->kind == KD_TARGET_SSH ? "ssh" :
			     t->kind == KD_TARGET_NFS ? "nfs" : NULL;
	if (!scheme)
		return kd_error_create(KD_ERROR_INVALID, "not a network target");
	bool v6 = strchr(t->host, ':') != NULL;
	char port[16] = "";
	if (t->port)
		snprintf(port, sizeof(port), ":%u", t->port);
	int n = snprintf(t->url, sizeof(t->url), "%s://%s%s%s%s%s%s%s", scheme, t->user,
			 t->user[0] ? "@" : "", v6 ? "[" : "", t->host, v6 ? "]" : "", port,
			 t->path);
	if (n < 0 || (size_t)n >= sizeof(t->url))
		return kd_error_create(KD_ERROR_INVALID, "%s://%s: URL too long", scheme, t->host);
	return NULL;
}

static struct kd_error *config_url_bad(const char *url, const char *why, const char *form)
{
	return kd_error_create(KD_ERROR_INVALID, "%s: %s (%s)", url, why, form);
}

KD_EXPORT struct kd_error *kd_config_parse_url(const char *url, struct kd_config_target *ret)
{
	static const char ssh_form[] = "ssh://USER@HOST[:PORT]/PATH";
	static const char nfs_form[] = "nfs://HOST[:PORT]/EXPORT[/PATH]";
	struct kd_config_target t = { 0 };
	const char *form, *rest;
	const char *why;
	if (!strncmp(url, "ssh://", 6)) {
		t.kind = KD_TARGET_SSH;
		form = ssh_form;
		rest = url + 6;
	} else if (!strncmp(url, "nfs://", 6)) {
		t.kind = KD_TARGET_NFS;
		form = nfs_form;
		rest = url + 6;
	} else if (!strncmp(url, "nfs3://", 7) || !strncmp(url, "nfs4://", 7)) {
		return kd_error_create(url[3] == '3' ? KD_ERROR_UNSUPPORTED : KD_ERROR_INVALID,
				       "%s: %s (NFSv4: %s)", url, url[3] == '3' ?
				       "NFSv3 is not supported: it needs the server's rpcbind and mountd" :
				       "unknown scheme", nfs_form);
	} else {
		const char *sep = strstr(url, "://");
		if (!sep)
			return kd_error_create(KD_ERROR_INVALID, "%s: not a URL", url);
		return kd_error_create(KD_ERROR_INVALID, "%s: unknown scheme '%.*s' (%s, %s)", url,
				       (int)(sep - url) > 16 ? 16 : (int)(sep - url), url,
				       ssh_form, nfs_form);
	}
	const char *slash = strchr(rest, '/');
	if (!slash)
		return config_url_bad(url, "no path after the host", form);
	// [USER@]
	const char *at = memchr(rest, '@', (size_t)(slash - rest));
	const char *hp = rest;
	if (t.kind == KD_TARGET_SSH) {
		if (!at)
			return config_url_bad(url, "no user", form);
		if ((why = config_url_check_user(rest, (size_t)(at - rest))))
			return config_url_bad(url, why, form);
		memcpy(t.user, rest, (size_t)(at - rest));
		hp = at + 1;
	} else if (at) {
		return config_url_bad(url, "nfs:// takes no user", form);
	}
	// HOST or [IPv6], then :PORT
	size_t hlen = (size_t)(slash - hp);
	const char *port = NULL;
	if (hlen && hp[0] == '[') {
		const char *close = memchr(hp, ']', hlen);
		if (!close)
			return config_url_bad(url, "'[' without ']'", form);
		size_t n = (size_t)(close - hp - 1);
		if (n == 0 || n >= sizeof(t.host))
			return config_url_bad(url, "not an IPv6 address in [ ]", form);
		memcpy(t.host, hp + 1, n);
		struct in6_addr a6;
		if (inet_pton(AF_INET6, t.host, &a6) != 1)
			return config_url_bad(url, "not an IPv6 address in [ ]", form);
		if (close + 1 < slash) {
			if (close[1] != ':')
				return config_url_bad(url, "text after ']'", form);
			port = close + 2;
		}
	} else {
		const char *colon = memchr(hp, ':', hlen);
		size_t n = colon ? (size_t)(colon - hp) : hlen;
		if (n >= sizeof(t.host))
			return config_url_bad(url, "host name longer than 253 characters", form);
		memcpy(t.host, hp, n);
		if (memchr(t.host, '@', n))
			return config_url_bad(url, "more than one '@'", form);
		if ((why = config_url_check_host(t.host)))
			return config_url_bad(url, why, form);
		if (colon)
			port = colon + 1;
	}
	if (port) {
		size_t n = (size_t)(slash - port);
		unsigned long v = 0;
		bool ok = n >= 1 && n <= 5 && strspn(port, "0123456789") >= n;
		for (size_t i = 0; ok && i < n; i++)
			v = v * 10 + (unsigned long)(port[i] - '0');
		if (!ok || v == 0 || v > 65535)
			return config_url_bad(url, "the port is not a number from 1 to 65535", form);
		t.port = (unsigned int)v;
	}
	if ((why = config_url_check_path(slash)))
		return config_url_bad(url, why, form);
	strcpy(t.path, slash);
	size_t pl = strlen(t.path);
	if (pl > 1 && t.path[pl - 1] == '/')
		t.path[pl - 1] = '\0';
	struct kd_error *err = kd_config_target_format(&t);
	if (err)
		return err;
	*ret = t;
	return NULL;
}

enum {
	SEEN_TARGET = 1 << 0, SEEN_PATH = 1 << 1, SEEN_FSTYPE = 1 << 2,
	SEEN_LEVEL = 1 << 3, SEEN_CODEC = 1 << 4, SEEN_FORMAT = 1 << 5,
	SEEN_FINAL = 1 << 6, SEEN_FAILURE = 1 << 7, SEEN_TIMEOUT = 1 << 8,
	SEEN_HOST = 1 << 9, SEEN_CMDLINE = 1 << 10, SEEN_OVERWRITE = 1 << 11,
	SEEN_RAW_ID = 1 << 12, SEEN_CAPTURE_TIMEOUT = 1 << 13, SEEN_NETWORK = 1 << 14,
	SEEN_SSH_KEY = 1 << 15, SEEN_KNOWN_HOSTS = 1 << 16,
	SEEN_SUBVOL = 1 << 17,
};

struct parse_state {
	const char *name;
	unsigned int line;
	unsigned int seen;
	struct kd_config *cfg;
};

static struct kd_error *config_bad(const struct parse_state *st, const char *fmt,
			    const char *a, const char *b)
{
	return kd_error_prefix(kd_error_create(KD_ERROR_INVALID, fmt, a, b),
			       "%s:%u", st->name, st->line);
}

static struct kd_error *config_once(struct parse_state *st, unsigned int bit,
			     const char *key)
{
	if (st->seen & bit)
		return config_bad(st, "duplicate '%s'%s", key, "");
	st->seen |= bit;
	return NULL;
}

static struct kd_error *config_copy(const struct parse_state *st, const char *key,
			     char *dst, size_t size, const char *v)
{
	if (strlen(v) >= size) {
		char max[24];
		snprintf(max, sizeof(max), "%zu", size - 1);
		return config_bad(st, "'%s' value longer than %s characters", key, max);
	}
	strcpy(dst, v);
	return NULL;
}

// A 'target' or 'raw' line: the next link of the chain.
static struct kd_error *config_parse_target(struct parse_state *st, const char *key,
					    const char *v)
{
	struct kd_config *cfg = st->cfg;
	struct kd_error *err;
	const char *why;
	bool raw = key[0] == 'r';
	if (cfg->nchain == KD_CONFIG_MAX_TARGETS)
		return config_bad(st, "too many targets (at most %s)%s", "8", "");
	struct kd_config_target *t = &cfg->chain[cfg->nchain];
	if (!raw && strstr(v, "://")) {
		if ((err = kd_config_parse_url(v, t)))
			return kd_error_prefix(err, "%s:%u", st->name, st->line);
		for (size_t i = 0; i < cfg->nchain; i++)
			if (!strcmp(cfg->chain[i].url, t->url)) {
				unsigned int first = cfg->chain[i].line;
				memset(t, 0, sizeof(*t));
				return kd_error_prefix(kd_error_create(KD_ERROR_INVALID,
						       "%s: the same target as line %u", v, first),
						       "%s:%u", st->name, st->line);
			}
		t->line = st->line;
		cfg->nchain++;
		return NULL;
	}
	if (st->seen & SEEN_TARGET) {
		const struct kd_config_target *l = kd_config_local(cfg);
		return kd_error_prefix(kd_error_create(KD_ERROR_INVALID,
				       "'%s %s': a second local target (line %u has one; the chain holds one disk target and any network ones)",
				       key, v, l ? l->line : 0), "%s:%u", st->name, st->line);
	}
	st->seen |= SEEN_TARGET;
	if ((why = config_check_device(v, raw)))
		return config_bad(st, "%s: '%s'", why, v);
	if ((err = config_copy(st, key, cfg->target, sizeof(cfg->target), v)))
		return err;
	cfg->target_kind = raw ? KD_TARGET_RAW : KD_TARGET_FS;
	t->kind = cfg->target_kind;
	t->line = st->line;
	cfg->nchain++;
	return NULL;
}


// A recorded device under a dm line: an LVM physical volume by UUID, or a
// dm device of an earlier line.
static struct kd_error *config_dm_ref(const char *dev, char *out, size_t outlen, void *arg)
{
	const struct kd_config *cfg = arg;
	bool ok = false;
	if (!strncmp(dev, "UUID=", 5)) {
		ok = dev[5] != '\0';
	} else if (!strncmp(dev, "dm:", 3)) {
		// An earlier device, not the one being defined.
		for (size_t i = 0; i + 1 < cfg->ndm && !ok; i++)
			ok = !strcmp(cfg->dm[i].name, dev + 3) &&
			     strcmp(cfg->dm[cfg->ndm - 1].name, dev + 3);
	}
	if (!ok)
		return kd_error_create(KD_ERROR_INVALID,
				       "device '%s' is not UUID=... or dm:NAME of an earlier dm line", dev);
	snprintf(out, outlen, "%s", dev);
	return NULL;
}

// "dm NAME START LENGTH TYPE PARAMS": a line of the target's dm stack
// (lib/service/dm.c). A device's lines are consecutive, from sector 0 on
// without a gap, as the kernel's table needs (dm-table.c).
static struct kd_error *config_parse_dm(struct parse_state *st, char *v)
{
	struct kd_config *cfg = st->cfg;
	if (cfg->ndm == KD_CONFIG_MAX_DM)
		return config_bad(st, "too many dm lines (at most %s)%s", "32", "");
	struct kd_config_dm *l = &cfg->dm[cfg->ndm];
	size_t n = strcspn(v, " \t");
	if (!n || n >= sizeof(l->name) || !v[n])
		return config_bad(st, "dm: expected NAME START LENGTH TYPE PARAMS: '%s'%s", v, "");
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("+_.-", v[i]))
			return config_bad(st, "dm: bad device name in '%s'%s", v, "");
	memset(l, 0, sizeof(*l));
	memcpy(l->name, v, n);
	struct kd_error *err = kd_dm_line_parse(v + n + 1, l);
	const struct kd_config_dm *prev = cfg->ndm ? &cfg->dm[cfg->ndm - 1] : NULL;
	bool same = prev && !strcmp(prev->name, l->name);
	for (size_t i = 0; !err && !same && i < cfg->ndm; i++)
		if (!strcmp(cfg->dm[i].name, l->name))
			err = kd_error_create(KD_ERROR_INVALID, "'%s': its lines must be together",
					      l->name);
	if (!err && (same ? l->start != prev->start + prev->length : l->start != 0))
		err = kd_error_create(KD_ERROR_INVALID, "'%s': its lines must follow each other from sector 0",
				      l->name);
	if (!err) {
		char mapped[sizeof(l->params)];
		cfg->ndm++;
		err = kd_dm_params_map(l->type, l->params, config_dm_ref, cfg, mapped, sizeof(mapped));
		cfg->ndm--;
	}
	if (err) {
		memset(l, 0, sizeof(*l));
		return kd_error_prefix(kd_error_prefix(err, "dm"), "%s:%u", st->name, st->line);
	}
	cfg->ndm++;
	return NULL;
}

// One "key value" line; the value is the rest of the line, trimmed, so
// that labels and cmdline_append may hold spaces.
static struct kd_error *config_parse_line(struct parse_state *st, char *key, char *v)
{
	struct kd_config *cfg = st->cfg;
	struct kd_error *err;
	const char *why;
	int i;

	if (!strcmp(key, "modules")) {
		if (!*v)
			return config_bad(st, "'%s' needs at least one module name%s", key, "");
		for (char *save, *m = strtok_r(v, " \t", &save); m;
		     m = strtok_r(NULL, " \t", &save)) {
			if ((why = config_check_module(m)))
				return config_bad(st, "%s: '%s'", why, m);
			bool dup = false;
			for (size_t j = 0; j < cfg->nmodules; j++)
				dup |= !strcmp(cfg->modules[j], m);
			if (dup)
				continue;
			if (cfg->nmodules == KD_CONFIG_MAX_MODULES)
				return config_bad(st, "too many modules (at most %s)%s", "32", "");
			strcpy(cfg->modules[cfg->nmodules++], m);
		}
		return NULL;
	}
	if (!strcmp(key, "cmdline_append")) {
		if ((err = config_once(st, SEEN_CMDLINE, key)))
			return err;
		return config_copy(st, key, cfg->cmdline_append, sizeof(cfg->cmdline_append), v);
	}
	if (!*v)
		return config_bad(st, "'%s' needs a value%s", key, "");
	if (!strcmp(key, "target") || !strcmp(key, "raw"))
		return config_parse_target(st, key, v);
	if (!strcmp(key, "path")) {
		if ((err = config_once(st, SEEN_PATH, key)))
			return err;
		if ((why = config_check_path(v)))
			return config_bad(st, "%s: '%s'", why, v);
		return config_copy(st, key, cfg->path, sizeof(cfg->path), v);
	}
	if (!strcmp(key, "subvol")) {
		if ((err = config_once(st, SEEN_SUBVOL, key)))
			return err;
		// It becomes the capture's "subvol=" mount option: no ',' (the
		// option separator) nor '=' can get in.
		if ((why = config_check_path(v)))
			return config_bad(st, "subvol: %s: '%s'", why, v);
		if (strpbrk(v, ",="))
			return config_bad(st, "subvol holds ',' or '=': '%s'%s", v, "");
		return config_copy(st, key, cfg->subvol, sizeof(cfg->subvol), v);
	}
	if (!strcmp(key, "dm"))
		return config_parse_dm(st, v);
	if (!strcmp(key, "fstype")) {
		if ((err = config_once(st, SEEN_FSTYPE, key)))
			return err;
		if (config_lookup(fstype_names, KD_ARRAY_SIZE(fstype_names), v) < 0)
			return config_bad(st, "unknown fstype '%s' (ext2, ext3, ext4, xfs, btrfs, vfat)%s", v, "");
		return config_copy(st, key, cfg->fstype, sizeof(cfg->fstype), v);
	}
	if (!strcmp(key, "dump_level")) {
		if ((err = config_once(st, SEEN_LEVEL, key)))
			return err;
		if (!config_parse_uint(v, 31, &cfg->dump_level))
			return config_bad(st, "dump_level '%s' is not a number from 0 to 31%s", v, "");
		return NULL;
	}
	if (!strcmp(key, "compress")) {
		if ((err = config_once(st, SEEN_CODEC, key)))
			return err;
		enum kd_save_codec codec;
		if ((err = kd_save_parse_codec(v, &codec, &cfg->level))) {
			struct kd_error *e = config_bad(st, "%s%s", kd_error_message(err), "");
			kd_error_destroy(err);
			return e;
		}
		cfg->codec = (int)codec;
		return NULL;
	}
	if (!strcmp(key, "format")) {
		if ((err = config_once(st, SEEN_FORMAT, key)))
			return err;
		// The flattened format is for pipes; a file or block
		// device takes kdump.
		if (strcmp(v, "kdump") && strcmp(v, "elf"))
			return config_bad(st, "unknown format '%s' (kdump, elf)%s", v, "");
		enum kd_save_format format;
		kd_error_destroy(kd_save_parse_format(v, &format));
		cfg->format = (int)format;
		return NULL;
	}
	if (!strcmp(key, "final_action") || !strcmp(key, "failure_action")) {
		bool final = key[1] == 'i';
		if ((err = config_once(st, final ? SEEN_FINAL : SEEN_FAILURE, key)))
			return err;
		if ((i = config_lookup(action_names, KD_ARRAY_SIZE(action_names), v)) < 0)
			return config_bad(st, "unknown %s '%s' (reboot, poweroff, halt, shell)", key, v);
		*(final ? &cfg->final_action : &cfg->failure_action) = (enum kd_action)i;
		return NULL;
	}
	if (!strcmp(key, "device_timeout")) {
		if ((err = config_once(st, SEEN_TIMEOUT, key)))
			return err;
		if (!config_parse_uint(v, 600, &cfg->device_timeout))
			return config_bad(st, "device_timeout '%s' is not a number of seconds from 0 to 600%s", v, "");
		return NULL;
	}
	if (!strcmp(key, "raw_overwrite")) {
		if ((err = config_once(st, SEEN_OVERWRITE, key)))
			return err;
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return config_bad(st, "raw_overwrite '%s' is neither yes nor no%s", v, "");
		cfg->raw_overwrite = v[0] == 'y';
		return NULL;
	}
	if (!strcmp(key, "raw_id")) {
		if ((err = config_once(st, SEEN_RAW_ID, key)))
			return err;
		bool hex = strlen(v) == KD_RAWDEV_ID_LEN;
		for (const char *p = v; hex && *p; p++)
			hex = isdigit((unsigned char)*p) || (*p >= 'a' && *p <= 'f');
		if (!hex)
			return config_bad(st, "raw_id '%s' is not 32 lower-case hex digits%s", v, "");
		return config_copy(st, key, cfg->raw_id, sizeof(cfg->raw_id), v);
	}
	if (!strcmp(key, "capture_timeout")) {
		if ((err = config_once(st, SEEN_CAPTURE_TIMEOUT, key)))
			return err;
		if (!config_parse_uint(v, KD_CONFIG_MAX_CAPTURE_TIMEOUT, &cfg->capture_timeout))
			return config_bad(st, "capture_timeout '%s' is not a number of seconds from 0 to 86400%s", v, "");
		return NULL;
	}
	if (!strcmp(key, "network")) {
		if ((err = config_once(st, SEEN_NETWORK, key)))
			return err;
		if ((err = kd_netif_config_parse(v, &cfg->network)))
			return kd_error_prefix(err, "%s:%u", st->name, st->line);
		return NULL;
	}
	if (!strcmp(key, "ssh_key") || !strcmp(key, "known_hosts")) {
		bool k = key[0] == 's';
		if ((err = config_once(st, k ? SEEN_SSH_KEY : SEEN_KNOWN_HOSTS, key)))
			return err;
		if ((why = config_check_path(v)))
			return config_bad(st, "%s: '%s'", why, v);
		return k ? config_copy(st, key, cfg->ssh_key, sizeof(cfg->ssh_key), v)
			 : config_copy(st, key, cfg->known_hosts, sizeof(cfg->known_hosts), v);
	}
	if (!strcmp(key, "hostname")) {
		if ((err = config_once(st, SEEN_HOST, key)))
			return err;
		if ((why = config_check_hostname(v)))
			return config_bad(st, "%s: '%s'", why, v);
		return config_copy(st, key, cfg->hostname, sizeof(cfg->hostname), v);
	}
	return config_bad(st, "unknown key '%s'%s", key, "");
}

KD_EXPORT struct kd_error *kd_config_parse(const char *name, const char *text,
					   size_t len, struct kd_config *cfg)
{
	struct kd_config tmp;
	kd_config_default(&tmp);
	tmp.nchain = 0;	// the target lines make it; none: the default
	struct parse_state st = { .name = name ? name : "kexdump.conf", .cfg = &tmp };
	char buf[1024];

	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		const char *line = text + pos;
		pos += n + 1;
		st.line++;
		if (n >= sizeof(buf))
			return config_bad(&st, "line longer than %s characters%s", "1023", "");
		if (memchr(line, '\0', n))
			return config_bad(&st, "NUL byte in the line%s%s", "", "");
		memcpy(buf, line, n);
		buf[n] = '\0';
		if (n && buf[n - 1] == '\r')
			buf[--n] = '\0';
		// Trim both ends; skip blank lines and comments.
		char *s = buf;
		while (*s == ' ' || *s == '\t')
			s++;
		char *e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (!*s || *s == '#')
			continue;
		// Printable ASCII only: values end up on the kernel command
		// line, in folder names and on the console.
		for (char *p = s; *p; p++)
			if (((unsigned char)*p < 0x20 && *p != '\t') || (unsigned char)*p > 0x7e)
				return config_bad(&st, "control or non-ASCII character in the line%s%s", "", "");
		char *key = s, *v = s;
		while (*v && *v != ' ' && *v != '\t')
			v++;
		if (*v) {
			*v++ = '\0';
			while (*v == ' ' || *v == '\t')
				v++;
		}
		struct kd_error *err = config_parse_line(&st, key, v);
		if (err)
			return err;
	}
	if (tmp.nchain == 0)
		tmp.nchain = 1;	// { local }: the filesystem holding path
	*cfg = tmp;
	return NULL;
}

KD_EXPORT struct kd_error *kd_config_load(const char *path, bool missing_ok,
					  struct kd_config *cfg)
{
	char *text;
	size_t len;
	struct kd_error *err = kd_fs_read_file(path, CONFIG_MAX_SIZE, &text, &len);
	if (err && kd_error_errno(err) == ENOENT && missing_ok) {
		kd_error_destroy(err);
		kd_config_default(cfg);
		return NULL;
	}
	if (err)
		return err;
	err = kd_config_parse(path, text, len, cfg);
	free(text);
	return err;
}

KD_EXPORT struct kd_error *kd_config_write(const struct kd_config *cfg, int fd)
{
	if (!kd_save_codec_name(cfg->codec) ||
	    (cfg->format != KD_SAVE_KDUMP && cfg->format != KD_SAVE_ELF) ||
	    cfg->nmodules > KD_CONFIG_MAX_MODULES)
		return kd_error_create(KD_ERROR_INVALID,
				       "config: codec, format or modules out of range");
	struct kd_error *err = kd_save_check_level(cfg->codec, cfg->level);
	if (err)
		return kd_error_prefix(err, "config");
	// What parses back: one local link at most, named unless alone.
	size_t nlocal = 0;
	if (cfg->nchain == 0 || cfg->nchain > KD_CONFIG_MAX_TARGETS)
		return kd_error_create(KD_ERROR_INVALID, "config: %zu targets", cfg->nchain);
	for (size_t i = 0; i < cfg->nchain; i++) {
		const struct kd_config_target *t = &cfg->chain[i];
		if (kd_config_target_is_network(t->kind)) {
			if (!t->url[0])
				return kd_error_create(KD_ERROR_INVALID, "config: target %zu has no URL", i + 1);
		} else if (nlocal++ || (!cfg->target[0] && cfg->nchain > 1)) {
			return kd_error_create(KD_ERROR_INVALID,
					       "config: a chain holds one local target, named (target UUID=...)");
		}
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return &kd_enomem;
	fprintf(f, "# kexdump.conf, every key with its resolved value (kexdump.conf.md)\n");
	// Empty values have no "key value" form; they stay the defaults.
	for (size_t i = 0; i < cfg->nchain; i++) {
		const struct kd_config_target *t = &cfg->chain[i];
		if (kd_config_target_is_network(t->kind))
			fprintf(f, "target %s\n", t->url);
		else if (cfg->target[0])
			fprintf(f, "%s %s\n", cfg->target_kind == KD_TARGET_RAW ? "raw" : "target",
				cfg->target);
		else
			fprintf(f, "# target: the filesystem holding path\n");
	}
	fprintf(f, "path %s\n", cfg->path);
	if (cfg->subvol[0])
		fprintf(f, "subvol %s\n", cfg->subvol);
	if (cfg->fstype[0])
		fprintf(f, "fstype %s\n", cfg->fstype);
	else
		fprintf(f, "# fstype: probed at crash time\n");
	fprintf(f, "dump_level %u\n", cfg->dump_level);
	if (cfg->level)
		fprintf(f, "compress %s:%d\n", kd_save_codec_name(cfg->codec), cfg->level);
	else
		fprintf(f, "compress %s\n", kd_save_codec_name(cfg->codec));
	fprintf(f, "format %s\n", kd_save_format_name(cfg->format));
	fprintf(f, "final_action %s\n", kd_action_name(cfg->final_action));
	fprintf(f, "failure_action %s\n", kd_action_name(cfg->failure_action));
	if (cfg->nmodules) {
		fprintf(f, "modules");
		for (size_t i = 0; i < cfg->nmodules; i++)
			fprintf(f, " %s", cfg->modules[i]);
		fprintf(f, "\n");
	}
	if (cfg->cmdline_append[0])
		fprintf(f, "cmdline_append %s\n", cfg->cmdline_append);
	fprintf(f, "device_timeout %u\n", cfg->device_timeout);
	if (cfg->hostname[0])
		fprintf(f, "hostname %s\n", cfg->hostname);
	if (cfg->raw_overwrite)
		fprintf(f, "raw_overwrite yes\n");
	if (cfg->raw_id[0])
		fprintf(f, "raw_id %s\n", cfg->raw_id);
	if (cfg->capture_timeout)
		fprintf(f, "capture_timeout %u\n", cfg->capture_timeout);
	if (strcmp(cfg->ssh_key, KD_CONFIG_SSH_KEY) && cfg->ssh_key[0])
		fprintf(f, "ssh_key %s\n", cfg->ssh_key);
	if (cfg->known_hosts[0])
		fprintf(f, "known_hosts %s\n", cfg->known_hosts);
	for (size_t i = 0; i < cfg->ndm && i < KD_CONFIG_MAX_DM; i++)
		fprintf(f, "dm %s %" PRIu64 " %" PRIu64 " %s %s\n", cfg->dm[i].name, cfg->dm[i].start,
			cfg->dm[i].length, cfg->dm[i].type, cfg->dm[i].params);
	if (cfg->network.mode != KD_NETIF_AUTO) {
		char net[160];
		kd_netif_config_format(&cfg->network, net, sizeof(net));
		fprintf(f, "network %s\n", net);
	}
	if (fclose(f) != 0) {
		free(text);
		return &kd_enomem;
	}
	err = NULL;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = kd_error_os(w < 0 ? errno : EIO, "config: cannot write");
			break;
		}
		off += (size_t)w;
	}
	free(text);
	return err;
}
