// SPDX-License-Identifier: LGPL-2.1-or-later
// Symbol tables: a System.map or the kernel's own kallsyms, kept sorted by
// address (for symbolizing and System.map export) with a name index (for
// look-ups by name).
#include "kernel/kernel.h"

#include <inttypes.h>
#include <stddef.h>

// A pool block; names are appended until one does not fit.
struct kd_symtab_pool {
	struct kd_symtab_pool *next;
	size_t used, size;
	char data[];
};

enum {
	POOL_BLOCK_SIZE = 256 * 1024,
	// Real tables have ~100-200k symbols; this only stops runaway input.
	SYMTAB_MAX_SYMS = 16 * 1024 * 1024,
	// KSYM_NAME_LEN is 512 since Linux 6.1 (include/linux/kallsyms.h);
	// allow some slack for other producers of System.map-like files.
	SYMTAB_MAX_NAME = 4096,
};

void kd_symtab_deinit(struct kd_symtab *tab)
{
	struct kd_symtab_pool *b = tab->pool;
	while (b) {
		struct kd_symtab_pool *next = b->next;
		free(b);
		b = next;
	}
	free(tab->syms);
	free(tab->by_name);
	*tab = (struct kd_symtab){0};
}

static char *symtab_pool_copy(struct kd_symtab *tab, const char *name, size_t len)
{
	struct kd_symtab_pool *b = tab->pool;
	if (!b || b->size - b->used < len + 1) {
		size_t size = len + 1 > POOL_BLOCK_SIZE ? len + 1 : POOL_BLOCK_SIZE;
		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->next = tab->pool;
		b->used = 0;
		b->size = size;
		tab->pool = b;
	}
	char *p = b->data + b->used;
	memcpy(p, name, len);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

struct kd_error *kd_symtab_add(struct kd_symtab *tab, uint64_t addr, char type,
			       const char *name, size_t name_len)
{
	if (tab->by_name)
		return kd_error_create(KD_ERROR_INVALID,
				       "symbol table: adding %.*s after kd_symtab_finish()",
				       (int)(name_len > 64 ? 64 : name_len), name);
	if (!name_len || name_len > SYMTAB_MAX_NAME || memchr(name, '\0', name_len))
		return kd_error_create(KD_ERROR_CORRUPT,
				       "symbol table: bad name (%zu bytes) at %#" PRIx64,
				       name_len, addr);
	if (tab->nsyms == tab->cap) {
		size_t cap = tab->cap ? tab->cap * 2 : 1024;
		if (cap > SYMTAB_MAX_SYMS)
			return kd_error_create(KD_ERROR_UNSUPPORTED,
					       "symbol table: more than %d symbols",
					       SYMTAB_MAX_SYMS);
		struct kd_symbol *syms = realloc(tab->syms, cap * sizeof(*syms));
		if (!syms)
			return &kd_enomem;
		tab->syms = syms;
		tab->cap = cap;
	}
	char *copy = symtab_pool_copy(tab, name, name_len);
	if (!copy)
		return &kd_enomem;
	tab->syms[tab->nsyms++] = (struct kd_symbol){
		.addr = addr, .name = copy, .type = type,
	};
	return NULL;
}

static bool symtab_is_absolute(char type)
{
	return type == 'a' || type == 'A';
}

static bool symtab_is_weak(char type)
{
	return type == 'w' || type == 'W' || type == 'v' || type == 'V';
}

static bool symtab_is_global(char type)
{
	return type >= 'A' && type <= 'Z';
}

static size_t symtab_leading_underscores(const char *s)
{
	size_t n = 0;
	while (s[n] == '_')
		n++;
	return n;
}

// Address order. Several symbols often share an address (_text, _stext and
// startup_64); the first of them is the one containing() reports, so order
// aliases the way the kernel's scripts/kallsyms.c compare_symbols() does for
// /proc/kallsyms: strong before weak, then fewer leading underscores (the
// "real" name before linker-script markers), then by name so the order
// does not depend on the input order.
static int symtab_cmp_addr(const void *a, const void *b)
{
	const struct kd_symbol *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (symtab_is_weak(x->type) != symtab_is_weak(y->type))
		return symtab_is_weak(x->type) ? 1 : -1;
	size_t ux = symtab_leading_underscores(x->name), uy = symtab_leading_underscores(y->name);
	if (ux != uy)
		return ux < uy ? -1 : 1;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return (x->type > y->type) - (x->type < y->type);
}

// Name order. Names repeat (static functions and variables of the same name
// in different files, e.g. many "_acpi_module_name"); within one name the
// first entry is the one kd_symtab_find() returns: a global (uppercase
// type) before locals, and then the lowest address. This is what a look-up
// of a kernel variable by name nearly always means, and it is deterministic.
static int symtab_cmp_name(const struct kd_symbol *x, const struct kd_symbol *y)
{
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	if (symtab_is_global(x->type) != symtab_is_global(y->type))
		return symtab_is_global(x->type) ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return 0;
}

// qsort() has no context argument, so the index is sorted as keys that carry
// what the comparison needs. The first 16 bytes of the name, big-endian and
// zero-padded like the NUL terminator, decide most comparisons without
// touching the name itself: sorting ~170k names this way takes a third of
// the time strcmp() through pointers does.
struct symtab_name_key {
	uint64_t prefix[2];
	const char *name;	/* the rest, when the prefixes are equal */
	const struct kd_symbol *sym;
};

static void symtab_fill_key(struct symtab_name_key *key, const struct kd_symbol *sym)
{
	uint8_t b[16] = {0};
	size_t i;
	for (i = 0; i < sizeof(b) && sym->name[i]; i++)
		b[i] = (uint8_t)sym->name[i];
	key->prefix[0] = kd_be64(b);
	key->prefix[1] = kd_be64(b + 8);
	key->name = sym->name + i;
	key->sym = sym;
}

static inline int symtab_cmp_name_key(const struct symtab_name_key *x,
				      const struct symtab_name_key *y)
{
	for (int i = 0; i < 2; i++)
		if (x->prefix[i] != y->prefix[i])
			return x->prefix[i] < y->prefix[i] ? -1 : 1;
	// Equal prefixes: both names are at least as long, or both end
	// inside it (then name points at the NUL of each).
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	c = symtab_cmp_name(x->sym, y->sym);
	if (c)
		return c;
	return (x->sym > y->sym) - (x->sym < y->sym);
}

// A bottom-up merge sort of the name keys with the comparison inlined:
// qsort() through a function pointer is most of the load time of a 170k
// symbol kallsyms table; this is about twice as fast. tmp holds n keys.
static void symtab_sort_name_keys(struct symtab_name_key *keys, struct symtab_name_key *tmp, size_t n)
{
	struct symtab_name_key *src = keys, *dst = tmp;
	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = mid + width < n ? mid + width : n;
			size_t i = lo, j = mid, o = lo;
			while (i < mid && j < hi)
				dst[o++] = symtab_cmp_name_key(&src[j], &src[i]) < 0 ? src[j++] : src[i++];
			while (i < mid)
				dst[o++] = src[i++];
			while (j < hi)
				dst[o++] = src[j++];
		}
		struct symtab_name_key *t = src;
		src = dst;
		dst = t;
	}
	if (src != keys)
		memcpy(keys, src, n * sizeof(*keys));
}

