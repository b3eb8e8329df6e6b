// SPDX-License-Identifier: LGPL-2.1-or-later
// Kernel modules of the capture initramfs: which modules reach the dump
// target, in an order insmod accepts. Reads the files depmod(8) writes in
// /lib/modules/RELEASE (formats in kmod's depmod.c and modules.dep(5)):
//   modules.dep       "kernel/fs/ext4/ext4.ko.xz: kernel/lib/crc16.ko.xz ..."
//                     every module with the closure of its dependencies
//   modules.softdep   "softdep ext4 pre: crypto-crc32c" (MODULE_SOFTDEP)
//   modules.alias     "alias virtio:d00000002v* virtio_blk" (fnmatch globs)
//   modules.builtin   "kernel/drivers/virtio/virtio_pci.ko" (built in)
//   modules.builtin.modinfo  NUL-separated "virtio_pci.alias=..." strings
// A name resolves as kmod's kmod_module_new_from_lookup() does: a module
// of modules.dep, else every module an alias matches, else built in.
// Module names treat '-' and '_' alike (kmod's alias_normalize).
// Soft dependencies: every "softdep MOD" line counts. kmod uses only the
// first line of a module (kmod_module_get_softdeps() breaks at the first
// match), which drops btrfs's sha256 and xxhash64 (depmod writes one line
// per MODULE_SOFTDEP); a capture kernel that cannot mount the target has
// no second chance, so take them all.
#include "service/service.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

// modules.alias is the biggest index, ~1.5 MiB on Debian 6.12.
#define MAX_INDEX_SIZE (64u << 20)

enum { MOD_NEW, MOD_VISITING, MOD_ADDED };

struct module {
	char *name;		// normalized, owned
	const char *path;	// relative to moddir, in dep_text
	char *deps;		// space-separated paths, in dep_text
	int state;
};

struct alias {
	char *pattern;		// normalized, in alias_text or builtin_modinfo
	const char *module;
};

struct softdep {
	const char *module;	// normalized, in softdep_text
	const char *dep;	// a module name or alias
	bool post;
};

struct entry {
	size_t mod;
	char *path;		// moddir/relative path
};

struct kd_modset {
	char *moddir;
	char *dep_text, *alias_text, *softdep_text, *builtin_text, *builtin_modinfo;
	size_t builtin_modinfo_len;
	struct module *mods;	// sorted by name
	size_t nmods;
	struct alias *aliases;
	size_t naliases;
	struct alias *builtin_aliases;
	size_t nbuiltin_aliases;
	struct softdep *softdeps;
	size_t nsoftdeps;
	char **builtin;		// normalized names, sorted
	size_t nbuiltin;
	struct entry *order;
	size_t norder, order_cap;
};

// '-' becomes '_' except inside a [...] class of a glob (kmod alias_normalize).
static void modset_normalize(char *s)
{
	bool in_class = false;
	for (; *s; s++) {
		if (*s == '[')
			in_class = true;
		else if (*s == ']')
			in_class = false;
		else if (*s == '-' && !in_class)
			*s = '_';
	}
}

// The module name of a path: its basename without ".ko" and a
// compression suffix, normalized. NULL if it is not a .ko file.
static char *modset_name_of_path(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *ko = strstr(base, ".ko");
	if (!ko || (ko[3] && strcmp(ko + 3, ".xz") && strcmp(ko + 3, ".zst") &&
		    strcmp(ko + 3, ".gz")))
		return NULL;
	char *name = strndup(base, (size_t)(ko - base));
	if (name)
		modset_normalize(name);
	return name;
}

// Read @p dir/@p file whole; a missing one is empty when @p optional.
static struct kd_error *modset_slurp(const char *dir, const char *file, bool optional,
			      char **ret, size_t *lenret)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	struct kd_error *err = kd_fs_read_file(path, MAX_INDEX_SIZE, ret, lenret);
	if (err && kd_error_errno(err) == ENOENT) {
		if (optional) {
			kd_error_destroy(err);
			*lenret = 0;
			*ret = strdup("");
			return *ret ? NULL : &kd_enomem;
		}
		return kd_error_prefix(err, "run depmod for this kernel");
	}
	return err;
}

