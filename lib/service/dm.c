// SPDX-License-Identifier: LGPL-2.1-or-later
// A dump target on device-mapper (an LVM logical volume) without lvm2 in
// the capture initramfs: setup records the live table of each dm device of
// the target's stack (DM_TABLE_STATUS with DM_STATUS_TABLE_FLAG, what
// `dmsetup table` prints), the devices under it named by what does not
// change between kernels -- the UUID in an LVM physical volume's label --
// rather than by major:minor, which the capture kernel may number
// otherwise. The capture kernel waits for those devices, writes their
// major:minor back into the table and creates each device the way
// libdevmapper does: DM_DEV_CREATE, DM_TABLE_LOAD, then DM_DEV_SUSPEND
// without DM_SUSPEND_FLAG, which resumes it (include/uapi/linux/dm-ioctl.h,
// drivers/md/dm-ioctl.c). Only the linear and striped targets, both built
// into dm-mod, are re-created: thin, crypt, raid, cache or snapshot need
// metadata or keys the capture does not have.
#include "service/service.h"

#include <ctype.h>
#include <stdarg.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/dm-ioctl.h>

_Static_assert(sizeof(struct dm_ioctl) == 312, "struct dm_ioctl of dm-ioctl.h 4.x");
_Static_assert(sizeof(struct dm_target_spec) == 40, "struct dm_target_spec");

// Most stripes of a striped line re-created (LVM's own limit is 128).
#define DM_MAX_STRIPES 64
// A stack deeper than this (dm over dm over ...) is not followed.
#define DM_MAX_DEPTH 8
// Largest DM_TABLE_STATUS buffer tried (LVs of many segments).
#define DM_MAX_BUFFER (1u << 20)

// ------------------------------------------------------------ table text

// A decimal uint64 token; false for anything else.
static bool dm_u64(const char *s, uint64_t *ret)
{
	if (!isdigit((unsigned char)s[0]))
		return false;
	uint64_t v = 0;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = v;
	return true;
}

// The next space-separated token of @p *p into @p tok; false at the end
// or for a token too long.
static bool dm_token(const char **p, char *tok, size_t len)
{
	const char *s = *p;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strcspn(s, " \t");
	if (!n || n >= len)
		return false;
	memcpy(tok, s, n);
	tok[n] = '\0';
	*p = s + n;
	return true;
}

struct kd_error *kd_dm_line_parse(const char *text, struct kd_config_dm *ret)
{
	char tok[32];
	const char *p = text;
	struct kd_config_dm l = { 0 };
	if (!dm_token(&p, tok, sizeof(tok)) || !dm_u64(tok, &l.start) ||
	    !dm_token(&p, tok, sizeof(tok)) || !dm_u64(tok, &l.length) || !l.length ||
	    l.start + l.length < l.start)
		return kd_error_create(KD_ERROR_INVALID,
				       "'%s': expected START LENGTH (sectors) TYPE PARAMS", text);
	if (!dm_token(&p, l.type, sizeof(l.type)))
		return kd_error_create(KD_ERROR_INVALID, "'%s': no target type", text);
	while (*p == ' ' || *p == '\t')
		p++;
	if ((size_t)snprintf(l.params, sizeof(l.params), "%s", p) >= sizeof(l.params))
		return kd_error_create(KD_ERROR_INVALID, "'%s': parameters longer than %zu bytes",
				       text, sizeof(l.params) - 1);
	memcpy(ret->type, l.type, sizeof(l.type));
	memcpy(ret->params, l.params, sizeof(l.params));
	ret->start = l.start;
	ret->length = l.length;
	return NULL;
}

// Append @p s and a separating space to @p out.
static bool dm_append(char *out, size_t outlen, size_t *o, const char *s)
{
	size_t n = strlen(s);
	if (*o + (*o ? 1 : 0) + n >= outlen)
		return false;
	if (*o)
		out[(*o)++] = ' ';
	memcpy(out + *o, s, n + 1);
	*o += n;
	return true;
}

