// SPDX-License-Identifier: LGPL-2.1-or-later
// The kernel's own symbol table, decoded from dump memory. Since Linux 6.0
// VMCOREINFO gives the addresses of the kallsyms tables (kernel/crash_core.c,
// later kernel/vmcore_info.c: VMCOREINFO_SYMBOL(kallsyms_names) and friends),
// so a dump names all its symbols without vmlinux or System.map.
//
// The tables, as scripts/kallsyms.c writes them and kernel/kallsyms.c reads
// them:
//  - kallsyms_num_syms: unsigned int, the number of symbols;
//  - kallsyms_names: per symbol [len][len token bytes]; since 6.1 a len with
//    bit 7 set is followed by a second byte, len = (b0 & 0x7f) | b1 << 7
//    ("big symbols", kallsyms_expand_symbol());
//  - kallsyms_token_table: 256 NUL-terminated token strings, and
//    kallsyms_token_index: 256 u16 offsets of them. Expanding a symbol's
//    token bytes gives its type character followed by its name;
//  - kallsyms_offsets (s32) and kallsyms_relative_base (unsigned long) with
//    CONFIG_KALLSYMS_BASE_RELATIVE, else kallsyms_addresses (unsigned long).
//    kallsyms_sym_address() reads the offsets in one of two ways, see
//    kallsyms_decide_offsets() below.
// This decodes the 64-bit layout (unsigned long = 8 bytes); x86_64 is the
// only architecture so far.
#include "kernel/kernel.h"

#include <inttypes.h>

enum {
	// ~94k symbols in Debian 6.1, ~100k+ in 6.12; allmodconfig-like
	// kernels stay well below this. Bounds the allocations a corrupt
	// count can cause.
	KALLSYMS_MAX_SYMS = 4 * 1024 * 1024,
	// KSYM_NAME_LEN (include/linux/kallsyms.h) is 512 since 6.1, and
	// scripts/kallsyms.c refuses names of KSYM_NAME_LEN bytes or more:
	// the type letter and at most 511 bytes of name. A longer expansion
	// is a corrupt table.
	KALLSYMS_MAX_NAME = 512,
	// All names together (type letters included): ~3 MiB in Debian 6.1,
	// a few tens of MiB for the largest kernels. Tables that repeat one
	// page through aliased page tables would otherwise decode millions
	// of maximal names.
	KALLSYMS_MAX_NAME_BYTES = 64 * 1024 * 1024,
	// The token table holds 256 short strings (~1 KiB in practice).
	TOKEN_TABLE_MAX = 64 * 1024,
	// Read kallsyms_names in chunks of this size.
	NAMES_CHUNK = 1024 * 1024,
	// Never read more than this of kallsyms_names (~1 MiB in 6.1).
	NAMES_MAX = 64 * 1024 * 1024,
};

struct kallsyms_tables {
	uint64_t names, num_syms, token_table, token_index;
	uint64_t offsets, relative_base, addresses;	/* 0 = absent */
};

static struct kd_error *kallsyms_find_tables(const struct kd_kernel *k, struct kallsyms_tables *t)
{
	struct kd_error *err;
	// The tables every layout has, then those of one layout or the other
	// (0 = absent).
	const struct kd_vmcoreinfo *vi = k->vi;
	const char *why = "the symbol table";
	if ((err = kd_vmcoreinfo_need(vi, KD_VI_SYMBOL, "kallsyms_names", why, &t->names)) ||
	    (err = kd_vmcoreinfo_need(vi, KD_VI_SYMBOL, "kallsyms_num_syms", why, &t->num_syms)) ||
	    (err = kd_vmcoreinfo_need(vi, KD_VI_SYMBOL, "kallsyms_token_table", why, &t->token_table)) ||
	    (err = kd_vmcoreinfo_need(vi, KD_VI_SYMBOL, "kallsyms_token_index", why, &t->token_index)) ||
	    (err = kd_vmcoreinfo_opt(vi, KD_VI_SYMBOL, "kallsyms_offsets", 0, &t->offsets, NULL)) ||
	    (err = kd_vmcoreinfo_opt(vi, KD_VI_SYMBOL, "kallsyms_relative_base", 0, &t->relative_base, NULL)) ||
	    (err = kd_vmcoreinfo_opt(vi, KD_VI_SYMBOL, "kallsyms_addresses", 0, &t->addresses, NULL)))
		return err;
	if (!t->addresses && !(t->offsets && t->relative_base))
		return kd_error_create(KD_ERROR_NOTFOUND,
			"VMCOREINFO has neither SYMBOL(kallsyms_offsets) with SYMBOL(kallsyms_relative_base) nor SYMBOL(kallsyms_addresses)");
	return NULL;
}

