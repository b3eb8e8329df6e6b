// SPDX-License-Identifier: LGPL-2.1-or-later
// VMCOREINFO: the "KEY=VALUE\n" text the kernel writes into a note for dump
// tools (kernel/vmcore_info.c, formerly kernel/crash_core.c). Numbers are
// hex for SYMBOL() and KERNELOFFSET, decimal for the rest; NUMBER() may be
// negative.
#include "kernel/kernel.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

struct vmcoreinfo_entry {
	char *key;
	char *value;
};

struct kd_vmcoreinfo {
	struct vmcoreinfo_entry *entries;
	size_t n;
	char *text;		/* the parsed copy; entries point into it */
};

KD_EXPORT struct kd_error *kd_vmcoreinfo_parse(const char *text, size_t len,
					       struct kd_vmcoreinfo **ret)
{
	// The note is NUL-padded; the text ends at the first NUL.
	const char *nul = memchr(text, '\0', len);
	if (nul)
		len = (size_t)(nul - text);
	struct kd_vmcoreinfo *vi = calloc(1, sizeof(*vi));
	if (!vi)
		return &kd_enomem;
	vi->text = malloc(len + 1);
	if (!vi->text) {
		free(vi);
		return &kd_enomem;
	}
	memcpy(vi->text, text, len);
	vi->text[len] = '\0';
	size_t cap = 0, lineno = 0;
	struct kd_error *err = NULL;
	for (char *line = vi->text, *next; *line; line = next) {
		lineno++;
		char *nl = strchr(line, '\n');
		if (nl) {
			*nl = '\0';
			next = nl + 1;
		} else {
			next = line + strlen(line);
		}
		if (!*line)
			continue;
		char *eq = strchr(line, '=');
		if (!eq || eq == line) {
			err = kd_error_create(KD_ERROR_CORRUPT,
				"VMCOREINFO line %zu is not KEY=VALUE: \"%.40s\"",
				lineno, line);
			goto fail;
		}
		*eq = '\0';
		if (vi->n == cap) {
			cap = cap ? cap * 2 : 128;
			struct vmcoreinfo_entry *e = realloc(vi->entries, cap * sizeof(*e));
			if (!e) {
				err = &kd_enomem;
				goto fail;
			}
			vi->entries = e;
		}
		vi->entries[vi->n].key = line;
		vi->entries[vi->n].value = eq + 1;
		vi->n++;
	}
	*ret = vi;
	return NULL;
fail:
	kd_vmcoreinfo_destroy(vi);
	return err;
}

KD_EXPORT void kd_vmcoreinfo_destroy(struct kd_vmcoreinfo *vi)
{
	if (!vi)
		return;
	free(vi->entries);
	free(vi->text);
	free(vi);
}

// The value of @p key, or NULL. The kernel writes each key once; should one
// repeat, the last wins, as with makedumpfile's and crash's readers.
static const char *vmcoreinfo_find(const struct kd_vmcoreinfo *vi,
				   const char *key)
{
	for (size_t i = vi->n; i-- > 0;)
		if (!strcmp(vi->entries[i].key, key))
			return vi->entries[i].value;
	return NULL;
}

KD_EXPORT struct kd_error *kd_vmcoreinfo_string(const struct kd_vmcoreinfo *vi,
						const char *key,
						const char **ret)
{
	const char *s = vmcoreinfo_find(vi, key);
	if (!s)
		return kd_error_create(KD_ERROR_NOTFOUND, "VMCOREINFO has no %s",
				       key);
	*ret = s;
	return NULL;
}

static struct kd_error *vmcoreinfo_parse_u64(const char *key, const char *s,
					     int base, uint64_t *ret)
{
	char *end;
	errno = 0;
	if (*s == '-' || *s == '\0')
		goto bad;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end)
		goto bad;
	*ret = v;
	return NULL;
bad:
	return kd_error_create(KD_ERROR_CORRUPT,
			       "VMCOREINFO %s has a bad value \"%.40s\"", key, s);
}