// kallsyms lists symbols in address order already (scripts/kallsyms.c sorts
// them), only aliases may be ordered differently: then sorting the runs of
// equal addresses is enough and costs O(n) instead of a full sort.
static void symtab_sort_by_addr(struct kd_symtab *tab)
{
	for (size_t i = 1; i < tab->nsyms; i++)
		if (tab->syms[i - 1].addr > tab->syms[i].addr) {
			qsort(tab->syms, tab->nsyms, sizeof(tab->syms[0]), symtab_cmp_addr);
			return;
		}
	for (size_t i = 0; i < tab->nsyms;) {
		size_t j = i + 1;
		while (j < tab->nsyms && tab->syms[j].addr == tab->syms[i].addr)
			j++;
		if (j - i > 1)
			qsort(tab->syms + i, j - i, sizeof(tab->syms[0]), symtab_cmp_addr);
		i = j;
	}
}

struct kd_error *kd_symtab_finish(struct kd_symtab *tab)
{
	free(tab->by_name);
	tab->by_name = NULL;
	if (!tab->nsyms)
		return NULL;
	symtab_sort_by_addr(tab);
	struct symtab_name_key *keys = malloc(2 * tab->nsyms * sizeof(*keys));
	size_t *by_name = malloc(tab->nsyms * sizeof(*by_name));
	if (!keys || !by_name) {
		free(keys);
		free(by_name);
		return &kd_enomem;
	}
	for (size_t i = 0; i < tab->nsyms; i++)
		symtab_fill_key(&keys[i], &tab->syms[i]);
	symtab_sort_name_keys(keys, keys + tab->nsyms, tab->nsyms);
	for (size_t i = 0; i < tab->nsyms; i++)
		by_name[i] = (size_t)(keys[i].sym - tab->syms);
	free(keys);
	tab->by_name = by_name;
	return NULL;
}

