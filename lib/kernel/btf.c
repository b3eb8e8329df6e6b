// SPDX-License-Identifier: LGPL-2.1-or-later
// The dumped kernel's own type information: the BTF that a kernel built with
// CONFIG_DEBUG_INFO_BTF carries in its .BTF section, between the linker
// symbols __start_BTF and __stop_BTF (include/asm-generic/vmlinux.lds.h).
// Read from the dump's memory and parsed with libbpf, it gives struct
// sizes, member offsets and enum values without a debug vmlinux.
//
// The blob's layout (include/uapi/linux/btf.h, Documentation/bpf/btf.rst):
// a header (magic 0xeb9f, version 1, hdr_len, then type_off/type_len and
// str_off/str_len relative to the header's end), a type section of
// variable-length records (struct btf_type + a kind-dependent tail), a string
// section starting and ending with NUL.
#include "kernel/kernel.h"

#include <bpf/btf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

enum {
	// Debian's vmlinux BTF is 4.3 MB (6.1) to ~6 MB (6.12); allyesconfig
	// stays under 16 MB. Bounds the read and the copy libbpf makes.
	BTF_MAX_BYTES = 64 * 1024 * 1024,
	BTF_HDR_MIN = 24,	// struct btf_header up to str_len
	// Typedef/modifier chains and anonymous-member nesting: the kernel's
	// deepest are a handful; libbpf resolves sizes to depth 32.
	BTF_MAX_DEPTH = 32,
	// A member path ("thread.sp", "mem[0].base") this long is a caller bug.
	BTF_MAX_PATH = 256,
	// Members visited to find one (task_struct has ~250, with its
	// anonymous parts a few hundred more).
	BTF_MAX_VISITS = 1 << 16,
};

/* A named type, for look-ups by name without libbpf's linear scan. */
struct btf_name {
	const char *name;	/* in libbpf's copy of the string section */
	uint32_t id;
	uint16_t kind;
};

struct kd_btf {
	struct btf *btf;
	struct btf_name *names;	/* sorted by name, then id */
	size_t nnames;
	uint64_t bytes;		/* size of the blob in the dump */
};

// The type section walked with libbpf's own sizes (tools/lib/bpf/btf.c:
// btf_type_size()) before libbpf sees it: libbpf prints a warning on stderr
// for a record that overruns the section, and a library must not print.
static size_t btf_record_size(uint32_t info)
{
	uint32_t vlen = info & 0xffff, kind = (info >> 24) & 0x1f;
	const size_t base = 12;
	switch (kind) {
	case BTF_KIND_FWD: case BTF_KIND_CONST: case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT: case BTF_KIND_PTR: case BTF_KIND_TYPEDEF:
	case BTF_KIND_FUNC: case BTF_KIND_FLOAT: case BTF_KIND_TYPE_TAG:
		return base;
	case BTF_KIND_INT:
		return base + 4;
	case BTF_KIND_ENUM:
		return base + 8 * (size_t)vlen;
	case BTF_KIND_ENUM64:
		return base + 12 * (size_t)vlen;
	case BTF_KIND_ARRAY:
		return base + 12;
	case BTF_KIND_STRUCT: case BTF_KIND_UNION:
		return base + 12 * (size_t)vlen;
	case BTF_KIND_FUNC_PROTO:
		return base + 8 * (size_t)vlen;
	case BTF_KIND_VAR:
		return base + 4;
	case BTF_KIND_DATASEC:
		return base + 12 * (size_t)vlen;
	case BTF_KIND_DECL_TAG:
		return base + 4;
	default:
		return 0;
	}
}