// Grow *arr (of elem-size items) so that one more fits.
static bool modset_grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 64;
	void *p = realloc(*(void **)arr, ncap * elem);
	if (!p)
		return false;
	*(void **)arr = p;
	*cap = ncap;
	return true;
}

static int modset_cmp_module(const void *a, const void *b)
{
	return strcmp(((const struct module *)a)->name, ((const struct module *)b)->name);
}

static int modset_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static struct module *modset_find_module(const struct kd_modset *set, const char *name)
{
	struct module key = { .name = (char *)name };
	// bsearch() and qsort() must not see the NULL of an empty array.
	if (!set->nmods)
		return NULL;
	return bsearch(&key, set->mods, set->nmods, sizeof(key), modset_cmp_module);
}

static bool modset_is_builtin_name(const struct kd_modset *set, const char *name)
{
	if (!set->nbuiltin)
		return false;
	return bsearch(&name, set->builtin, set->nbuiltin, sizeof(char *), modset_cmp_str);
}

// modules.dep: "path: dep dep ..." lines, split in place.
static struct kd_error *modset_parse_dep(struct kd_modset *set)
{
	size_t cap = 0;
	char *save = NULL;
	for (char *line = strtok_r(set->dep_text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		if (!colon)
			return kd_error_create(KD_ERROR_CORRUPT,
					       "%s/modules.dep: line without ':': %.60s",
					       set->moddir, line);
		*colon = '\0';
		if (!modset_grow(&set->mods, &cap, set->nmods, sizeof(struct module)))
			return &kd_enomem;
		struct module *m = &set->mods[set->nmods];
		m->name = modset_name_of_path(line);
		if (!m->name)
			return kd_error_create(KD_ERROR_CORRUPT,
					       "%s/modules.dep: '%s' is not a .ko file",
					       set->moddir, line);
		m->path = line;
		m->deps = colon + 1;
		m->state = MOD_NEW;
		set->nmods++;
	}
	if (set->nmods)
		qsort(set->mods, set->nmods, sizeof(struct module), modset_cmp_module);
	return NULL;
}

// modules.alias: "alias PATTERN MODULE" lines.
static struct kd_error *modset_parse_alias(struct kd_modset *set)
{
	size_t cap = 0;
	char *save = NULL;
	for (char *line = strtok_r(set->alias_text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *s2 = NULL;
		char *kw = strtok_r(line, " \t", &s2);
		char *pattern = strtok_r(NULL, " \t", &s2);
		char *module = strtok_r(NULL, " \t", &s2);
		if (!kw || strcmp(kw, "alias") || !module)
			continue;	// comments
		if (!modset_grow(&set->aliases, &cap, set->naliases, sizeof(struct alias)))
			return &kd_enomem;
		modset_normalize(pattern);
		modset_normalize(module);
		set->aliases[set->naliases++] = (struct alias){ pattern, module };
	}
	return NULL;
}

// modules.softdep: "softdep MOD pre: A B post: C" (kmod's softdep syntax;
// names before any "pre:"/"post:" are ignored, as kmod does).
static struct kd_error *modset_parse_softdep(struct kd_modset *set)
{
	size_t cap = 0;
	char *save = NULL;
	for (char *line = strtok_r(set->softdep_text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *s2 = NULL;
		char *kw = strtok_r(line, " \t", &s2);
		char *module = strtok_r(NULL, " \t", &s2);
		if (!kw || strcmp(kw, "softdep") || !module)
			continue;
		modset_normalize(module);
		int mode = 0;	// 0 none yet, 1 pre, 2 post
		for (char *tok = strtok_r(NULL, " \t", &s2); tok;
		     tok = strtok_r(NULL, " \t", &s2)) {
			if (!strcmp(tok, "pre:")) {
				mode = 1;
			} else if (!strcmp(tok, "post:")) {
				mode = 2;
			} else if (mode) {
				if (!modset_grow(&set->softdeps, &cap, set->nsoftdeps,
					  sizeof(struct softdep)))
					return &kd_enomem;
				set->softdeps[set->nsoftdeps++] =
					(struct softdep){ module, tok, mode == 2 };
			}
		}
	}
	return NULL;
}

// modules.builtin (paths) and modules.builtin.modinfo ("mod.alias=x\0").
static struct kd_error *modset_parse_builtin(struct kd_modset *set)
{
	size_t cap = 0;
	char *save = NULL;
	for (char *line = strtok_r(set->builtin_text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *name = modset_name_of_path(line);
		if (!name)
			continue;
		if (!modset_grow(&set->builtin, &cap, set->nbuiltin, sizeof(char *))) {
			free(name);
			return &kd_enomem;
		}
		set->builtin[set->nbuiltin++] = name;
	}
	if (set->nbuiltin)
		qsort(set->builtin, set->nbuiltin, sizeof(char *), modset_cmp_str);

	cap = 0;
	char *p = set->builtin_modinfo, *end = p + set->builtin_modinfo_len;
	while (p < end) {
		char *s = p;
		p += strlen(p) + 1;
		char *dot = strchr(s, '.');
		if (!dot || strncmp(dot + 1, "alias=", 6))
			continue;
		*dot = '\0';
		if (!modset_grow(&set->builtin_aliases, &cap, set->nbuiltin_aliases,
			  sizeof(struct alias)))
			return &kd_enomem;
		modset_normalize(s);
		modset_normalize(dot + 7);
		set->builtin_aliases[set->nbuiltin_aliases++] =
			(struct alias){ dot + 7, s };
	}
	return NULL;
}

KD_EXPORT struct kd_error *kd_modset_open(const char *moddir, struct kd_modset **ret)
{
	struct kd_modset *set = calloc(1, sizeof(*set));
	if (!set)
		return &kd_enomem;
	size_t len;
	struct kd_error *err = NULL;
	set->moddir = strdup(moddir);
	if (!set->moddir)
		err = &kd_enomem;
	if (!err)
		err = modset_slurp(moddir, "modules.dep", false, &set->dep_text, &len);
	if (!err)
		err = modset_slurp(moddir, "modules.alias", true, &set->alias_text, &len);
	if (!err)
		err = modset_slurp(moddir, "modules.softdep", true, &set->softdep_text, &len);
	if (!err)
		err = modset_slurp(moddir, "modules.builtin", true, &set->builtin_text, &len);
	if (!err)
		err = modset_slurp(moddir, "modules.builtin.modinfo", true,
			    &set->builtin_modinfo, &set->builtin_modinfo_len);
	if (!err)
		err = modset_parse_dep(set);
	if (!err)
		err = modset_parse_alias(set);
	if (!err)
		err = modset_parse_softdep(set);
	if (!err)
		err = modset_parse_builtin(set);
	if (err) {
		kd_modset_close(set);
		return err;
	}
	*ret = set;
	return NULL;
}

KD_EXPORT void kd_modset_close(struct kd_modset *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->nmods; i++)
		free(set->mods[i].name);
	for (size_t i = 0; i < set->nbuiltin; i++)
		free(set->builtin[i]);
	for (size_t i = 0; i < set->norder; i++)
		free(set->order[i].path);
	free(set->mods);
	free(set->builtin);
	free(set->aliases);
	free(set->builtin_aliases);
	free(set->softdeps);
	free(set->order);
	free(set->dep_text);
	free(set->alias_text);
	free(set->softdep_text);
	free(set->builtin_text);
	free(set->builtin_modinfo);
	free(set->moddir);
	free(set);
}

// What a name stands for: modules (indices into mods), built in, or
// nothing. modprobe loads every module an alias matches; 16 is far more
// than any device or crypto alias matches on Debian's kernels.
struct resolved {
	size_t mods[16];
	size_t n;
	bool builtin;
};

static struct kd_error *modset_resolve(const struct kd_modset *set, const char *name,
				struct resolved *r)
{
	char key[256];
	if (strlen(name) >= sizeof(key) || !*name)
		return kd_error_create(KD_ERROR_INVALID, "bad module name '%.60s'", name);
	strcpy(key, name);
	modset_normalize(key);
	r->n = 0;
	r->builtin = false;
	const struct module *m = modset_find_module(set, key);
	if (m) {
		r->mods[r->n++] = (size_t)(m - set->mods);
		return NULL;
	}
	for (size_t i = 0; i < set->naliases; i++) {
		const struct alias *a = &set->aliases[i];
		if (fnmatch(a->pattern, key, 0))
			continue;
		m = modset_find_module(set, a->module);
		if (!m)
			return kd_error_create(KD_ERROR_CORRUPT,
					       "%s/modules.alias: '%s' names module '%s' that is not in modules.dep",
					       set->moddir, a->pattern, a->module);
		size_t idx = (size_t)(m - set->mods), j;
		for (j = 0; j < r->n && r->mods[j] != idx; j++)
			;
		if (j < r->n)
			continue;
		if (r->n == KD_ARRAY_SIZE(r->mods))
			return kd_error_create(KD_ERROR_UNSUPPORTED,
					       "%s/modules.alias: '%s' matches more than %zu modules",
					       set->moddir, name, KD_ARRAY_SIZE(r->mods));
		r->mods[r->n++] = idx;
	}
	if (r->n)
		return NULL;
	if (modset_is_builtin_name(set, key)) {
		r->builtin = true;
		return NULL;
	}
	for (size_t i = 0; i < set->nbuiltin_aliases; i++)
		if (!fnmatch(set->builtin_aliases[i].pattern, key, 0)) {
			r->builtin = true;
			return NULL;
		}
	return NULL;
}

static struct kd_error *modset_visit(struct kd_modset *set, size_t idx);

// Soft dependencies of @p m before (post false) or after it; names that
// resolve to nothing are skipped, as modprobe skips them.
static struct kd_error *modset_visit_softdeps(struct kd_modset *set, const char *name,
				       bool post)
{
	for (size_t i = 0; i < set->nsoftdeps; i++) {
		const struct softdep *sd = &set->softdeps[i];
		if (sd->post != post || strcmp(sd->module, name))
			continue;
		struct resolved r;
		struct kd_error *err = modset_resolve(set, sd->dep, &r);
		for (size_t j = 0; !err && j < r.n; j++)
			err = modset_visit(set, r.mods[j]);
		if (err)
			return err;
	}
	return NULL;
}

// Depth-first, post-order: pre soft dependencies, then the dependencies
// (each with its own), then the module, then post soft dependencies.
// modules.dep lists the closure with the ones to load first last (kmod
// inserts them from the end), so walk it backwards.
static struct kd_error *modset_visit(struct kd_modset *set, size_t idx)
{
	struct module *m = &set->mods[idx];
	if (m->state != MOD_NEW)
		return NULL;	// added, or a cycle through soft dependencies
	m->state = MOD_VISITING;
	struct kd_error *err = modset_visit_softdeps(set, m->name, false);
	if (err)
		return err;
	const char *deps = m->deps;
	const char *end = deps + strlen(deps);
	while (end > deps) {
		while (end > deps && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		const char *start = end;
		while (start > deps && start[-1] != ' ' && start[-1] != '\t')
			start--;
		if (start == end)
			break;
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%.*s", (int)(end - start), start);
		char *name = modset_name_of_path(path);
		if (!name)
			return &kd_enomem;
		const struct module *d = modset_find_module(set, name);
		free(name);
		if (!d)
			return kd_error_create(KD_ERROR_CORRUPT,
					       "%s/modules.dep: %s depends on %s, which has no line",
					       set->moddir, m->path, path);
		err = modset_visit(set, (size_t)(d - set->mods));
		if (err)
			return err;
		end = start;
	}
	if (!modset_grow(&set->order, &set->order_cap, set->norder, sizeof(struct entry)))
		return &kd_enomem;
	char *path;
	if (asprintf(&path, "%s/%s", set->moddir, m->path) < 0)
		return &kd_enomem;
	set->order[set->norder++] = (struct entry){ idx, path };
	m->state = MOD_ADDED;
	return modset_visit_softdeps(set, m->name, true);
}

// Add what @p name resolves to; *found says whether it resolved at all.
static struct kd_error *modset_add_resolved(struct kd_modset *set, const char *name,
				     bool *found)
{
	struct resolved r;
	struct kd_error *err = modset_resolve(set, name, &r);
	if (err)
		return err;
	*found = r.n || r.builtin;
	for (size_t j = 0; !err && j < r.n; j++)
		err = modset_visit(set, r.mods[j]);
	return err;
}

KD_EXPORT struct kd_error *kd_modset_add(struct kd_modset *set, const char *name)
{
	bool found;
	struct kd_error *err = modset_add_resolved(set, name, &found);
	if (!err && !found)
		err = kd_error_create(KD_ERROR_NOTFOUND,
				      "%s: no module, alias or built-in named '%s'",
				      set->moddir, name);
	return err;
}

// Read a one-line sysfs attribute without its newline; false if absent.
static bool modset_read_attr(const char *dir, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] != '\0';
}

// One device of the chain: the module its bound driver belongs to
// (driver/module -> /sys/module/NAME); a device without a bound driver
// gets the modules its modalias matches, as udev's "modprobe $MODALIAS".
static struct kd_error *modset_add_device(struct kd_modset *set, const char *dir)
{
	char path[PATH_MAX], link[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/driver/module", dir) >= sizeof(path))
		return kd_error_create(KD_ERROR_INVALID, "%s: path too long", dir);
	path[strlen(path) - strlen("/module")] = '\0';
	struct stat st;
	if (lstat(path, &st) == 0) {
		snprintf(path, sizeof(path), "%s/driver/module", dir);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			return NULL;	// a built-in driver without a module object
		link[n] = '\0';
		const char *name = strrchr(link, '/');
		name = name ? name + 1 : link;
		struct kd_error *err = kd_modset_add(set, name);
		return err ? kd_error_prefix(err, "driver of %s", dir) : NULL;
	}
	char modalias[512];
	if (!modset_read_attr(dir, "modalias", modalias, sizeof(modalias)))
		return NULL;
	bool found;
	struct kd_error *err = modset_add_resolved(set, modalias, &found);
	return err ? kd_error_prefix(err, "%s/modalias", dir) : NULL;
}

static struct kd_error *modset_add_blockdev(struct kd_modset *set, const char *devname,
					    const char *sysfs_root, unsigned int depth);

// A stacked device (device-mapper: LVM, dm-crypt...) has no driver chain
// of its own (it lives under devices/virtual/block): what reaches it is
// its driver's module and, under it, each device in its "slaves" folder
// (block/holder.c, bd_link_disk_holder), walked in turn.
static struct kd_error *modset_add_stacked(struct kd_modset *set, const char *dir,
					   const char *sysfs_root, unsigned int depth)
{
	char path[PATH_MAX + 16];	// dir is at most PATH_MAX
	struct stat st;
	snprintf(path, sizeof(path), "%s/dm", dir);
	if (stat(path, &st) == 0) {
		// drivers/md/dm-sysfs.c: the "dm" folder of a mapped device;
		// dm-mod holds the linear and striped targets.
		struct kd_error *err = kd_modset_add(set, "dm_mod");
		if (err)
			return err;
	}
	snprintf(path, sizeof(path), "%s/slaves", dir);
	DIR *d = opendir(path);
	if (!d)
		return NULL;
	struct kd_error *err = NULL;
	struct dirent *de;
	while (!err && (de = readdir(d)))
		if (de->d_name[0] != '.')
			err = modset_add_blockdev(set, de->d_name, sysfs_root, depth + 1);
	closedir(d);
	return err;
}

KD_EXPORT struct kd_error *kd_modset_add_blockdev(struct kd_modset *set,
						  const char *devname,
						  const char *sysfs_root)
{
	return modset_add_blockdev(set, devname, sysfs_root, 0);
}

static struct kd_error *modset_add_blockdev(struct kd_modset *set, const char *devname,
					    const char *sysfs_root, unsigned int depth)
{
	if (!sysfs_root)
		sysfs_root = "/sys";
	if (!*devname || strchr(devname, '/') || !strcmp(devname, ".") || !strcmp(devname, ".."))
		return kd_error_create(KD_ERROR_INVALID, "bad block device name '%s'", devname);
	// dm over dm over a disk is 3; a loop in sysfs is not followed forever.
	if (depth > 8)
		return kd_error_create(KD_ERROR_UNSUPPORTED, "block device %s: stacked more than 8 deep",
				       devname);
	char path[PATH_MAX], dir[PATH_MAX], devices[PATH_MAX];
	snprintf(path, sizeof(path), "%s/devices", sysfs_root);
	if (!realpath(path, devices))
		return kd_error_os(errno, "%s", path);
	snprintf(path, sizeof(path), "%s/class/block/%s", sysfs_root, devname);
	if (!realpath(path, dir))
		return kd_error_os(errno, "%s", path);
	size_t root_len = strlen(devices);
	if (strncmp(dir, devices, root_len) || dir[root_len] != '/')
		return kd_error_create(KD_ERROR_FORMAT, "%s: %s is not under %s", path,
				       dir, devices);
	struct kd_error *serr = modset_add_stacked(set, dir, sysfs_root, depth);
	if (serr)
		return kd_error_prefix(serr, "block device %s", devname);
	// A partition's driver chain is its disk's (block/partitions/core.c
	// puts the partition's kobject under the disk's).
	char attr[64];
	if (modset_read_attr(dir, "partition", attr, sizeof(attr)))
		*strrchr(dir, '/') = '\0';
	while (strlen(dir) > root_len) {
		struct kd_error *err = modset_add_device(set, dir);
		if (err)
			return kd_error_prefix(err, "block device %s", devname);
		*strrchr(dir, '/') = '\0';
	}
	return NULL;
}

KD_EXPORT struct kd_error *kd_modset_add_netdev(struct kd_modset *set, const char *ifname,
						const char *sysfs_root)
{
	if (!sysfs_root)
		sysfs_root = "/sys";
	if (!*ifname || strchr(ifname, '/') || !strcmp(ifname, ".") || !strcmp(ifname, ".."))
		return kd_error_create(KD_ERROR_INVALID, "bad network interface name '%s'", ifname);
	char path[PATH_MAX], dir[PATH_MAX], devices[PATH_MAX];
	snprintf(path, sizeof(path), "%s/devices", sysfs_root);
	if (!realpath(path, devices))
		return kd_error_os(errno, "%s", path);
	snprintf(path, sizeof(path), "%s/class/net/%s", sysfs_root, ifname);
	if (!realpath(path, dir)) {
		if (errno == ENOENT)
			return kd_error_create(KD_ERROR_NOTFOUND, "no network interface %s (%s)",
					       ifname, path);
		return kd_error_os(errno, "%s", path);
	}
	size_t root_len = strlen(devices);
	if (strncmp(dir, devices, root_len) || dir[root_len] != '/')
		return kd_error_create(KD_ERROR_FORMAT, "%s: %s is not under %s", path, dir,
				       devices);
	// The interface's kobject sits under its device (net/core/net-sysfs.c
	// netdev_register_kobject: parent = dev->dev.parent), e.g.
	// .../0000:00:03.0/virtio0/net/eth0: walk up from there, as for a
	// disk; a virtual interface (devices/virtual/net/...) has no driver.
	while (strlen(dir) > root_len) {
		struct kd_error *err = modset_add_device(set, dir);
		if (err)
			return kd_error_prefix(err, "network interface %s", ifname);
		*strrchr(dir, '/') = '\0';
	}
	return NULL;
}

// Names of the kernel's defaults for vfat (fs/fat/Kconfig:
// FAT_DEFAULT_CODEPAGE 437, FAT_DEFAULT_IOCHARSET "ascii" on Debian;
// fs/fat/inode.c loads both with load_nls() at mount).
static const char *const fat_nls[] = { "nls_cp437", "nls_ascii", "nls_iso8859_1" };

KD_EXPORT struct kd_error *kd_modset_add_fs(struct kd_modset *set, const char *fstype)
{
	if (!*fstype || strlen(fstype) > 32 || strspn(fstype,
		"abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(fstype))
		return kd_error_create(KD_ERROR_INVALID, "bad filesystem type '%s'", fstype);
	// The kernel asks for "fs-TYPE" (fs/filesystems.c get_fs_type ->
	// request_module("fs-%s")); MODULE_ALIAS_FS gives every fs that alias.
	char alias[48];
	snprintf(alias, sizeof(alias), "fs-%s", fstype);
	bool found;
	struct kd_error *err = modset_add_resolved(set, alias, &found);
	if (!err && !found)
		err = kd_modset_add(set, fstype);
	if (err)
		return kd_error_prefix(err, "filesystem %s", fstype);
	if (!strcmp(fstype, "vfat") || !strcmp(fstype, "msdos"))
		for (size_t i = 0; !err && i < KD_ARRAY_SIZE(fat_nls); i++)
			err = modset_add_resolved(set, fat_nls[i], &found);
	return err;
}

KD_EXPORT struct kd_error *kd_modset_add_target(struct kd_modset *set,
						const struct kd_config *cfg,
						const char *sysfs_root,
						const char *dev_root)
{
	if (!cfg->target[0])
		return kd_error_create(KD_ERROR_INVALID,
				       "the config names no target device");
	// Every device of the filesystem (a btrfs over several disks).
	struct kd_blkdev_info devs[KD_BLKDEV_MAX_MEMBERS];
	size_t ndevs;
	struct kd_error *err = kd_btrfs_members(cfg->target, sysfs_root, dev_root, devs,
						KD_ARRAY_SIZE(devs), &ndevs);
	if (err)
		return kd_error_prefix(err, "dump target");
	const struct kd_blkdev_info info = devs[0];
	for (size_t i = 0; i < ndevs && !err; i++)
		err = kd_modset_add_blockdev(set, devs[i].name, sysfs_root);
	if (err)
		return err;
	if (cfg->target_kind != KD_TARGET_RAW) {
		const char *fstype = cfg->fstype[0] ? cfg->fstype : info.fstype;
		if (!fstype[0])
			return kd_error_create(KD_ERROR_NOTFOUND,
					       "target %s (%s): unknown filesystem type; set fstype in the config",
					       cfg->target, info.name);
		err = kd_modset_add_fs(set, fstype);
	}
	for (size_t i = 0; !err && i < cfg->nmodules; i++)
		err = kd_modset_add(set, cfg->modules[i]);
	return err;
}

KD_EXPORT struct kd_error *kd_modset_add_chain(struct kd_modset *set,
					       const struct kd_config *cfg,
					       const char *sysfs_root, const char *dev_root)
{
	struct kd_error *err = NULL;
	if (kd_config_local(cfg))
		err = kd_modset_add_target(set, cfg, sysfs_root, dev_root);
	for (size_t i = 0; !err && !kd_config_local(cfg) && i < cfg->nmodules; i++)
		err = kd_modset_add(set, cfg->modules[i]);
	for (size_t i = 0; !err && i < cfg->nchain; i++) {
		if (cfg->chain[i].kind != KD_TARGET_NFS)
			continue;
		// The "nfs4" type is nfs.ko's; the protocol is nfsv4.ko,
		// which nfs.ko asks for with request_module() (fs/nfs/
		// client.c, get_nfs_version): no modprobe in the capture
		// initramfs, so it is loaded up front.
		err = kd_modset_add(set, "nfsv4");
		if (err)
			err = kd_error_prefix(err, "nfs target %s", cfg->chain[i].url);
		break;
	}
	return err;
}

KD_EXPORT size_t kd_modset_count(const struct kd_modset *set)
{
	return set->norder;
}

KD_EXPORT void kd_modset_get(const struct kd_modset *set, size_t i,
			     const char **name, const char **path)
{
	if (name)
		*name = set->mods[set->order[i].mod].name;
	if (path)
		*path = set->order[i].path;
}
