// SPDX-License-Identifier: LGPL-2.1-or-later
// The dump target, resolved once for every command and the capture init.
//
// The capture kernel mounts the target filesystem alone, at its own mount
// point, so what it needs is the device (by UUID: names can change between
// boots) and the dump folder's path from that filesystem's root. On the
// running machine the config may give a path such as /var/crash, and /var
// may be its own filesystem: the folder is then "/crash" on that device.
// /proc/self/mountinfo (Documentation/filesystems/proc.rst 3.5) says which
// mount holds a path (the longest mount point that is a prefix of it) and
// which folder of its filesystem is mounted there (field 4, "root": "/"
// for a whole filesystem, the source folder of a bind mount, the subvolume
// of a btrfs mount), so the path inside is root + what follows the mount
// point.
#include "service/service.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

// What the capture initramfs knows how to mount (kd_modset_add_fs) and
// kd_blkdev_probe recognises.
static bool target_mountable(const char *fstype)
{
	static const char *const ok[] = { "ext4", "ext3", "ext2", "xfs", "btrfs", "vfat" };
	for (size_t i = 0; i < KD_ARRAY_SIZE(ok); i++)
		if (!strcmp(fstype, ok[i]))
			return true;
	return false;
}

// Does the folder @p prefix hold @p path (or is it)? Returns the rest of
// @p path ("" or "/..."), NULL when not.
static const char *target_under(const char *path, const char *prefix)
{
	if (!strcmp(prefix, "/"))
		return path;
	size_t n = strlen(prefix);
	if (strncmp(path, prefix, n) || (path[n] != '/' && path[n] != '\0'))
		return NULL;
	return path + n;
}

KD_EXPORT struct kd_error *kd_target_join(const char *mountpoint, const char *path,
					  char *out, size_t outlen)
{
	// "/" + "/crash" is "/crash", "/mnt" + "/" is "/mnt".
	const char *mp = strcmp(mountpoint, "/") ? mountpoint : "";
	const char *p = strcmp(path, "/") ? path : "";
	if (!mp[0] && !p[0])
		p = "/";
	if ((size_t)snprintf(out, outlen, "%s%s", mp, p) >= outlen)
		return kd_error_create(KD_ERROR_INVALID, "%s%s: path too long", mp, p);
	return NULL;
}

// @p path without "." and empty components, and with ".." applied; false
// when it climbs above "/" or is too long.
static bool target_normalize(const char *path, char *out, size_t outlen)
{
	size_t o = 0;
	out[0] = '\0';
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		size_t n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 1 && p[0] == '.') {
			// nothing
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (o == 0)
				return false;
			while (o > 0 && out[o - 1] != '/')
				o--;
			o--;
			out[o] = '\0';
		} else {
			if (o + 1 + n + 1 > outlen)
				return false;
			out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
			out[o] = '\0';
		}
		p += n;
	}
	if (o == 0) {
		if (outlen < 2)
			return false;
		strcpy(out, "/");
	}
	return true;
}

// On the live system the config's path may go through symbolic links,
// which mountinfo's mount points never do: resolve the part that exists
// (the dump folder itself may not yet) and keep the rest as written.
static struct kd_error *target_canonical(const char *path, char *out, size_t outlen)
{
	char head[PATH_MAX], real[PATH_MAX];
	if ((size_t)snprintf(head, sizeof(head), "%s", path) >= sizeof(head))
		return kd_error_create(KD_ERROR_INVALID, "%s: path too long", path);
	while (!realpath(head[0] ? head : "/", real)) {
		if (errno != ENOENT && errno != ENOTDIR)
			return kd_error_os(errno, "%s: cannot resolve", head);
		*strrchr(head, '/') = '\0';	// head starts with '/'
	}
	// What did not exist, as written (head is a prefix of path).
	const char *rest = path + strlen(head);
	char joined[PATH_MAX * 2];
	snprintf(joined, sizeof(joined), "%s/%s", real, rest);
	if (!target_normalize(joined, out, outlen))
		return kd_error_create(KD_ERROR_INVALID, "%s: path too long", path);
	return NULL;
}