// Check the header and the chain of type records of a little-endian BTF
// blob (x86_64 is the only architecture; libbpf would byte-swap otherwise).
static struct kd_error *btf_check_blob(const uint8_t *b, size_t len)
{
	if (len < BTF_HDR_MIN)
		return kd_error_create(KD_ERROR_CORRUPT, "%zu bytes, shorter than a BTF header", len);
	if (kd_le16(b) != BTF_MAGIC)
		return kd_error_create(KD_ERROR_CORRUPT, "bad magic %#x (BTF has 0xeb9f)", kd_le16(b));
	if (b[2] != BTF_VERSION)
		return kd_error_create(KD_ERROR_UNSUPPORTED, "BTF version %u (1 is known)", b[2]);
	uint64_t hdr_len = kd_le32(b + 4);
	uint64_t type_off = kd_le32(b + 8), type_len = kd_le32(b + 12);
	uint64_t str_off = kd_le32(b + 16), str_len = kd_le32(b + 20);
	if (hdr_len < BTF_HDR_MIN || hdr_len > len)
		return kd_error_create(KD_ERROR_CORRUPT, "header length %" PRIu64 " outside the %zu-byte blob", hdr_len, len);
	if (type_off % 4 || type_off + type_len > str_off ||
	    hdr_len + str_off + str_len > len)
		return kd_error_create(KD_ERROR_CORRUPT,
			"sections (types %" PRIu64 "+%" PRIu64 ", strings %" PRIu64 "+%" PRIu64 ") outside the %zu-byte blob",
			type_off, type_len, str_off, str_len, len);
	const uint8_t *p = b + hdr_len + type_off, *end = p + type_len;
	for (uint64_t id = 1; p < end; id++) {
		if (end - p < 12)
			return kd_error_create(KD_ERROR_CORRUPT, "type %" PRIu64 " cut short by the end of the type section", id);
		size_t sz = btf_record_size(kd_le32(p + 4));
		if (!sz)
			return kd_error_create(KD_ERROR_UNSUPPORTED, "type %" PRIu64 " has unknown kind %u", id, (kd_le32(p + 4) >> 24) & 0x1f);
		if (sz > (size_t)(end - p))
			return kd_error_create(KD_ERROR_CORRUPT, "type %" PRIu64 " overruns the type section", id);
		p += sz;
	}
	return NULL;
}

static int btf_name_cmp(const void *a, const void *b)
{
	const struct btf_name *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->id > y->id) - (x->id < y->id);
}

// Index the named types that look-ups start from (structs, unions,
// typedefs, enums, variables), sorted by name.
static struct kd_error *btf_index(struct kd_btf *kb)
{
	uint32_t n = btf__type_cnt(kb->btf);
	kb->names = calloc(n ? n : 1, sizeof(*kb->names));
	if (!kb->names)
		return &kd_enomem;
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(kb->btf, id);
		if (!t)
			continue;
		uint16_t kind = btf_kind(t);
		if (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION &&
		    kind != BTF_KIND_TYPEDEF && kind != BTF_KIND_ENUM &&
		    kind != BTF_KIND_ENUM64 && kind != BTF_KIND_VAR)
			continue;
		const char *name = btf__name_by_offset(kb->btf, t->name_off);
		if (!name || !*name)
			continue;
		kb->names[kb->nnames++] = (struct btf_name){ name, id, kind };
	}
	qsort(kb->names, kb->nnames, sizeof(*kb->names), btf_name_cmp);
	return NULL;
}

void kd_btf_destroy(struct kd_btf *kb)
{
	if (!kb)
		return;
	btf__free(kb->btf);
	free(kb->names);
	free(kb);
}

struct kd_error *kd_btf_parse(const void *data, size_t len, struct kd_btf **ret)
{
	if (len > BTF_MAX_BYTES)
		return kd_error_create(KD_ERROR_CORRUPT, "%zu bytes of BTF, more than the %u MiB allowed",
				       len, BTF_MAX_BYTES >> 20);
	struct kd_error *err = btf_check_blob(data, len);
	if (err)
		return err;
	struct kd_btf *kb = calloc(1, sizeof(*kb));
	if (!kb)
		return &kd_enomem;
	kb->bytes = len;
	errno = 0;
	kb->btf = btf__new(data, (uint32_t)len);
	if (!kb->btf) {
		int e = errno;
		free(kb);
		if (e == ENOMEM)
			return &kd_enomem;
		return kd_error_create(KD_ERROR_CORRUPT, "libbpf refuses it: %s", strerror(e ? e : EINVAL));
	}
	err = btf_index(kb);
	if (err) {
		kd_btf_destroy(kb);
		return err;
	}
	*ret = kb;
	return NULL;
}