// Why a table line of @p type is not re-created, and what to do: the
// words after "a 'TYPE' target, ". dm-crypt's key is what a passphrase or
// a key file unlocks at boot; the capture initramfs holds neither, by
// design (a dump target needs no secret: docs/setup.md, "Root on LUKS").
static const char *dm_cannot(const char *type)
{
	if (!strcmp(type, "crypt"))
		return "an encrypted device (dm-crypt, LUKS) the capture kernel cannot open: "
		       "kexdump puts no key or passphrase in its initramfs; put the dumps on an "
		       "unencrypted filesystem (a plain partition, or a linear LV outside the "
		       "encrypted container) or a network target";
	return "which the capture kernel cannot re-create (kexdump re-creates linear and striped ones)";
}

struct kd_error *kd_dm_params_map(const char *type, const char *params, kd_dm_map_fn *map,
				  void *arg, char *out, size_t outlen)
{
	bool linear = !strcmp(type, "linear");
	if (!linear && strcmp(type, "striped"))
		return kd_error_create(KD_ERROR_UNSUPPORTED, "a '%s' target, %s", type,
				       dm_cannot(type));
	char tok[256], mapped[256];
	const char *p = params;
	size_t o = 0;
	uint64_t nstripes = 1, v;
	out[0] = '\0';
	if (!linear) {
		// "N CHUNK": the number of stripes and the chunk size.
		if (!dm_token(&p, tok, sizeof(tok)) || !dm_u64(tok, &nstripes) || !nstripes ||
		    nstripes > DM_MAX_STRIPES || !dm_append(out, outlen, &o, tok) ||
		    !dm_token(&p, tok, sizeof(tok)) || !dm_u64(tok, &v) || !v ||
		    !dm_append(out, outlen, &o, tok))
			goto bad;
	}
	for (uint64_t i = 0; i < nstripes; i++) {
		if (!dm_token(&p, tok, sizeof(tok)))
			goto bad;
		struct kd_error *err = map(tok, mapped, sizeof(mapped), arg);
		if (err)
			return err;
		if (!dm_append(out, outlen, &o, mapped))
			return kd_error_create(KD_ERROR_INVALID, "%s: parameters too long", type);
		if (!dm_token(&p, tok, sizeof(tok)) || !dm_u64(tok, &v) ||
		    !dm_append(out, outlen, &o, tok))
			goto bad;
	}
	if (dm_token(&p, tok, sizeof(tok)))
		goto bad;	// more than the target takes
	return NULL;
bad:
	return kd_error_create(KD_ERROR_INVALID, "%s parameters '%s': expected %s", type, params,
			       linear ? "DEVICE OFFSET" : "STRIPES CHUNK then DEVICE OFFSET per stripe");
}

// ------------------------------------------------------------ ioctl buffers

size_t kd_dm_ioctl_header(void *buf, size_t size, const char *name, uint32_t flags)
{
	struct dm_ioctl h = { 0 };
	if (size < sizeof(h) || size > UINT32_MAX || strlen(name) >= sizeof(h.name))
		return 0;
	// The interface version we speak: the kernel refuses another major.
	h.version[0] = DM_VERSION_MAJOR;
	h.data_size = (uint32_t)size;
	h.data_start = sizeof(h);
	h.flags = flags;
	strcpy(h.name, name);
	memset(buf, 0, size);
	memcpy(buf, &h, sizeof(h));
	return sizeof(h);
}