// The name of block device @p major:@p minor: @p sysfs/dev/block/MAJ:MIN
// links to its folder (Documentation/ABI/stable/sysfs-dev), whose name is
// the kernel's ('!' for '/', as in cciss!c0d0).
static struct kd_error *target_devname(const char *sysfs, unsigned int major,
				       unsigned int minor, char *out, size_t outlen)
{
	char link[PATH_MAX], dest[PATH_MAX];
	snprintf(link, sizeof(link), "%s/dev/block/%u:%u", sysfs, major, minor);
	ssize_t n = readlink(link, dest, sizeof(dest) - 1);
	if (n <= 0)
		return kd_error_os(n < 0 ? errno : EINVAL,
				   "%s (is %u:%u a block device?)", link, major, minor);
	dest[n] = '\0';
	const char *name = strrchr(dest, '/') ? strrchr(dest, '/') + 1 : dest;
	if ((size_t)snprintf(out, outlen, "%s", name) >= outlen)
		return kd_error_create(KD_ERROR_INVALID, "%s: device name too long", link);
	return NULL;
}

// The filesystem on the device must be one the capture kernel mounts, and
// the one the config says.
static struct kd_error *target_check_fs(const struct kd_config *cfg, struct kd_target *t)
{
	const char *spec = t->config.target;
	if (!t->dev.fstype[0])
		return kd_error_create(KD_ERROR_UNSUPPORTED,
				       "target %s (/dev/%s): no filesystem found on it", spec,
				       t->dev.name);
	if (cfg->fstype[0] && strcmp(cfg->fstype, t->dev.fstype))
		return kd_error_create(KD_ERROR_INVALID,
				       "target %s: the config says fstype %s but /dev/%s holds %s",
				       spec, cfg->fstype, t->dev.name, t->dev.fstype);
	if (!target_mountable(t->dev.fstype))
		return kd_error_create(KD_ERROR_UNSUPPORTED,
				       "target %s (/dev/%s): %s is not a filesystem the capture kernel can write dumps to (ext4, ext3, ext2, xfs, btrfs, vfat)",
				       spec, t->dev.name, t->dev.fstype);
	snprintf(t->config.fstype, sizeof(t->config.fstype), "%s", t->dev.fstype);
	return NULL;
}

// The device node of a mount's source "/dev/NAME" under @p dev_root.
static struct kd_error *target_source_node(const char *source, const char *dev_root,
					   char *out, size_t outlen)
{
	if (strncmp(source, "/dev/", 5))
		return kd_error_create(KD_ERROR_UNSUPPORTED, "mount source '%s' is not a device",
				       source);
	if ((size_t)snprintf(out, outlen, "%s%s", dev_root ? dev_root : "/dev", source + 4) >=
	    outlen)
		return kd_error_create(KD_ERROR_INVALID, "%s: path too long", source);
	return NULL;
}

// Probe @p node into @p info, with the name sysfs gives it: a device
// node's major:minor leads there (/dev/mapper/vg-root is dm-0), an image
// file (tests) keeps its own name.
static struct kd_error *target_probe_node(const char *node, const char *sysfs,
					  struct kd_blkdev_info *info)
{
	struct kd_error *err = kd_blkdev_probe(node, info);
	if (err || !info->major)
		return err;
	return target_devname(sysfs ? sysfs : "/sys", info->major, info->minor, info->name,
			      sizeof(info->name));
}