// Read __start_BTF..__stop_BTF from the dump and parse it.
static struct kd_error *btf_load(struct kd_kernel *k, struct kd_btf **ret)
{
	uint64_t start, stop;
	struct kd_error *err = kd_kernel_load_symbols(k);
	if (err)
		return err;
	if (!k->symtab.nsyms)
		return kd_error_create(KD_ERROR_NOTFOUND,
			"the dump has no BTF (no symbol table to find __start_BTF: this kernel's VMCOREINFO has no kallsyms; give --system-map)");
	err = kd_kernel_symbol(k, "__start_BTF", &start);
	if (!err)
		err = kd_kernel_symbol(k, "__stop_BTF", &stop);
	if (err) {
		kd_error_destroy(err);
		return kd_error_create(KD_ERROR_NOTFOUND,
			"the dump has no BTF (no __start_BTF/__stop_BTF symbols: kernel built without CONFIG_DEBUG_INFO_BTF)");
	}
	if (stop <= start || stop - start > BTF_MAX_BYTES)
		return kd_error_create(KD_ERROR_CORRUPT,
			"the dump has no BTF (__start_BTF %#" PRIx64 " to __stop_BTF %#" PRIx64 " is not a plausible range)",
			start, stop);
	size_t len = (size_t)(stop - start);
	uint8_t *buf = malloc(len);
	if (!buf)
		return &kd_enomem;
	err = kd_kernel_read_virt(k, start, buf, len);
	if (err) {
		free(buf);
		return kd_error_prefix(err, "the dump has no BTF (its pages at __start_BTF %#" PRIx64 " cannot be read)", start);
	}
	err = kd_btf_parse(buf, len, ret);
	free(buf);
	if (err)
		return kd_error_prefix(err, "the dump's BTF at %#" PRIx64 " is unusable", start);
	return NULL;
}

struct kd_error *kd_btf_get(struct kd_kernel *k, struct kd_btf **ret)
{
	if (!k->btf_tried) {
		k->btf_tried = true;
		struct kd_error *err = btf_load(k, &k->btf);
		if (err) {
			err = kd_error_prefix(err, "%s", k->dump->path);
			if (err == &kd_enomem) {
				k->btf_tried = false;
				return err;
			}
			k->btf_error_code = kd_error_code(err);
			k->btf_error = strdup(kd_error_message(err));
			if (!k->btf_error)
				k->btf_tried = false;
			return err;
		}
	}
	if (!k->btf)
		return kd_error_create(k->btf_error_code, "%s", k->btf_error);
	*ret = k->btf;
	return NULL;
}

KD_EXPORT struct kd_error *kd_btf_load(struct kd_kernel *k)
{
	struct kd_btf *kb;
	return kd_btf_get(k, &kb);
}

KD_EXPORT size_t kd_btf_num_types(struct kd_kernel *k)
{
	struct kd_btf *kb;
	struct kd_error *err = kd_btf_get(k, &kb);
	if (err) {
		kd_error_destroy(err);
		return 0;
	}
	return btf__type_cnt(kb->btf) - 1;
}