struct kd_error *kd_dm_ioctl_load(void *buf, size_t size, const char *name,
				  const struct kd_config_dm *lines, size_t n, size_t *len_ret)
{
	size_t off = kd_dm_ioctl_header(buf, size, name, 0);
	if (!off)
		return kd_error_create(KD_ERROR_INVALID, "/dev/mapper/%s: name too long or no room", name);
	uint8_t *b = buf;
	for (size_t i = 0; i < n; i++) {
		size_t plen = strlen(lines[i].params) + 1;
		// Each spec starts 8-byte aligned (dm-ioctl.c next_target()).
		size_t step = (sizeof(struct dm_target_spec) + plen + 7) & ~(size_t)7;
		if (off + step > size)
			return kd_error_create(KD_ERROR_INVALID, "/dev/mapper/%s: table larger than %zu bytes",
					       name, size);
		struct dm_target_spec spec = {
			.sector_start = lines[i].start,
			.length = lines[i].length,
			.next = (uint32_t)step,
		};
		snprintf(spec.target_type, sizeof(spec.target_type), "%s", lines[i].type);
		memcpy(b + off, &spec, sizeof(spec));
		memcpy(b + off + sizeof(spec), lines[i].params, plen);
		off += step;
	}
	struct dm_ioctl h;
	memcpy(&h, b, sizeof(h));
	h.target_count = (uint32_t)n;
	h.data_size = (uint32_t)off;
	memcpy(b, &h, sizeof(h));
	*len_ret = off;
	return NULL;
}

struct kd_error *kd_dm_ioctl_table(const void *buf, size_t len, struct kd_config_dm *out,
				   size_t max, size_t *nret)
{
	const uint8_t *b = buf;
	struct dm_ioctl h;
	if (len < sizeof(h))
		return kd_error_create(KD_ERROR_CORRUPT, "dm reply of %zu bytes", len);
	memcpy(&h, b, sizeof(h));
	if (h.flags & DM_BUFFER_FULL_FLAG)
		return kd_error_create(KD_ERROR_NOTFOUND, "dm table larger than %zu bytes", len);
	if (h.data_start < sizeof(h) || h.data_size > len || h.data_start > h.data_size)
		return kd_error_create(KD_ERROR_CORRUPT, "dm reply: data %u..%u outside %zu bytes",
				       h.data_start, h.data_size, len);
	if (h.target_count > max)
		return kd_error_create(KD_ERROR_UNSUPPORTED, "dm table of %u lines (at most %zu)",
				       h.target_count, max);
	const uint8_t *data = b + h.data_start;
	size_t dlen = h.data_size - h.data_start, next = 0;
	for (uint32_t i = 0; i < h.target_count; i++) {
		struct dm_target_spec spec;
		if (next > dlen || dlen - next < sizeof(spec))
			return kd_error_create(KD_ERROR_CORRUPT, "dm reply: line %u at %zu outside %zu bytes",
					       i + 1, next, dlen);
		memcpy(&spec, data + next, sizeof(spec));
		const char *params = (const char *)data + next + sizeof(spec);
		size_t room = dlen - next - sizeof(spec);
		size_t plen = strnlen(params, room);
		if (plen == room || !memchr(spec.target_type, '\0', sizeof(spec.target_type)))
			return kd_error_create(KD_ERROR_CORRUPT, "dm reply: line %u is not terminated",
					       i + 1);
		struct kd_config_dm *l = &out[i];
		memset(l, 0, sizeof(*l));
		l->start = spec.sector_start;
		l->length = spec.length;
		snprintf(l->type, sizeof(l->type), "%s", spec.target_type);
		if (plen >= sizeof(l->params))
			return kd_error_create(KD_ERROR_UNSUPPORTED,
					       "dm table line %u: parameters longer than %zu bytes",
					       i + 1, sizeof(l->params) - 1);
		memcpy(l->params, params, plen + 1);
		// The next spec, counted from the start of the data; it must
		// lie past this one's parameters.
		if (i + 1 < h.target_count && spec.next < next + sizeof(spec) + plen + 1)
			return kd_error_create(KD_ERROR_CORRUPT, "dm reply: line %u goes backwards",
					       i + 2);
		next = spec.next;
	}
	*nret = h.target_count;
	return NULL;
}