// cfg->path is on a btrfs mount @p m (@p rest: what follows its mount
// point): the filesystem by UUID, its subvolume, the path inside that.
static struct kd_error *target_btrfs_mount(const struct kd_config *cfg,
					   const struct kd_target_roots *roots,
					   const struct kd_mount *m, const char *rest,
					   struct kd_target *t)
{
	char node[PATH_MAX];
	struct kd_error *err = target_source_node(m->source, roots->dev, node, sizeof(node));
	if (!err)
		err = target_probe_node(node, roots->sysfs, &t->dev);
	if (err)
		return kd_error_prefix(err, "the btrfs filesystem holding %s", cfg->path);
	if (strcmp(t->dev.fstype, "btrfs") || !t->dev.uuid[0])
		return kd_error_create(KD_ERROR_FORMAT,
				       "%s (the source of the btrfs mount holding %s) holds no btrfs filesystem",
				       m->source, cfg->path);
	const char *inside;
	err = kd_btrfs_subvol(m->options, m->root, t->config.subvol, sizeof(t->config.subvol),
			      &inside);
	if (err)
		return kd_error_prefix(err, "%s (holding %s)", m->point, cfg->path);
	snprintf(t->config.target, sizeof(t->config.target), "UUID=%s", t->dev.uuid);
	char joined[PATH_MAX * 2];
	snprintf(joined, sizeof(joined), "%s%s", inside, rest);
	if (!target_normalize(joined, t->config.path, sizeof(t->config.path)))
		return kd_error_create(KD_ERROR_INVALID, "%s: path too long inside %s", cfg->path,
				       t->config.subvol);
	return target_check_fs(cfg, t);
}

// No target in the config: the block device of the filesystem holding
// cfg->path here, and the path inside it.
static struct kd_error *target_from_path(const struct kd_config *cfg,
					 const struct kd_target_roots *roots,
					 const struct kd_mounts *m, struct kd_target *t)
{
	char path[PATH_MAX];
	struct kd_error *err;
	if (!roots->mountinfo) {
		err = target_canonical(cfg->path, path, sizeof(path));
		if (err)
			return err;
	} else if (!target_normalize(cfg->path, path, sizeof(path))) {
		return kd_error_create(KD_ERROR_INVALID, "path '%s' is not a usable path",
				       cfg->path);
	}
	// The longest mount point holding the path; of two on the same
	// point, the later (it hides the other).
	const struct kd_mount *best = NULL;
	const char *rest = NULL;
	for (size_t i = 0; i < m->n; i++) {
		const char *r = target_under(path, m->v[i].point);
		if (r && (!best || strlen(m->v[i].point) >= strlen(best->point))) {
			best = &m->v[i];
			rest = r;
		}
	}
	if (!best)
		return kd_error_create(KD_ERROR_NOTFOUND, "%s: no mount holds it (%s)",
				       cfg->path, roots->mountinfo ? roots->mountinfo :
				       "/proc/self/mountinfo");
	// Major 0 is the kernel's "unnamed" devices: tmpfs, overlay, NFS, and
	// btrfs, whose mounts report an anonymous device per subvolume
	// (fs/btrfs/super.c, get_anon_bdev): btrfs.c says how it is found.
	if (best->major == 0 && !strcmp(best->fstype, "btrfs")) {
		err = target_btrfs_mount(cfg, roots, best, rest, t);
		if (err)
			return err;
		t->mounted = true;
		snprintf(t->mountpoint, sizeof(t->mountpoint), "%s", best->point);
		snprintf(t->local_path, sizeof(t->local_path), "%s", path);
		return NULL;
	}
	if (best->major == 0)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
				       "%s is on a%s%s filesystem with no block device; set 'target' in the config to a disk filesystem (UUID=..., LABEL=... or /dev/NAME)",
				       cfg->path, best->fstype[0] ? " " : "", best->fstype);
	char name[sizeof(t->dev.name)], node[PATH_MAX];
	err = target_devname(roots->sysfs ? roots->sysfs : "/sys", best->major,
			     best->minor, name, sizeof(name));
	if (!err && (size_t)snprintf(node, sizeof(node), "%s/%s", roots->dev ? roots->dev : "/dev",
				     name) >= sizeof(node))
		err = kd_error_create(KD_ERROR_INVALID, "%s: device name too long", name);
	if (!err) {
		for (char *p = node + strlen(node) - strlen(name); *p; p++)
			if (*p == '!')
				*p = '/';
		err = kd_blkdev_probe(node, &t->dev);
	}
	if (err)
		return kd_error_prefix(err, "the filesystem holding %s", cfg->path);
	// The device as mountinfo and sysfs name it (the probe took the
	// node's name and, from an image file, no numbers).
	snprintf(t->dev.name, sizeof(t->dev.name), "%s", name);
	t->dev.major = best->major;
	t->dev.minor = best->minor;
	if (!t->dev.fstype[0])
		return kd_error_create(KD_ERROR_UNSUPPORTED,
				       "/dev/%s (holding %s): no filesystem found on it", name,
				       cfg->path);
	if (!t->dev.uuid[0])
		return kd_error_create(KD_ERROR_UNSUPPORTED,
				       "/dev/%s (holding %s) has no filesystem UUID; set 'target' in the config",
				       name, cfg->path);
	snprintf(t->config.target, sizeof(t->config.target), "UUID=%s", t->dev.uuid);
	char inside[PATH_MAX * 2];
	snprintf(inside, sizeof(inside), "%s%s", best->root, rest);
	if (!target_normalize(inside, t->config.path, sizeof(t->config.path)))
		return kd_error_create(KD_ERROR_INVALID, "%s: path too long inside /dev/%s",
				       cfg->path, name);
	err = target_check_fs(cfg, t);
	if (err)
		return err;
	t->mounted = true;
	snprintf(t->mountpoint, sizeof(t->mountpoint), "%s", best->point);
	snprintf(t->local_path, sizeof(t->local_path), "%s", path);
	return NULL;
}