// Where kallsyms_names must end: at the nearest other table above it (in
// every layout scripts/kallsyms.c has written, the markers and then the token
// table follow the names), and never more than NAMES_MAX past its start.
static uint64_t kallsyms_names_limit(const struct kallsyms_tables *t)
{
	uint64_t limit = t->names + NAMES_MAX;
	if (limit < t->names)
		limit = UINT64_MAX;
	const uint64_t others[] = {
		t->num_syms, t->token_table, t->token_index, t->offsets,
		t->relative_base, t->addresses,
	};
	for (size_t i = 0; i < KD_ARRAY_SIZE(others); i++)
		if (others[i] > t->names && others[i] < limit)
			limit = others[i];
	return limit;
}

struct kallsyms_tokens {
	uint8_t *buf;
	const char *str[256];
	uint8_t len[256];
};

static struct kd_error *kallsyms_load_tokens(struct kd_kernel *k, const struct kallsyms_tables *t,
					     struct kallsyms_tokens *tok)
{
	uint8_t raw[512];
	struct kd_error *err = kd_kernel_read_virt(k, t->token_index, raw, sizeof(raw));
	if (err)
		return kd_error_prefix(err, "kallsyms_token_index");
	uint16_t index[256];
	uint32_t max_index = 0;
	for (int i = 0; i < 256; i++) {
		index[i] = kd_dump_u16(k->dump, raw + 2 * i);
		if (index[i] > max_index)
			max_index = index[i];
	}
	// scripts/kallsyms.c writes the token table right before the token
	// index, so the gap between them is its size; otherwise read what the
	// largest index needs plus the longest token we accept.
	size_t size;
	if (t->token_index > t->token_table &&
	    t->token_index - t->token_table <= TOKEN_TABLE_MAX)
		size = (size_t)(t->token_index - t->token_table);
	else
		size = (size_t)max_index + KALLSYMS_MAX_NAME + 1;
	tok->buf = malloc(size);
	if (!tok->buf)
		return &kd_enomem;
	err = kd_kernel_read_virt(k, t->token_table, tok->buf, size);
	if (err)
		return kd_error_prefix(err, "kallsyms_token_table");
	for (int i = 0; i < 256; i++) {
		if (index[i] >= size)
			return kd_error_create(KD_ERROR_CORRUPT,
				"kallsyms_token_index[%d] = %u lies outside kallsyms_token_table (%zu bytes at %#" PRIx64 ")",
				i, index[i], size, t->token_table);
		const uint8_t *s = tok->buf + index[i];
		const uint8_t *nul = memchr(s, '\0', size - index[i]);
		// Tokens are short (pairs merged repeatedly); one longer than a
		// whole symbol name cannot be right.
		if (!nul || nul - s > KALLSYMS_MAX_NAME || nul - s > 255)
			return kd_error_create(KD_ERROR_CORRUPT,
				"kallsyms token %d at offset %u of kallsyms_token_table (%#" PRIx64 ") is not a string of at most 255 bytes",
				i, index[i], t->token_table);
		tok->str[i] = (const char *)s;
		tok->len[i] = (uint8_t)(nul - s);
	}
	return NULL;
}

// A window onto kallsyms_names, refilled in large chunks.
struct kallsyms_names_reader {
	struct kd_kernel *k;
	uint64_t next;		/* address of the next byte to read */
	uint64_t limit;		/* no table byte lies at or above this */
	uint8_t *buf;
	size_t pos, len;
};

// Make at least n bytes available at r->buf + r->pos.
static struct kd_error *kallsyms_names_need(struct kallsyms_names_reader *r, size_t n,
					    uint32_t sym, uint32_t nsyms)
{
	if (r->len - r->pos >= n)
		return NULL;
	size_t keep = r->len - r->pos;
	memmove(r->buf, r->buf + r->pos, keep);
	r->pos = 0;
	r->len = keep;
	uint64_t room = r->limit - r->next;
	size_t chunk = NAMES_CHUNK - keep;
	if (room < chunk)
		chunk = (size_t)room;
	if (keep + chunk < n)
		return kd_error_create(KD_ERROR_CORRUPT,
			"kallsyms_names runs into the next kallsyms table at %#" PRIx64 " at symbol %" PRIu32 " of %" PRIu32,
			r->limit, sym, nsyms);
	struct kd_error *err = kd_kernel_read_virt(r->k, r->next, r->buf + keep, chunk);
	if (err)
		return kd_error_prefix(err, "kallsyms_names");
	r->next += chunk;
	r->len += chunk;
	return NULL;
}