// ------------------------------------------------------------ the devices

// A path under sysfs or /dev; "" when it does not fit (nothing there).
static void dm_path(char *out, size_t outlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void dm_path(char *out, size_t outlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outlen)
		out[0] = '\0';
}

static void dm_control(const char *dev_root, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/mapper/control", dev_root ? dev_root : "/dev");
}

// Issue @p cmd with @p buf on the control node.
static struct kd_error *dm_ioctl(int fd, unsigned long cmd, const char *what, const char *name,
				 void *buf)
{
	if (ioctl(fd, cmd, buf) < 0)
		return kd_error_os(errno, "/dev/mapper/%s: %s", name, what);
	return NULL;
}

static struct kd_error *dm_open_control(const char *dev_root, int *fd_ret)
{
	char path[PATH_MAX];
	dm_control(dev_root, path, sizeof(path));
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return kd_error_os(errno, "%s (the device-mapper control node: is dm_mod loaded?)",
				   path);
	// DM_VERSION: the kernel speaks interface 4 (it fails the call
	// otherwise).
	struct dm_ioctl h;
	kd_dm_ioctl_header(&h, sizeof(h), "", 0);
	if (ioctl(fd, DM_VERSION, &h) < 0) {
		int e = errno;
		close(fd);
		return kd_error_os(e, "%s: DM_VERSION", path);
	}
	*fd_ret = fd;
	return NULL;
}

// A small sysfs file's first line.
static bool dm_read_attr(const char *path, char *out, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t r = read(fd, out, len - 1);
	close(fd);
	if (r <= 0)
		return false;
	out[r] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return true;
}

bool kd_dm_is_dm(const char *devname, const char *sysfs_root)
{
	char path[PATH_MAX];
	dm_path(path, sizeof(path), "%s/class/block/%s/dm", sysfs_root ? sysfs_root : "/sys",
		 devname);
	return access(path, F_OK) == 0;
}

// The dm device named @p name here (sysfs block/dm-N/dm/name): its
// major:minor; false when there is none.
static bool dm_find_name(const char *sysfs, const char *name, unsigned int *maj,
			 unsigned int *min)
{
	char dir[PATH_MAX];
	dm_path(dir, sizeof(dir), "%s/class/block", sysfs);
	DIR *d = opendir(dir);
	if (!d)
		return false;
	struct dirent *de;
	bool found = false;
	while (!found && (de = readdir(d))) {
		if (strncmp(de->d_name, "dm-", 3))
			continue;
		char path[PATH_MAX], v[160];
		dm_path(path, sizeof(path), "%s/%s/dm/name", dir, de->d_name);
		if (!dm_read_attr(path, v, sizeof(v)) || strcmp(v, name))
			continue;
		dm_path(path, sizeof(path), "%s/%s/dev", dir, de->d_name);
		found = dm_read_attr(path, v, sizeof(v)) && sscanf(v, "%u:%u", maj, min) == 2;
	}
	closedir(d);
	return found;
}

// ------------------------------------------------------------ setup's side

struct dm_record {
	const char *sysfs, *dev;
	int fd;
	struct kd_config *cfg;
	const char *above;	// the dm device whose table is being mapped
	unsigned int depth;
};

static struct kd_error *dm_record_dev(struct dm_record *r, const char *devname);

static bool dm_recorded(const struct kd_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->ndm; i++)
		if (!strcmp(cfg->dm[i].name, name))
			return true;
	return false;
}