// NUMBER() is a long (VMCOREINFO_NUMBER() prints it with %ld).
static struct kd_error *vmcoreinfo_parse_s64(const char *key, const char *s,
					     int64_t *ret)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return kd_error_create(KD_ERROR_CORRUPT,
			"VMCOREINFO %s has a bad value \"%.40s\"", key, s);
	*ret = v;
	return NULL;
}

KD_EXPORT struct kd_error *kd_vmcoreinfo_u64(const struct kd_vmcoreinfo *vi,
					     const char *key, int base,
					     uint64_t *ret)
{
	const char *s;
	struct kd_error *err = kd_vmcoreinfo_string(vi, key, &s);
	if (err)
		return err;
	return vmcoreinfo_parse_u64(key, s, base, ret);
}

// kernel/vmcore_info.c writes SYMBOL() with %lx, the others with %lu (%ld
// for NUMBER()); a plain KEY here is a decimal one such as PAGESIZE.
static const struct {
	const char *name;
	int base;
} vmcoreinfo_kinds[] = {
	[KD_VI_SYMBOL] = { "SYMBOL", 16 },
	[KD_VI_OFFSET] = { "OFFSET", 10 },
	[KD_VI_SIZE] = { "SIZE", 10 },
	[KD_VI_LENGTH] = { "LENGTH", 10 },
	[KD_VI_NUMBER] = { "NUMBER", 10 },
	[KD_VI_KEY] = { NULL, 10 },
};

// KIND(name), e.g. SYMBOL(prb), into @p key (@p kind is a valid one); its
// value, or NULL when absent.
static struct kd_error *vmcoreinfo_lookup(const struct kd_vmcoreinfo *vi,
					  enum kd_vi_kind kind, const char *name,
					  char (*key)[256], const char **ret)
{
	int n = kind == KD_VI_KEY ? snprintf(*key, sizeof(*key), "%s", name) :
		snprintf(*key, sizeof(*key), "%s(%s)",
			 vmcoreinfo_kinds[kind].name, name);
	if (n < 0 || (size_t)n >= sizeof(*key))
		return kd_error_create(KD_ERROR_INVALID,
				       "VMCOREINFO key name too long: %s", name);
	*ret = vmcoreinfo_find(vi, *key);
	return NULL;
}

static struct kd_error *vmcoreinfo_missing(const char *key,
					   const char *what_for)
{
	if (!what_for)
		return kd_error_create(KD_ERROR_NOTFOUND, "VMCOREINFO has no %s",
				       key);
	return kd_error_create(KD_ERROR_NOTFOUND,
			       "VMCOREINFO has no %s, needed for %s", key,
			       what_for);
}

// The unsigned kinds; NUMBER() goes through the _number() variants.
static struct kd_error *vmcoreinfo_get_u64(const struct kd_vmcoreinfo *vi,
					   enum kd_vi_kind kind,
					   const char *name, const char *what_for,
					   uint64_t *ret, bool *found_ret)
{
	if (kind == KD_VI_NUMBER || (unsigned int)kind >= KD_ARRAY_SIZE(vmcoreinfo_kinds))
		return kd_error_create(KD_ERROR_INVALID,
			"VMCOREINFO look-up of %s: kind %d is not an unsigned one",
			name, (int)kind);
	char key[256];
	const char *s;
	struct kd_error *err = vmcoreinfo_lookup(vi, kind, name, &key, &s);
	if (err)
		return err;
	if (!s) {
		if (!found_ret)
			return vmcoreinfo_missing(key, what_for);
		*found_ret = false;
		return NULL;
	}
	if ((err = vmcoreinfo_parse_u64(key, s, vmcoreinfo_kinds[kind].base, ret)))
		return err;
	if (found_ret)
		*found_ret = true;
	return NULL;
}

struct kd_error *kd_vmcoreinfo_need(const struct kd_vmcoreinfo *vi,
				    enum kd_vi_kind kind, const char *name,
				    const char *what_for, uint64_t *ret)
{
	return vmcoreinfo_get_u64(vi, kind, name, what_for, ret, NULL);
}