// The first indexed type named @p name whose kind is accepted by @p want
// (a bit per kind); 0 if none.
static uint32_t btf_find(const struct kd_btf *kb, const char *name, uint32_t want)
{
	size_t lo = 0, hi = kb->nnames;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(kb->names[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	// A forward-declared or empty duplicate may come first: prefer the
	// first one with members, then any.
	uint32_t any = 0;
	for (size_t i = lo; i < kb->nnames && !strcmp(kb->names[i].name, name); i++) {
		if (!(want & 1u << kb->names[i].kind))
			continue;
		const struct btf_type *t = btf__type_by_id(kb->btf, kb->names[i].id);
		if (t && (!btf_is_composite(t) || btf_vlen(t)))
			return kb->names[i].id;
		if (!any)
			any = kb->names[i].id;
	}
	return any;
}

// Skip typedefs and modifiers (const, volatile, restrict, type tags).
static const struct btf_type *btf_strip(const struct btf *btf, uint32_t *id)
{
	for (int depth = 0; depth < BTF_MAX_DEPTH; depth++) {
		const struct btf_type *t = btf__type_by_id(btf, *id);
		if (!t)
			return NULL;
		if (!btf_is_mod(t) && !btf_is_typedef(t))
			return t;
		*id = t->type;
	}
	return NULL;
}

// The struct, union or typedef @p type ("task_struct", "struct rq").
static struct kd_error *btf_type_named(const struct kd_btf *kb, const char *type, uint32_t *ret)
{
	uint32_t id = 0;
	if (!strncmp(type, "struct ", 7))
		id = btf_find(kb, type + 7, 1u << BTF_KIND_STRUCT);
	else if (!strncmp(type, "union ", 6))
		id = btf_find(kb, type + 6, 1u << BTF_KIND_UNION);
	else if (!strncmp(type, "enum ", 5))
		id = btf_find(kb, type + 5, 1u << BTF_KIND_ENUM | 1u << BTF_KIND_ENUM64);
	else
		id = btf_find(kb, type, 1u << BTF_KIND_STRUCT | 1u << BTF_KIND_UNION);
	if (!id)
		id = btf_find(kb, type, 1u << BTF_KIND_TYPEDEF);
	if (!id)
		return kd_error_create(KD_ERROR_NOTFOUND, "BTF has no type %s", type);
	*ret = id;
	return NULL;
}

// Find member @p name of composite @p t, looking into anonymous struct and
// union members. Adds its bit offset to *bits and sets *mid to the member's
// type and *bitfield when it is one. Returns 1 when found, 0 when not, -1
// when *budget members were visited without finding it: anonymous members
// that contain their own type, several times over, would otherwise take
// exponential time.
static int btf_member_find(const struct btf *btf, const struct btf_type *t,
			   const char *name, int depth, unsigned *budget,
			   uint64_t *bits, uint32_t *mid, bool *bitfield)
{
	if (depth > BTF_MAX_DEPTH)
		return 0;
	const struct btf_member *m = btf_members(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++, m++) {
		if (!*budget)
			return -1;
		--*budget;
		const char *mname = btf__name_by_offset(btf, m->name_off);
		uint64_t off = btf_member_bit_offset(t, i);
		if (mname && *mname) {
			if (strcmp(mname, name))
				continue;
			*bits += off;
			*mid = m->type;
			*bitfield = btf_member_bitfield_size(t, i) != 0;
			return 1;
		}
		uint32_t aid = m->type;
		const struct btf_type *at = btf_strip(btf, &aid);
		if (!at || !btf_is_composite(at))
			continue;
		uint64_t inner = 0;
		int r = btf_member_find(btf, at, name, depth + 1, budget, &inner, mid, bitfield);
		if (r > 0)
			*bits += off + inner;
		if (r)
			return r;
	}
	return 0;
}

// Resolve @p path ("thread.sp", "mem[1].base") in type @p id.
static struct kd_error *btf_resolve(const struct kd_btf *kb, const char *type,
				    uint32_t id, const char *path,
				    struct kd_btf_field *ret)
{
	const struct btf *btf = kb->btf;
	uint64_t bits = 0;
	uint32_t count = 0;
	bool bitfield = false;
	const char *p = path;
	if (strlen(path) >= BTF_MAX_PATH)
		return kd_error_create(KD_ERROR_INVALID, "member path of %zu bytes", strlen(path));
	while (*p) {
		char name[BTF_MAX_PATH];
		size_t n = strcspn(p, ".[]");
		memcpy(name, p, n);
		name[n] = 0;
		p += n;
		uint32_t sid = id;
		const struct btf_type *t = btf_strip(btf, &sid);
		if (!n || !t || !btf_is_composite(t))
			return kd_error_create(KD_ERROR_NOTFOUND, "%s.%s: %.*s is not in a struct or union",
					       type, path, (int)(p - path), path);
		if (bitfield)
			return kd_error_create(KD_ERROR_UNSUPPORTED, "%s.%s: is inside a bitfield", type, path);
		unsigned budget = BTF_MAX_VISITS;
		int r = btf_member_find(btf, t, name, 0, &budget, &bits, &id, &bitfield);
		if (r < 0)
			return kd_error_create(KD_ERROR_CORRUPT,
				"BTF member %s.%.*s not found in %u members (anonymous members nest in a loop)",
				type, (int)(p - path), path, BTF_MAX_VISITS);
		if (!r)
			return kd_error_create(KD_ERROR_NOTFOUND, "BTF has no member %s.%.*s",
					       type, (int)(p - path), path);
		count = 0;
		// Indexes: "mem[1]", also "a[1][2]".
		while (*p == '[') {
			char *end;
			errno = 0;
			unsigned long long idx = strtoull(p + 1, &end, 0);
			if (end == p + 1 || *end != ']' || errno)
				return kd_error_create(KD_ERROR_INVALID, "%s.%s: bad index", type, path);
			p = end + 1;
			uint32_t aid = id;
			const struct btf_type *at = btf_strip(btf, &aid);
			if (!at || !btf_is_array(at))
				return kd_error_create(KD_ERROR_INVALID, "%s.%s: indexes a member that is not an array", type, path);
			const struct btf_array *a = btf_array(at);
			if (idx >= a->nelems)
				return kd_error_create(KD_ERROR_INVALID, "%s.%s: index %llu past the array's %u elements",
						       type, path, idx, a->nelems);
			int64_t esz = btf__resolve_size(btf, a->type);
			if (esz < 0)
				return kd_error_create(KD_ERROR_CORRUPT, "%s.%s: element size unknown", type, path);
			bits += (uint64_t)esz * idx * 8;
			id = a->type;
		}
		if (*p == '.')
			p++;
		else if (*p)
			return kd_error_create(KD_ERROR_INVALID, "%s.%s: bad member path", type, path);
	}
	if (bitfield)
		return kd_error_create(KD_ERROR_UNSUPPORTED,
			"%s.%s is a bitfield (read its word and mask it)", type, path);
	// Before kind_flag bitfields (pahole without it), an int member's
	// own encoding carries the bit offset and width.
	uint32_t sid = id;
	const struct btf_type *t = btf_strip(btf, &sid);
	if (!t)
		return kd_error_create(KD_ERROR_CORRUPT, "%s.%s: type %u is broken", type, path, id);
	if (btf_is_int(t) && (btf_int_offset(t) || btf_int_bits(t) != t->size * 8))
		return kd_error_create(KD_ERROR_UNSUPPORTED,
			"%s.%s is a bitfield (read its word and mask it)", type, path);
	if (bits % 8)
		return kd_error_create(KD_ERROR_UNSUPPORTED, "%s.%s is not byte-aligned", type, path);
	int64_t size = btf__resolve_size(btf, id);
	if (size < 0)
		return kd_error_create(KD_ERROR_CORRUPT, "%s.%s: size unknown", type, path);
	if (btf_is_array(t)) {
		count = btf_array(t)->nelems;
	}
	*ret = (struct kd_btf_field){
		.offset = bits / 8,
		.size = (uint64_t)size,
		.type_id = id,
		.count = count,
		.kind = btf_is_ptr(t) ? KD_BTF_POINTER :
			btf_is_int(t) || btf_is_any_enum(t) ? KD_BTF_INTEGER :
			btf_is_array(t) ? KD_BTF_ARRAY :
			btf_is_composite(t) ? KD_BTF_COMPOSITE : KD_BTF_OTHER,
		.is_signed = btf_is_int(t) ? (btf_int_encoding(t) & BTF_INT_SIGNED) != 0 :
			     btf_is_any_enum(t) && btf_kflag(t),
	};
	return NULL;
}

struct kd_error *kd_btf_lookup_field(const struct kd_btf *kb, const char *type,
				     const char *path, struct kd_btf_field *ret)
{
	uint32_t id;
	struct kd_error *err = btf_type_named(kb, type, &id);
	return err ? err : btf_resolve(kb, type, id, path, ret);
}

KD_EXPORT struct kd_error *kd_btf_field(struct kd_kernel *k, const char *type,
					const char *path,
					struct kd_btf_field *ret)
{
	struct kd_btf *kb;
	struct kd_error *err = kd_btf_get(k, &kb);
	if (err)
		return err;
	err = kd_btf_lookup_field(kb, type, path, ret);
	return err ? kd_error_prefix(err, "%s", k->dump->path) : NULL;
}

KD_EXPORT struct kd_error *kd_btf_member(struct kd_kernel *k, const char *type,
					 const char *path, uint64_t *ret)
{
	struct kd_btf_field f;
	struct kd_error *err = kd_btf_field(k, type, path, &f);
	if (err)
		return err;
	*ret = f.offset;
	return NULL;
}

struct kd_error *kd_btf_lookup_size(const struct kd_btf *kb, const char *type,
				    uint64_t *ret)
{
	uint32_t id;
	struct kd_error *err = btf_type_named(kb, type, &id);
	if (err)
		return err;
	int64_t size = btf__resolve_size(kb->btf, id);
	if (size < 0)
		return kd_error_create(KD_ERROR_CORRUPT, "BTF size of %s unknown", type);
	*ret = (uint64_t)size;
	return NULL;
}

KD_EXPORT struct kd_error *kd_btf_type_size(struct kd_kernel *k, const char *type,
					    uint64_t *ret)
{
	struct kd_btf *kb;
	struct kd_error *err = kd_btf_get(k, &kb);
	if (err)
		return err;
	err = kd_btf_lookup_size(kb, type, ret);
	return err ? kd_error_prefix(err, "%s", k->dump->path) : NULL;
}

// Enumerator @p name of enum type @p t, if there.
static bool btf_enum_lookup(const struct btf *btf, const struct btf_type *t,
			    const char *name, int64_t *ret)
{
	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);
		for (uint16_t i = 0; i < btf_vlen(t); i++, e++) {
			const char *n = btf__name_by_offset(btf, e->name_off);
			if (n && !strcmp(n, name)) {
				// Signed when the enum says so (kind_flag, pahole
				// 1.24+); the kernel's counters never go negative.
				*ret = btf_kflag(t) ? (int64_t)e->val : (int64_t)(uint32_t)e->val;
				return true;
			}
		}
	} else if (btf_is_enum64(t)) {
		const struct btf_enum64 *e = btf_enum64(t);
		for (uint16_t i = 0; i < btf_vlen(t); i++, e++) {
			const char *n = btf__name_by_offset(btf, e->name_off);
			if (n && !strcmp(n, name)) {
				*ret = (int64_t)btf_enum64_value(e);
				return true;
			}
		}
	}
	return false;
}

