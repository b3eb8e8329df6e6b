// SPDX-License-Identifier: LGPL-2.1-or-later
// VMCOREINFO: the "KEY=VALUE\n" text the kernel writes into a note for dump
// tools (kernel/vmcore_info.c, formerly kernel/crash_core.c). Numbers are
// hex for SYMBOL() and KERNELOFFSET, decimal for the rest; NUMBER() may be
// negative.
#include "kernel/kernel.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

struct vi_entry {
	char *key;
	char *value;
};

struct kd_vmcoreinfo {
	struct vi_entry *entries;
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
			struct vi_entry *e = realloc(vi->entries, cap * sizeof(*e));
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

KD_EXPORT struct kd_error *kd_vmcoreinfo_string(const struct kd_vmcoreinfo *vi,
						const char *key,
						const char **ret)
{
	// The kernel writes each key once; should one repeat, the last wins,
	// as with makedumpfile's and crash's readers.
	for (size_t i = vi->n; i-- > 0;) {
		if (!strcmp(vi->entries[i].key, key)) {
			*ret = vi->entries[i].value;
			return NULL;
		}
	}
	return kd_error_create(KD_ERROR_NOTFOUND, "VMCOREINFO has no %s", key);
}

static struct kd_error *parse_u64(const char *key, const char *s, int base,
				  uint64_t *ret)
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

KD_EXPORT struct kd_error *kd_vmcoreinfo_u64(const struct kd_vmcoreinfo *vi,
					     const char *key, int base,
					     uint64_t *ret)
{
	const char *s;
	struct kd_error *err = kd_vmcoreinfo_string(vi, key, &s);
	if (err)
		return err;
	return parse_u64(key, s, base, ret);
}

// The value text of KIND(name), e.g. SYMBOL(prb); key receives the key.
static struct kd_error *lookup(const struct kd_vmcoreinfo *vi, const char *kind,
			       const char *name, char (*key)[256],
			       const char **ret)
{
	if ((size_t)snprintf(*key, sizeof(*key), "%s(%s)", kind, name) >= sizeof(*key))
		return kd_error_create(KD_ERROR_INVALID,
				       "VMCOREINFO key name too long: %s", name);
	return kd_vmcoreinfo_string(vi, *key, ret);
}

static struct kd_error *lookup_u64(const struct kd_vmcoreinfo *vi,
				   const char *kind, const char *name,
				   int base, uint64_t *ret)
{
	char key[256];
	const char *s;
	struct kd_error *err = lookup(vi, kind, name, &key, &s);
	if (err)
		return err;
	return parse_u64(key, s, base, ret);
}

KD_EXPORT struct kd_error *kd_vmcoreinfo_symbol(const struct kd_vmcoreinfo *vi,
						const char *name, uint64_t *ret)
{
	return lookup_u64(vi, "SYMBOL", name, 16, ret);
}

KD_EXPORT struct kd_error *kd_vmcoreinfo_offset(const struct kd_vmcoreinfo *vi,
						const char *name, uint64_t *ret)
{
	return lookup_u64(vi, "OFFSET", name, 10, ret);
}

KD_EXPORT struct kd_error *kd_vmcoreinfo_size(const struct kd_vmcoreinfo *vi,
					      const char *name, uint64_t *ret)
{
	return lookup_u64(vi, "SIZE", name, 10, ret);
}

KD_EXPORT struct kd_error *kd_vmcoreinfo_length(const struct kd_vmcoreinfo *vi,
						const char *name, uint64_t *ret)
{
	return lookup_u64(vi, "LENGTH", name, 10, ret);
}

KD_EXPORT struct kd_error *kd_vmcoreinfo_number(const struct kd_vmcoreinfo *vi,
						const char *name, int64_t *ret)
{
	char key[256];
	const char *s;
	struct kd_error *err = lookup(vi, "NUMBER", name, &key, &s);
	if (err)
		return err;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return kd_error_create(KD_ERROR_CORRUPT,
			"VMCOREINFO %s has a bad value \"%.40s\"", key, s);
	*ret = v;
	return NULL;
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