struct kd_error *kd_vmcoreinfo_opt(const struct kd_vmcoreinfo *vi,
				   enum kd_vi_kind kind, const char *name,
				   uint64_t dflt, uint64_t *ret, bool *found_ret)
{
	bool found;
	uint64_t v;
	struct kd_error *err = vmcoreinfo_get_u64(vi, kind, name, NULL, &v,
						  &found);
	if (err)
		return err;
	*ret = found ? v : dflt;
	if (found_ret)
		*found_ret = found;
	return NULL;
}

static struct kd_error *vmcoreinfo_get_s64(const struct kd_vmcoreinfo *vi,
					   const char *name, const char *what_for,
					   int64_t *ret, bool *found_ret)
{
	char key[256];
	const char *s;
	struct kd_error *err = vmcoreinfo_lookup(vi, KD_VI_NUMBER, name, &key, &s);
	if (err)
		return err;
	if (!s) {
		if (!found_ret)
			return vmcoreinfo_missing(key, what_for);
		*found_ret = false;
		return NULL;
	}
	if ((err = vmcoreinfo_parse_s64(key, s, ret)))
		return err;
	if (found_ret)
		*found_ret = true;
	return NULL;
}

struct kd_error *kd_vmcoreinfo_need_number(const struct kd_vmcoreinfo *vi,
					   const char *name,
					   const char *what_for, int64_t *ret)
{
	return vmcoreinfo_get_s64(vi, name, what_for, ret, NULL);
}

struct kd_error *kd_vmcoreinfo_opt_number(const struct kd_vmcoreinfo *vi,
					  const char *name, int64_t dflt,
					  int64_t *ret, bool *found_ret)
{
	bool found;
	int64_t v;
	struct kd_error *err = vmcoreinfo_get_s64(vi, name, NULL, &v, &found);
	if (err)
		return err;
	*ret = found ? v : dflt;
	if (found_ret)
		*found_ret = found;
	return NULL;
}

static struct kd_error *vmcoreinfo_lookup_u64(const struct kd_vmcoreinfo *vi,
					      enum kd_vi_kind kind,
					      const char *name, uint64_t *ret)
{
	return vmcoreinfo_get_u64(vi, kind, name, NULL, ret, NULL);
}

KD_EXPORT struct kd_error *kd_vmcoreinfo_symbol(const struct kd_vmcoreinfo *vi,
						const char *name, uint64_t *ret)
{
	return vmcoreinfo_lookup_u64(vi, KD_VI_SYMBOL, name, ret);
}

KD_EXPORT struct kd_error *kd_vmcoreinfo_offset(const struct kd_vmcoreinfo *vi,
						const char *name, uint64_t *ret)
{
	return vmcoreinfo_lookup_u64(vi, KD_VI_OFFSET, name, ret);
}

KD_EXPORT struct kd_error *kd_vmcoreinfo_size(const struct kd_vmcoreinfo *vi,
					      const char *name, uint64_t *ret)
{
	return vmcoreinfo_lookup_u64(vi, KD_VI_SIZE, name, ret);
}

KD_EXPORT struct kd_error *kd_vmcoreinfo_length(const struct kd_vmcoreinfo *vi,
						const char *name, uint64_t *ret)
{
	return vmcoreinfo_lookup_u64(vi, KD_VI_LENGTH, name, ret);
}

KD_EXPORT struct kd_error *kd_vmcoreinfo_number(const struct kd_vmcoreinfo *vi,
						const char *name, int64_t *ret)
{
	return vmcoreinfo_get_s64(vi, name, NULL, ret, NULL);
}

KD_EXPORT struct kd_error *
kd_vmcoreinfo_kerneloffset(const struct kd_vmcoreinfo *vi, uint64_t *ret)
{
	return kd_vmcoreinfo_u64(vi, "KERNELOFFSET", 16, ret);
}

KD_EXPORT bool kd_vmcoreinfo_entry(const struct kd_vmcoreinfo *vi, size_t i,
				   const char **key_ret, const char **value_ret)
{
	if (i >= vi->n)
		return false;
	*key_ret = vi->entries[i].key;
	*value_ret = vi->entries[i].value;
	return true;
}