struct kd_error *kd_btf_lookup_enum(const struct kd_btf *kb, const char *enum_name,
				    const char *name, int64_t *ret)
{
	if (enum_name) {
		if (!strncmp(enum_name, "enum ", 5))
			enum_name += 5;
		uint32_t id = btf_find(kb, enum_name, 1u << BTF_KIND_ENUM | 1u << BTF_KIND_ENUM64);
		const struct btf_type *t = id ? btf__type_by_id(kb->btf, id) : NULL;
		if (!t)
			return kd_error_create(KD_ERROR_NOTFOUND, "BTF has no enum %s", enum_name);
		if (btf_enum_lookup(kb->btf, t, name, ret))
			return NULL;
		return kd_error_create(KD_ERROR_NOTFOUND, "BTF enum %s has no %s", enum_name, name);
	}
	// Any enum, named or not (many kernel constants are in anonymous ones).
	uint32_t n = btf__type_cnt(kb->btf);
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(kb->btf, id);
		if (t && btf_enum_lookup(kb->btf, t, name, ret))
			return NULL;
	}
	return kd_error_create(KD_ERROR_NOTFOUND, "BTF has no enumerator %s", name);
}

KD_EXPORT struct kd_error *kd_btf_enum_value(struct kd_kernel *k,
					     const char *enum_name,
					     const char *name, int64_t *ret)
{
	struct kd_btf *kb;
	struct kd_error *err = kd_btf_get(k, &kb);
	if (err)
		return err;
	err = kd_btf_lookup_enum(kb, enum_name, name, ret);
	return err ? kd_error_prefix(err, "%s", k->dump->path) : NULL;
}