static bool kallsyms_is_type(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Expand every symbol into tab, with address 0 for now.
static struct kd_error *kallsyms_decode_names(struct kd_kernel *k, const struct kallsyms_tables *t,
					      const struct kallsyms_tokens *tok, uint32_t nsyms,
					      struct kd_symtab *tab)
{
	struct kallsyms_names_reader r = {
		.k = k, .next = t->names, .limit = kallsyms_names_limit(t),
	};
	r.buf = malloc(NAMES_CHUNK);
	if (!r.buf)
		return &kd_enomem;
	struct kd_error *err = NULL;
	char name[KALLSYMS_MAX_NAME + 256];
	uint64_t total = 0;
	for (uint32_t i = 0; i < nsyms; i++) {
		if ((err = kallsyms_names_need(&r, 2, i, nsyms)))
			break;
		// kernel/kallsyms.c kallsyms_expand_symbol(): a 7-bit
		// little-endian variable-length length (since 6.1).
		size_t len = r.buf[r.pos++];
		if (len & 0x80)
			len = (len & 0x7f) | (size_t)r.buf[r.pos++] << 7;
		if (!len) {
			err = kd_error_create(KD_ERROR_CORRUPT,
				"kallsyms_names: symbol %" PRIu32 " of %" PRIu32 " has length 0",
				i, nsyms);
			break;
		}
		if ((err = kallsyms_names_need(&r, len, i, nsyms)))
			break;
		size_t n = 0;
		for (size_t j = 0; j < len; j++) {
			uint8_t c = r.buf[r.pos + j];
			if (n + tok->len[c] > KALLSYMS_MAX_NAME) {
				err = kd_error_create(KD_ERROR_CORRUPT,
					"kallsyms_names: symbol %" PRIu32 " expands past %d bytes",
					i, KALLSYMS_MAX_NAME);
				goto out;
			}
			memcpy(name + n, tok->str[c], tok->len[c]);
			n += tok->len[c];
		}
		r.pos += len;
		total += n;
		if (total > KALLSYMS_MAX_NAME_BYTES) {
			err = kd_error_create(KD_ERROR_CORRUPT,
				"kallsyms_names: symbols 0 to %" PRIu32 " of kallsyms_num_syms %" PRIu32 " expand to more than %d bytes",
				i, nsyms, KALLSYMS_MAX_NAME_BYTES);
			break;
		}
		if (n < 2 || !kallsyms_is_type(name[0])) {
			err = kd_error_create(KD_ERROR_CORRUPT,
				"kallsyms_names: symbol %" PRIu32 " is not a type letter and a name (\"%.*s\")",
				i, (int)n, name);
			break;
		}
		err = kd_symtab_add(tab, 0, name[0], name + 1, n - 1);
		if (err) {
			err = kd_error_prefix(err, "kallsyms_names: symbol %" PRIu32, i);
			break;
		}
	}
out:
	free(r.buf);
	return err;
}

/*
 * kernel/kallsyms.c kallsyms_sym_address() (6.1 to 6.14) reads the s32
 * kallsyms_offsets one of two ways:
 *  - CONFIG_KALLSYMS_ABSOLUTE_PERCPU (x86_64 SMP): an offset >= 0 is the
 *    absolute value (per-cpu offsets), a negative one is
 *    relative_base - 1 - offset;
 *  - otherwise: relative_base + (u32)offset.
 * VMCOREINFO does not say which configuration the kernel has.
 */
enum interp { INTERP_ABS_PERCPU, INTERP_RELATIVE, NINTERP };

static uint64_t kallsyms_offset_addr(enum interp how, uint64_t base, int32_t off)
{
	if (how == INTERP_RELATIVE)
		return base + (uint32_t)off;
	return off >= 0 ? (uint64_t)off : base - 1 - (uint64_t)(int64_t)off;
}

static int32_t kallsyms_offset_at(const struct kd_kernel *k, const uint8_t *offsets,
				  size_t i)
{
	return (int32_t)kd_dump_u32(k->dump, offsets + 4 * i);
}

/*
 * Decide between the interpretations by consistency with VMCOREINFO, whose
 * SYMBOL(x) lines give the true addresses of several of the same symbols
 * (_stext, init_uts_ns, init_top_pgt, prb, node_data, ...): count, for each
 * interpretation, the SYMBOL() entries whose decoded address matches. Two
 * entries are not addresses of the named symbol and are left out:
 * mem_section and vmemmap are VMCOREINFO_SYMBOL_ARRAY() of pointers, i.e.
 * their values. Symbols kallsyms lacks (swapper_pg_dir is a #define alias of
 * init_top_pgt; the kallsyms_* tables themselves) are simply not counted.
 * The interpretation with strictly more matches wins; a kernel table agrees
 * with every entry under one and with none under the other.
 */
struct kallsyms_check {
	const char *key;	/* "SYMBOL(name)" */
	char name[64];
	uint64_t want;
	bool seen, hit[NINTERP];
	uint64_t got[NINTERP];
};

static struct kd_error *kallsyms_decide_offsets(struct kd_kernel *k,
						const struct kd_symtab *tab,
						const uint8_t *offsets, uint64_t base,
						enum interp *ret)
{
	// VMCOREINFO has a dozen SYMBOL() lines; 32 is plenty, more are
	// ignored.
	struct kallsyms_check checks[32];
	size_t nchecks = 0;
	const char *key, *value;
	for (size_t e = 0; kd_vmcoreinfo_entry(k->vi, e, &key, &value) &&
			   nchecks < KD_ARRAY_SIZE(checks); e++) {
		size_t klen = strlen(key);
		if (klen < 9 || strncmp(key, "SYMBOL(", 7) || key[klen - 1] != ')')
			continue;
		struct kallsyms_check *c = &checks[nchecks];
		size_t nlen = klen - 8;
		if (nlen >= sizeof(c->name))
			continue;
		memcpy(c->name, key + 7, nlen);
		c->name[nlen] = '\0';
		if (!strcmp(c->name, "mem_section") || !strcmp(c->name, "vmemmap"))
			continue;
		struct kd_error *err = kd_vmcoreinfo_symbol(k->vi, c->name, &c->want);
		if (err) {
			kd_error_destroy(err);
			continue;
		}
		c->key = key;
		c->seen = false;
		for (int h = 0; h < NINTERP; h++)
			c->hit[h] = false;
		nchecks++;
	}
	// One pass over the names (they are scattered in memory; a pass per
	// entry would cost a dozen times the cache misses).
	for (size_t i = 0; i < tab->nsyms; i++) {
		const char *name = tab->syms[i].name;
		for (size_t j = 0; j < nchecks; j++) {
			struct kallsyms_check *c = &checks[j];
			if (c->name[0] != name[0] || strcmp(c->name, name))
				continue;
			// A name may repeat (statics): any copy may match.
			for (int h = 0; h < NINTERP; h++) {
				c->got[h] = kallsyms_offset_addr((enum interp)h, base,
							kallsyms_offset_at(k, offsets, i));
				if (c->got[h] == c->want)
					c->hit[h] = true;
			}
			c->seen = true;
		}
	}
	size_t match[NINTERP] = {0}, checked = 0;
	const struct kallsyms_check *example = NULL;
	for (size_t j = 0; j < nchecks; j++) {
		const struct kallsyms_check *c = &checks[j];
		if (!c->seen)
			continue;
		checked++;
		for (int h = 0; h < NINTERP; h++)
			match[h] += c->hit[h];
		if (!example || !strcmp(c->name, "_stext"))
			example = c;
	}
	if (match[INTERP_ABS_PERCPU] > match[INTERP_RELATIVE]) {
		*ret = INTERP_ABS_PERCPU;
		return NULL;
	}
	if (match[INTERP_RELATIVE] > match[INTERP_ABS_PERCPU]) {
		*ret = INTERP_RELATIVE;
		return NULL;
	}
	if (!example)
		return kd_error_create(KD_ERROR_CORRUPT,
			"kallsyms_offsets: cannot tell how to read them: none of the symbols VMCOREINFO names (e.g. _stext) is in the decoded table");
	return kd_error_create(KD_ERROR_CORRUPT,
		"kallsyms_offsets: the decoded addresses do not agree with VMCOREINFO either way "
		"(absolute per-cpu: %zu of %zu SYMBOL() entries match, base-relative: %zu of %zu; "
		"%s=%#" PRIx64 " but decoded %#" PRIx64 " or %#" PRIx64 ", kallsyms_relative_base=%#" PRIx64 ")",
		match[INTERP_ABS_PERCPU], checked, match[INTERP_RELATIVE], checked,
		example->key, example->want, example->got[INTERP_ABS_PERCPU],
		example->got[INTERP_RELATIVE], base);
}

static struct kd_error *kallsyms_read_array(struct kd_kernel *k, uint64_t addr,
					    size_t size, const char *what, uint8_t **ret)
{
	uint8_t *buf = malloc(size);
	if (!buf)
		return &kd_enomem;
	struct kd_error *err = kd_kernel_read_virt(k, addr, buf, size);
	if (err) {
		free(buf);
		return kd_error_prefix(err, "%s", what);
	}
	*ret = buf;
	return NULL;
}

static struct kd_error *kallsyms_set_addresses(struct kd_kernel *k, const struct kallsyms_tables *t,
					       struct kd_symtab *tab)
{
	struct kd_error *err;
	uint8_t *arr = NULL;
	size_t n = tab->nsyms;
	if (t->offsets && t->relative_base) {
		uint8_t raw[8];
		err = kd_kernel_read_virt(k, t->relative_base, raw, sizeof(raw));
		if (err)
			return kd_error_prefix(err, "kallsyms_relative_base");
		uint64_t base = kd_dump_u64(k->dump, raw);
		err = kallsyms_read_array(k, t->offsets, 4 * n, "kallsyms_offsets", &arr);
		if (err)
			return err;
		enum interp how = INTERP_ABS_PERCPU;
		err = kallsyms_decide_offsets(k, tab, arr, base, &how);
		if (!err)
			for (size_t i = 0; i < n; i++)
				tab->syms[i].addr = kallsyms_offset_addr(how, base,
								kallsyms_offset_at(k, arr, i));
	} else {
		err = kallsyms_read_array(k, t->addresses, 8 * n, "kallsyms_addresses", &arr);
		if (err)
			return err;
		for (size_t i = 0; i < n; i++)
			tab->syms[i].addr = kd_dump_u64(k->dump, arr + 8 * i);
		// The same consistency check as for offsets: a table that
		// disagrees with VMCOREINFO about _stext is not this kernel's.
		uint64_t want;
		struct kd_error *e = kd_vmcoreinfo_symbol(k->vi, "_stext", &want);
		if (!e) {
			for (size_t i = 0; i < n && !err; i++)
				if (!strcmp(tab->syms[i].name, "_stext") &&
				    tab->syms[i].addr != want)
					err = kd_error_create(KD_ERROR_CORRUPT,
						"kallsyms_addresses: _stext is %#" PRIx64 " but VMCOREINFO says %#" PRIx64,
						tab->syms[i].addr, want);
		}
		kd_error_destroy(e);
	}
	free(arr);
	return err;
}

struct kd_error *kd_kallsyms_load(struct kd_kernel *k, struct kd_symtab *tab)
{
	if (tab->nsyms)
		return kd_error_create(KD_ERROR_INVALID,
				       "kallsyms: the symbol table is not empty");
	struct kallsyms_tables t;
	struct kd_error *err = kallsyms_find_tables(k, &t);
	if (err)
		return err;
	uint32_t nsyms;
	err = kd_kernel_read_u32(k, t.num_syms, &nsyms);
	if (err)
		return kd_error_prefix(err, "kallsyms_num_syms");
	if (nsyms == 0 || nsyms > KALLSYMS_MAX_SYMS)
		return kd_error_create(KD_ERROR_CORRUPT,
			"kallsyms_num_syms at %#" PRIx64 " is %" PRIu32 " (expected 1 to %d)",
			t.num_syms, nsyms, KALLSYMS_MAX_SYMS);
	struct kallsyms_tokens tok = {0};
	err = kallsyms_load_tokens(k, &t, &tok);
	if (!err)
		err = kallsyms_decode_names(k, &t, &tok, nsyms, tab);
	free(tok.buf);
	if (!err)
		err = kallsyms_set_addresses(k, &t, tab);
	if (!err)
		err = kd_symtab_finish(tab);
	if (err)
		kd_symtab_deinit(tab);
	return err;
}