// The first by_name position whose name is >= name: a lower bound, so that
// among repeated names the preferred one (first in symtab_cmp_name order) is found
// in O(log n) without scanning duplicates, which bsearch() cannot do.
const struct kd_symbol *kd_symtab_find(const struct kd_symtab *tab,
				       const char *name)
{
	if (!tab->by_name)
		return NULL;
	size_t lo = 0, hi = tab->nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(tab->syms[tab->by_name[mid]].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == tab->nsyms)
		return NULL;
	const struct kd_symbol *s = &tab->syms[tab->by_name[lo]];
	return strcmp(s->name, name) ? NULL : s;
}

/*
 * The symbol with the greatest address <= addr, with three rules so that a
 * symbol is only reported for addresses it can plausibly contain:
 *  - absolute symbols ('a'/'A') never contain anything: they are constants,
 *    and on x86_64 SMP kallsyms marks every per-cpu variable 'A' with its
 *    small offset into the per-cpu area (scripts/kallsyms.c,
 *    make_percpus_absolute()), which must not capture addresses like
 *    0x1fb80;
 *  - the symbol and addr must be in the same half of the address space
 *    (bit 63): in a System.map the x86_64 per-cpu symbols are 'D'/'d' at
 *    offsets from 0, and __per_cpu_end must not swallow every kernel
 *    (direct-map, vmalloc) address above it, nor _stext a user address;
 *  - the highest symbol (_end in a kernel) has no known size, so it only
 *    contains its own address: modules and the fixmap lie above _end.
 * When several symbols share the address, the first in address order wins
 * (see symtab_cmp_addr()).
 */