// Is mount @p m of the btrfs filesystem @p t names (its source probes to
// that UUID)?
static bool target_btrfs_same(const struct kd_mount *m, const struct kd_target_roots *roots,
			      const struct kd_target *t)
{
	char node[PATH_MAX];
	struct kd_blkdev_info info;
	if (strcmp(m->fstype, "btrfs"))
		return false;
	struct kd_error *err = target_source_node(m->source, roots->dev, node, sizeof(node));
	if (!err)
		err = kd_blkdev_probe(node, &info);
	if (err) {
		kd_error_destroy(err);
		return false;
	}
	return !strcmp(info.fstype, "btrfs") && !strcasecmp(info.uuid, t->dev.uuid);
}

// A target named in the config: find it, and where its folder is here if
// it is mounted (through a mount of its root, or of a folder above the
// dump folder).
static struct kd_error *target_named(const struct kd_config *cfg,
				     const struct kd_target_roots *roots,
				     const struct kd_mounts *m, struct kd_target *t)
{
	struct kd_error *err = kd_blkdev_find(cfg->target, roots->sysfs, roots->dev, &t->dev);
	if (err)
		return err;	// it names the target
	if (!strncmp(cfg->target, "/dev/", 5) && t->dev.uuid[0])
		snprintf(t->config.target, sizeof(t->config.target), "UUID=%s", t->dev.uuid);
	if (cfg->target_kind == KD_TARGET_RAW)
		return NULL;
	if (!strcmp(t->dev.fstype, "btrfs") && t->dev.ndevices > 1) {
		// Every member present, or NOTFOUND (the capture waits).
		struct kd_blkdev_info *devs = calloc(KD_BLKDEV_MAX_MEMBERS, sizeof(*devs));
		size_t n;
		if (!devs)
			return &kd_enomem;
		err = kd_btrfs_members(cfg->target, roots->sysfs, roots->dev, devs,
				       KD_BLKDEV_MAX_MEMBERS, &n);
		free(devs);
		if (err)
			return err;
	}
	err = target_check_fs(cfg, t);
	if (err)
		return err;
	if (!target_normalize(cfg->path, t->config.path, sizeof(t->config.path)))
		return kd_error_create(KD_ERROR_INVALID, "path '%s' is not a usable path",
				       cfg->path);
	// A btrfs target's path from the top level: mountinfo's roots are
	// (an unset subvol is the default subvolume, taken as the top).
	bool btrfs = !strcmp(t->dev.fstype, "btrfs");
	char joined[PATH_MAX * 2], full[PATH_MAX];
	snprintf(joined, sizeof(joined), "%s%s", strcmp(cfg->subvol, "/") ? cfg->subvol : "",
		 t->config.path);
	if (btrfs && !target_normalize(joined, full, sizeof(full)))
		return kd_error_create(KD_ERROR_INVALID, "%s: path too long", joined);
	const struct kd_mount *best = NULL;
	const char *rest = NULL;
	for (size_t i = 0; i < m->n; i++) {
		if (btrfs ? !target_btrfs_same(&m->v[i], roots, t) :
			    (m->v[i].major != t->dev.major || m->v[i].minor != t->dev.minor))
			continue;
		const char *r = target_under(btrfs ? full : t->config.path, m->v[i].root);
		// The mount of the filesystem's root wins over bind mounts.
		if (r && (!best || !strcmp(m->v[i].root, "/"))) {
			best = &m->v[i];
			rest = r;
		}
	}
	if (!best)
		return NULL;
	err = kd_target_join(best->point, rest[0] ? rest : "/", t->local_path,
			     sizeof(t->local_path));
	if (err)
		return err;
	t->mounted = true;
	snprintf(t->mountpoint, sizeof(t->mountpoint), "%s", best->point);
	return NULL;
}