KD_EXPORT struct kd_error *kd_btf_var_type(struct kd_kernel *k, const char *var,
					   char *type_buf, size_t type_len,
					   uint64_t *size_ret)
{
	struct kd_btf *kb;
	struct kd_error *err = kd_btf_get(k, &kb);
	if (err)
		return err;
	uint32_t id = btf_find(kb, var, 1u << BTF_KIND_VAR);
	const struct btf_type *t = id ? btf__type_by_id(kb->btf, id) : NULL;
	if (!t)
		return kd_error_create(KD_ERROR_NOTFOUND,
			"%s: BTF has no variable %s (vmlinux BTF describes per-CPU variables only)",
			k->dump->path, var);
	uint32_t tid = t->type;
	const struct btf_type *tt = btf_strip(kb->btf, &tid);
	int64_t size = btf__resolve_size(kb->btf, t->type);
	if (!tt || size < 0)
		return kd_error_create(KD_ERROR_CORRUPT, "%s: BTF variable %s has a broken type",
				       k->dump->path, var);
	if (type_buf && type_len) {
		const char *n = btf__name_by_offset(kb->btf, tt->name_off);
		const char *kw = btf_is_struct(tt) ? "struct " : btf_is_union(tt) ? "union " :
				 btf_is_any_enum(tt) ? "enum " : "";
		snprintf(type_buf, type_len, "%s%s", kw, n && *n ? n : "(anonymous)");
	}
	if (size_ret)
		*size_ret = (uint64_t)size;
	return NULL;
}

KD_EXPORT struct kd_error *kd_btf_read(struct kd_kernel *k, uint64_t addr,
				       const char *type, const char *path,
				       uint64_t *ret)
{
	struct kd_btf_field f;
	struct kd_error *err = kd_btf_field(k, type, path, &f);
	if (err)
		return err;
	return kd_btf_read_field(k, addr, &f, ret);
}

KD_EXPORT struct kd_error *kd_btf_read_field(struct kd_kernel *k, uint64_t addr,
					     const struct kd_btf_field *f,
					     uint64_t *ret)
{
	if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8)
		return kd_error_create(KD_ERROR_INVALID,
			"a %" PRIu64 "-byte member is not an integer or pointer", f->size);
	uint8_t b[8];
	struct kd_error *err = kd_kernel_read_virt(k, addr + f->offset, b, f->size);
	if (err)
		return err;
	uint64_t v = f->size == 1 ? b[0] : f->size == 2 ? kd_dump_u16(k->dump, b) :
		     f->size == 4 ? kd_dump_u32(k->dump, b) : kd_dump_u64(k->dump, b);
	if (f->is_signed && f->size < 8 && v >> (f->size * 8 - 1))
		v |= ~0ull << (f->size * 8);
	*ret = v;
	return NULL;
}