// A live "MAJ:MIN" of a table: the dm device below (recorded first) as
// "dm:NAME", a physical volume as "UUID=" of its LVM label.
static struct kd_error *dm_record_map(const char *dev, char *out, size_t outlen, void *arg)
{
	struct dm_record *r = arg;
	unsigned int maj, min;
	char extra;
	if (sscanf(dev, "%u:%u%c", &maj, &min, &extra) != 2)
		return kd_error_create(KD_ERROR_INVALID, "/dev/mapper/%s: device '%s' is not MAJ:MIN", r->above,
				       dev);
	char link[PATH_MAX], dest[PATH_MAX];
	dm_path(link, sizeof(link), "%s/dev/block/%u:%u", r->sysfs, maj, min);
	ssize_t n = readlink(link, dest, sizeof(dest) - 1);
	if (n <= 0)
		return kd_error_os(n < 0 ? errno : EINVAL, "/dev/mapper/%s: device %s: %s", r->above, dev,
				   link);
	dest[n] = '\0';
	const char *name = strrchr(dest, '/') ? strrchr(dest, '/') + 1 : dest;
	char path[PATH_MAX], v[160];
	if (kd_dm_is_dm(name, r->sysfs)) {
		dm_path(path, sizeof(path), "%s/class/block/%s/dm/name", r->sysfs, name);
		if (!dm_read_attr(path, v, sizeof(v)))
			return kd_error_os(errno ? errno : EIO, "%s", path);
		const char *above = r->above;
		struct kd_error *err = dm_record_dev(r, name);
		r->above = above;
		if (err)
			return err;
		if ((size_t)snprintf(out, outlen, "dm:%s", v) >= outlen)
			return kd_error_create(KD_ERROR_INVALID, "/dev/mapper/%s: name too long", v);
		return NULL;
	}
	// md, loop over a file, ...: assembled by tools the capture lacks.
	dm_path(path, sizeof(path), "%s/class/block/%s/slaves", r->sysfs, name);
	DIR *d = opendir(path);
	bool stacked = false;
	struct dirent *de;
	while (d && (de = readdir(d)))
		stacked |= de->d_name[0] != '.';
	if (d)
		closedir(d);
	char node[PATH_MAX];
	dm_path(node, sizeof(node), "%s/%s", r->dev, name);
	for (char *p = node + strlen(r->dev); *p; p++)
		if (*p == '!')
			*p = '/';
	struct kd_blkdev_info info;
	struct kd_error *err = stacked ? NULL : kd_blkdev_probe(node, &info);
	if (err)
		return kd_error_prefix(err, "/dev/mapper/%s: the device under it", r->above);
	if (stacked || strcmp(info.fstype, "LVM2_member") || !info.uuid[0])
		return kd_error_create(KD_ERROR_UNSUPPORTED,
				       "/dev/mapper/%s: the device under it, /dev/%s, %s; the capture kernel could not find it again (kexdump finds LVM physical volumes by their UUID)",
				       r->above, name,
				       stacked ? "is itself a stacked device (md?)" :
						 "carries no LVM physical volume label");
	if ((size_t)snprintf(out, outlen, "UUID=%s", info.uuid) >= outlen)
		return kd_error_create(KD_ERROR_INVALID, "UUID=%s: too long", info.uuid);
	return NULL;
}

// The live table of dm device @p name (DM_TABLE_STATUS with
// DM_STATUS_TABLE_FLAG: the table, not the status), growing the buffer
// while the kernel says it is full.
static struct kd_error *dm_read_table(int fd, const char *name, struct kd_config_dm *out,
				      size_t max, size_t *nret)
{
	for (size_t size = 16384; size <= DM_MAX_BUFFER; size *= 4) {
		void *buf = malloc(size);
		if (!buf)
			return &kd_enomem;
		kd_dm_ioctl_header(buf, size, name, DM_STATUS_TABLE_FLAG);
		struct kd_error *err = dm_ioctl(fd, DM_TABLE_STATUS, "DM_TABLE_STATUS", name, buf);
		if (!err)
			err = kd_dm_ioctl_table(buf, size, out, max, nret);
		free(buf);
		if (!err || !kd_error_catch(&err, KD_ERROR_NOTFOUND))
			return err;
	}
	return kd_error_create(KD_ERROR_UNSUPPORTED, "/dev/mapper/%s: table larger than %u bytes", name,
			       DM_MAX_BUFFER);
}