KD_EXPORT struct kd_error *kd_target_resolve(const struct kd_config *cfg,
					     const struct kd_target_roots *roots,
					     struct kd_target *ret)
{
	static const struct kd_target_roots live = { 0 };
	if (!roots)
		roots = &live;
	if (cfg->path[0] != '/')
		return kd_error_create(KD_ERROR_INVALID, "path '%s' is not absolute", cfg->path);
	if (cfg->target_kind == KD_TARGET_RAW && !cfg->target[0])
		return kd_error_create(KD_ERROR_INVALID, "a raw target needs a device (raw /dev/NAME)");
	if (!kd_config_local(cfg))
		return kd_error_create(KD_ERROR_NOTFOUND, "no local target in the chain (%s)",
				       cfg->chain[0].url);
	struct kd_target *t = calloc(1, sizeof(*t));
	if (!t)
		return &kd_enomem;
	t->config = *cfg;
	// The dump folder is named after the machine (kd_dumpdir_create); the
	// capture kernel has no hostname of its own.
	if (!t->config.hostname[0] &&
	    gethostname(t->config.hostname, sizeof(t->config.hostname) - 1))
		snprintf(t->config.hostname, sizeof(t->config.hostname), "localhost");
	struct kd_mounts m = { 0 };
	struct kd_error *err = NULL;
	if (cfg->target_kind != KD_TARGET_RAW)
		err = kd_blkdev_mounts(roots->mountinfo, &m);
	if (!err)
		err = cfg->target[0] ? target_named(cfg, roots, &m, t) :
				       target_from_path(cfg, roots, &m, t);
	kd_blkdev_mounts_free(&m);
	if (!err)
		*ret = *t;
	free(t);
	return err;
}

KD_EXPORT struct kd_error *kd_target_check_folder(const struct kd_target *t, bool create,
						  uint64_t *free_ret)
{
	if (free_ret)
		*free_ret = 0;
	if (!t->mounted || t->config.target_kind == KD_TARGET_RAW)
		return NULL;
	const char *dir = t->local_path;
	struct stat st;
	if (stat(dir, &st) < 0) {
		if (errno != ENOENT)
			return kd_error_os(errno, "dump folder %s", dir);
		if (!create)
			return NULL;
		// Dumps hold the machine's memory: keys, passwords.
		struct kd_error *err = kd_fs_mkdir_p(dir, 0700);
		if (err)
			return kd_error_prefix(err, "creating the dump folder");
	} else if (!S_ISDIR(st.st_mode)) {
		return kd_error_create(KD_ERROR_INVALID, "dump folder %s is not a folder", dir);
	}
	struct statvfs vfs;
	if (statvfs(t->mountpoint, &vfs) == 0) {
		if (vfs.f_flag & ST_RDONLY)
			return kd_error_create(KD_ERROR_INVALID,
					       "dump folder %s is on a read-only filesystem", dir);
		if (free_ret)
			*free_ret = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	}
	return NULL;
}