const struct kd_symbol *kd_symtab_containing(const struct kd_symtab *tab,
					     uint64_t addr)
{
	if (!tab->by_name || !tab->nsyms)
		return NULL;
	// Upper bound: the first symbol with address > addr.
	size_t lo = 0, hi = tab->nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (tab->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	// Step back over absolute symbols, then to the first alias at that
	// address that is not absolute (absolute ones may sort between).
	size_t i = lo;
	do {
		if (i == 0)
			return NULL;
		i--;
	} while (symtab_is_absolute(tab->syms[i].type));
	uint64_t at = tab->syms[i].addr;
	for (size_t j = i; j > 0 && tab->syms[j - 1].addr == at; j--)
		if (!symtab_is_absolute(tab->syms[j - 1].type))
			i = j - 1;
	if ((at ^ addr) >> 63)
		return NULL;
	if (addr != at) {
		bool last = true;
		for (size_t j = lo; j < tab->nsyms; j++)
			if (!symtab_is_absolute(tab->syms[j].type)) {
				last = false;
				break;
			}
		if (last)
			return NULL;
	}
	return &tab->syms[i];
}

// ------------------------------------------------------------- System.map

static int symtab_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool symtab_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool symtab_is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Debian's linux-image packages ship a one-line placeholder instead of the
// real map (it is in the -dbg package); say so instead of "malformed".
static const char symtab_stub_marker[] = "The real System.map is in the ";

/*
 * Parse one "ADDR TYPE NAME" line as written by scripts/mksysmap (nm -n
 * output). A fourth "[module]" field, as in /proc/kallsyms, is accepted and
 * ignored so that a saved /proc/kallsyms also works.
 */
static struct kd_error *symtab_parse_line(struct kd_symtab *tab, const char *path,
					  size_t lineno, const char *p, const char *end)
{
	const char *start = p;
	uint64_t addr = 0;
	size_t digits = 0;
	for (; p < end && symtab_hexval(*p) >= 0; p++, digits++)
		addr = addr << 4 | (uint64_t)symtab_hexval(*p);
	if (!digits || digits > 16 || p == end || !symtab_is_blank(*p))
		goto malformed;
	while (p < end && symtab_is_blank(*p))
		p++;
	if (p == end || !symtab_is_letter(*p) || p + 1 == end || !symtab_is_blank(p[1]))
		goto malformed;
	char type = *p++;
	while (p < end && symtab_is_blank(*p))
		p++;
	const char *name = p;
	while (p < end && !symtab_is_blank(*p))
		p++;
	size_t name_len = (size_t)(p - name);
	while (p < end && symtab_is_blank(*p))
		p++;
	if (p < end) {
		// Only a "[module]" field may follow the name.
		if (*p != '[' || end[-1] != ']')
			goto malformed;
		for (const char *q = p; q < end; q++)
			if (symtab_is_blank(*q))
				goto malformed;
	}
	if (!name_len)
		goto malformed;
	for (size_t i = 0; i < name_len; i++)
		if ((unsigned char)name[i] < 0x21 || (unsigned char)name[i] > 0x7e)
			goto malformed;
	return kd_symtab_add(tab, addr, type, name, name_len);

malformed:;
	size_t show = (size_t)(end - start);
	return kd_error_create(KD_ERROR_CORRUPT,
			       "%s:%zu: not a System.map line (\"ADDRESS TYPE NAME\"): \"%.*s%s\"",
			       path, lineno, (int)(show > 80 ? 80 : show), start,
			       show > 80 ? "..." : "");
}

struct kd_error *kd_symtab_relocate(struct kd_symtab *tab, uint64_t from,
				    uint64_t offset)
{
	// syms is sorted by address: the symbols to move are the tail, and
	// moving them all by the same offset keeps the order (checked: no
	// wrap past 2^64), so neither index needs sorting again.
	size_t i = tab->nsyms;
	while (i > 0 && tab->syms[i - 1].addr >= from)
		i--;
	if (i < tab->nsyms && tab->syms[tab->nsyms - 1].addr + offset < tab->syms[tab->nsyms - 1].addr)
		return kd_error_create(KD_ERROR_CORRUPT,
			"relocating the symbols by %#" PRIx64 " wraps %s at %#" PRIx64
			" past the top of the address space",
			offset, tab->syms[tab->nsyms - 1].name, tab->syms[tab->nsyms - 1].addr);
	for (; i < tab->nsyms; i++)
		tab->syms[i].addr += offset;
	return NULL;
}

struct kd_error *kd_symtab_parse_system_map(struct kd_symtab *tab,
					    const char *path, const char *text,
					    size_t len)
{
	struct kd_error *err = NULL;
	const char *p = text, *end = text + len;
	size_t lineno = 0;
	while (p < end) {
		lineno++;
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol ? eol + 1 : end;
		if (!eol)
			eol = end;
		if (eol > p && eol[-1] == '\r')
			eol--;
		const char *q = p;
		while (q < eol && symtab_is_blank(*q))
			q++;
		if (q == eol) {
			p = next;
			continue;
		}
		size_t n = (size_t)(eol - q);
		if (n > sizeof(symtab_stub_marker) &&
		    memmem(q, n, symtab_stub_marker, sizeof(symtab_stub_marker) - 1)) {
			err = kd_error_create(KD_ERROR_FORMAT,
				"%s:%zu: this is the placeholder System.map of a Debian kernel package, not a symbol table; "
				"the real System.map is in the linux-image-<version>-dbg package (for kernels 6.0 and later, "
				"leave out the System.map: the dump's own kallsyms are used)",
				path, lineno);
			goto fail;
		}
		err = symtab_parse_line(tab, path, lineno, q, eol);
		if (err)
			goto fail;
		p = next;
	}
	if (!tab->nsyms) {
		err = kd_error_create(KD_ERROR_FORMAT,
				      "%s: no symbols (empty System.map)", path);
		goto fail;
	}
	err = kd_symtab_finish(tab);
	if (err)
		goto fail;
	return NULL;
fail:
	kd_symtab_deinit(tab);
	return err;
}