static struct kd_error *dm_record_dev(struct dm_record *r, const char *devname)
{
	char path[PATH_MAX], name[160];
	dm_path(path, sizeof(path), "%s/class/block/%s/dm/name", r->sysfs, devname);
	if (!dm_read_attr(path, name, sizeof(name)))
		return kd_error_os(errno ? errno : EIO, "%s", path);
	if (dm_recorded(r->cfg, name))
		return NULL;
	if (++r->depth > DM_MAX_DEPTH)
		return kd_error_create(KD_ERROR_UNSUPPORTED, "/dev/mapper/%s: stacked more than %d deep",
				       name, DM_MAX_DEPTH);
	struct kd_config_dm *lines = calloc(KD_CONFIG_MAX_DM, sizeof(*lines));
	if (!lines)
		return &kd_enomem;
	size_t n = 0;
	struct kd_error *err = dm_read_table(r->fd, name, lines, KD_CONFIG_MAX_DM, &n);
	if (!err && !n)
		err = kd_error_create(KD_ERROR_UNSUPPORTED, "/dev/mapper/%s (%s) has no table", name,
				      devname);
	for (size_t i = 0; !err && i < n; i++) {
		char mapped[sizeof(lines[i].params)];
		r->above = name;
		if (strcmp(lines[i].type, "linear") && strcmp(lines[i].type, "striped")) {
			err = kd_error_create(KD_ERROR_UNSUPPORTED, "/dev/mapper/%s (%s): a '%s' target, %s",
					      name, devname, lines[i].type, dm_cannot(lines[i].type));
			break;
		}
		err = kd_dm_params_map(lines[i].type, lines[i].params, dm_record_map, r, mapped,
				       sizeof(mapped));
		if (err && kd_error_code(err) == KD_ERROR_INVALID)
			err = kd_error_prefix(err, "/dev/mapper/%s", name);
		if (!err)
			memcpy(lines[i].params, mapped, sizeof(mapped));
	}
	if (!err && r->cfg->ndm + n > KD_CONFIG_MAX_DM)
		err = kd_error_create(KD_ERROR_UNSUPPORTED,
				      "/dev/mapper/%s: the stack has more than %d table lines", name,
				      KD_CONFIG_MAX_DM);
	for (size_t i = 0; !err && i < n; i++) {
		dm_path(lines[i].name, sizeof(lines[i].name), "%s", name);
		r->cfg->dm[r->cfg->ndm++] = lines[i];
	}
	free(lines);
	r->depth--;
	return err;
}

KD_EXPORT struct kd_error *kd_dm_record(const char *devname, const char *sysfs_root,
					const char *dev_root, struct kd_config *cfg)
{
	struct dm_record r = {
		.sysfs = sysfs_root ? sysfs_root : "/sys",
		.dev = dev_root ? dev_root : "/dev",
		.cfg = cfg,
		.above = devname,
	};
	cfg->ndm = 0;
	struct kd_error *err = dm_open_control(dev_root, &r.fd);
	if (err)
		return err;
	err = dm_record_dev(&r, devname);
	close(r.fd);
	if (err)
		cfg->ndm = 0;
	return err;
}

// ---------------------------------------------------------- capture's side

struct dm_activate {
	const char *sysfs, *dev;
	const char *name;	// the device being made
};