// ------------------------------------------------------ the chain's state

// One line of text: control bytes as '?'.
static void target_put(FILE *f, const char *key, const char *v)
{
	fprintf(f, "%s=", key);
	for (; *v; v++)
		fputc((unsigned char)*v < 0x20 || *v == 0x7f ? '?' : *v, f);
	fputc('\n', f);
}

KD_EXPORT struct kd_error *kd_target_chain_state_format(const struct kd_target_chain_state *st,
							char **ret)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return &kd_enomem;
	fprintf(f, "# kexdump setup's check of the target chain (kexdump status reads it)\n");
	fprintf(f, "checked_at=%lld\n", (long long)st->checked_at);
	for (size_t i = 0; i < st->n && i < KD_CONFIG_MAX_TARGETS; i++) {
		target_put(f, "target", st->links[i].name);
		fprintf(f, "reachable=%s\n", st->links[i].ok ? "yes" : "no");
		target_put(f, "error", st->links[i].error);
	}
	if (fclose(f) != 0) {
		free(text);
		return &kd_enomem;
	}
	*ret = text;
	return NULL;
}

KD_EXPORT struct kd_error *kd_target_chain_state_parse(const char *text, size_t len,
						       struct kd_target_chain_state *ret)
{
	struct kd_target_chain_state *st = calloc(1, sizeof(*st));
	if (!st)
		return &kd_enomem;
	struct kd_target_check *cur = NULL;
	unsigned int line = 0;
	for (size_t pos = 0; pos < len;) {
		const char *p = text + pos;
		const char *nl = memchr(p, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - p) : len - pos;
		pos += n + 1;
		line++;
		if (!n || p[0] == '#')
			continue;
		const char *eq = memchr(p, '=', n);
		if (!eq)
			goto bad;
		size_t kl = (size_t)(eq - p), vl = n - kl - 1;
		const char *v = eq + 1;
#define KEY(k) (kl == sizeof(k) - 1 && !memcmp(p, k, kl))
		if (KEY("checked_at")) {
			char num[24];
			if (vl == 0 || vl >= sizeof(num))
				goto bad;
			memcpy(num, v, vl);
			num[vl] = '\0';
			char *end;
			st->checked_at = strtoll(num, &end, 10);
			if (*end)
				goto bad;
		} else if (KEY("target")) {
			if (st->n == KD_CONFIG_MAX_TARGETS)
				goto bad;
			cur = &st->links[st->n++];
			snprintf(cur->name, sizeof(cur->name), "%.*s", (int)vl, v);
		} else if (KEY("reachable") && cur) {
			cur->ok = vl == 3 && !memcmp(v, "yes", 3);
		} else if (KEY("error") && cur) {
			snprintf(cur->error, sizeof(cur->error), "%.*s", (int)vl, v);
		}
#undef KEY
		continue;
bad:
		free(st);
		return kd_error_create(KD_ERROR_CORRUPT, "line %u: not a chain state line", line);
	}
	*ret = *st;
	free(st);
	return NULL;
}

KD_EXPORT struct kd_error *kd_target_chain_state_read(const char *path,
						      struct kd_target_chain_state *ret)
{
	if (!path)
		path = KD_TARGET_CHAIN_STATE;
	char *text;
	size_t len;
	struct kd_error *err = kd_fs_read_file(path, 64 * 1024, &text, &len);
	if (err && kd_error_errno(err) == ENOENT) {
		kd_error_destroy(err);
		return kd_error_create(KD_ERROR_NOTFOUND, "%s: no check of the chain (run kexdump setup)",
				       path);
	}
	if (err)
		return err;
	err = kd_target_chain_state_parse(text, len, ret);
	free(text);
	return err ? kd_error_prefix(err, "%s", path) : NULL;
}