// A recorded device back to the "MAJ:MIN" it has in this kernel.
static struct kd_error *dm_activate_map(const char *dev, char *out, size_t outlen, void *arg)
{
	struct dm_activate *a = arg;
	unsigned int maj, min;
	if (!strncmp(dev, "dm:", 3)) {
		if (!dm_find_name(a->sysfs, dev + 3, &maj, &min))
			return kd_error_create(KD_ERROR_NOTFOUND, "/dev/mapper/%s: %s is not there yet", a->name,
					       dev);
	} else if (!strncmp(dev, "UUID=", 5)) {
		struct kd_blkdev_info info;
		struct kd_error *err = kd_blkdev_find(dev, a->sysfs, a->dev, &info);
		if (err)
			return kd_error_prefix(err, "/dev/mapper/%s", a->name);
		maj = info.major;
		min = info.minor;
	} else {
		return kd_error_create(KD_ERROR_INVALID, "/dev/mapper/%s: device '%s' is not UUID=... or dm:NAME",
				       a->name, dev);
	}
	snprintf(out, outlen, "%u:%u", maj, min);
	return NULL;
}

// Create, load and resume one device; removed again when its table fails.
static struct kd_error *dm_create(int fd, const char *name, const struct kd_config_dm *lines,
				  size_t n)
{
	struct dm_ioctl h;
	kd_dm_ioctl_header(&h, sizeof(h), name, 0);
	struct kd_error *err = dm_ioctl(fd, DM_DEV_CREATE, "DM_DEV_CREATE", name, &h);
	if (err)
		return err;
	size_t size = sizeof(struct dm_ioctl) + n * (sizeof(struct dm_target_spec) + 264);
	void *buf = malloc(size);
	size_t len;
	if (!buf)
		err = &kd_enomem;
	if (!err)
		err = kd_dm_ioctl_load(buf, size, name, lines, n, &len);
	if (!err)
		err = dm_ioctl(fd, DM_TABLE_LOAD, "DM_TABLE_LOAD", name, buf);
	free(buf);
	if (!err) {
		// DM_DEV_SUSPEND without DM_SUSPEND_FLAG: resume, which swaps
		// the loaded table in (dm-ioctl.c do_resume()).
		kd_dm_ioctl_header(&h, sizeof(h), name, 0);
		err = dm_ioctl(fd, DM_DEV_SUSPEND, "DM_DEV_SUSPEND (resume)", name, &h);
	}
	if (err) {
		kd_dm_ioctl_header(&h, sizeof(h), name, 0);
		kd_error_destroy(dm_ioctl(fd, DM_DEV_REMOVE, "DM_DEV_REMOVE", name, &h));
	}
	return err;
}

KD_EXPORT struct kd_error *kd_dm_activate(const struct kd_config *cfg, const char *sysfs_root,
					  const char *dev_root, char *done, size_t donelen)
{
	struct dm_activate a = {
		.sysfs = sysfs_root ? sysfs_root : "/sys",
		.dev = dev_root ? dev_root : "/dev",
	};
	if (!cfg->ndm)
		return NULL;
	int fd;
	struct kd_error *err = dm_open_control(dev_root, &fd);
	if (err)
		return err;
	struct kd_config_dm *lines = calloc(KD_CONFIG_MAX_DM, sizeof(*lines));
	if (!lines) {
		close(fd);
		return &kd_enomem;
	}
	// The lines of one device are consecutive (kd_config_parse checks).
	for (size_t i = 0; !err && i < cfg->ndm;) {
		size_t j = i;
		while (j < cfg->ndm && !strcmp(cfg->dm[j].name, cfg->dm[i].name))
			j++;
		unsigned int maj, min;
		a.name = cfg->dm[i].name;
		if (!dm_find_name(a.sysfs, a.name, &maj, &min)) {
			for (size_t k = i; !err && k < j; k++) {
				lines[k - i] = cfg->dm[k];
				err = kd_dm_params_map(cfg->dm[k].type, cfg->dm[k].params,
						       dm_activate_map, &a, lines[k - i].params,
						       sizeof(lines[k - i].params));
			}
			if (!err)
				err = dm_create(fd, a.name, lines, j - i);
			if (!err && done) {
				size_t o = strlen(done);
				snprintf(done + o, donelen - o, "%s%s", o ? ", " : "", a.name);
			}
		}
		i = j;
	}
	free(lines);
	close(fd);
	return err;
}
