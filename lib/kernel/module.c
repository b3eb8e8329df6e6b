// SPDX-License-Identifier: LGPL-2.1-or-later
// The dumped kernel's loaded modules, read with the dump's own BTF field
// offsets: the `modules` list of struct module (kernel/module/main.c), as
// /proc/modules shows it (m_show(): the name, the total size, the core
// text base and the taint letters of module_flags()). The layout changed
// in 6.4: core_layout/init_layout (struct module_layout) became
// mem[MOD_MEM_NUM_TYPES] (struct module_memory).
#include "kernel/kernel.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	// Far above any real system (Debian loads ~100); bounds the walk.
	MODULE_MAX = 1 << 16,
	// MOD_MEM_NUM_TYPES is 7 in 6.4 to 6.12.
	MODULE_MAX_MEM = 16,
	// Taint flags a module can carry fit in an unsigned long.
	MODULE_MAX_TAINTS = 64,
};

// The letters of the taint flags that apply to modules, by bit
// (kernel/panic.c: taint_flags[], TAINT_FLAG(..., true)), when the dump's
// own table cannot be read.
static const char module_taint_letters[MODULE_MAX_TAINTS] = {
	[0] = 'P', [1] = 'F', [10] = 'C', [12] = 'O', [13] = 'E',
	[15] = 'K', [16] = 'X', [17] = 'T', [18] = 'N',
};

struct module_fields {
	struct kd_btf_field list, name, state, taints;
	// 6.4+: mem[] and MOD_TEXT's index in it
	bool has_mem;
	struct kd_btf_field mem_base, mem_size;
	uint64_t mem_stride;
	uint32_t mem_count, mod_text;
	// before 6.4
	struct kd_btf_field core_base, core_size, core_text_size, init_size;
	bool has_data_layout;
	struct kd_btf_field data_size;
	int64_t unformed;
	// the kernel's taint_flags[]: its address, the size of an entry and
	// where c_true and module are in it; 0 when unknown
	uint64_t taint_flags, taint_flag_size, taint_c_true, taint_module;
	// for symbols and unwinding (module_text_fields(); absent members
	// leave has_* false): the init text (mem[MOD_INIT_TEXT] or
	// init_layout), mod->kallsyms and mod->arch's ORC table
	bool has_init_text, has_kallsyms, has_orc;
	struct kd_btf_field init_base, init_text_size, kallsyms;
	struct kd_btf_field orc_ip, orc, num_orcs;
};

// A module as read: what the caller sees and where its text and tables are.
struct module_info {
	struct kd_module m;
	uint64_t init_base, init_text_size;
	uint64_t kallsyms;
	uint64_t orc_ip, orc, num_orcs;
};

static struct kd_error *module_field(struct kd_kernel *k, const char *type,
				     const char *path, struct kd_btf_field *ret)
{
	struct kd_error *err = kd_btf_field(k, type, path, ret);
	if (err && kd_error_catch(&err, KD_ERROR_NOTFOUND))
		err = kd_error_create(KD_ERROR_NOTFOUND,
			"%s: the dump's BTF has no %s.%s, needed to read modules",
			k->dump->path, type, path);
	return err;
}

static struct kd_error *module_fields(struct kd_kernel *k, struct module_fields *f)
{
	*f = (struct module_fields){ 0 };
	// Without BTF at all, say that rather than a missing member.
	struct kd_error *err = kd_btf_load(k);
	if (err)
		return err;
	err = module_field(k, "module", "list", &f->list);
	if (!err)
		err = module_field(k, "module", "name", &f->name);
	if (!err)
		err = module_field(k, "module", "state", &f->state);
	if (!err)
		err = module_field(k, "module", "taints", &f->taints);
	if (err)
		return err;
	if (f->name.kind != KD_BTF_ARRAY || f->name.size < 2 || f->name.size > 256)
		return kd_error_create(KD_ERROR_CORRUPT,
			"%s: module.name in the dump's BTF is not a char array",
			k->dump->path);
	struct kd_btf_field mem, mem1;
	err = kd_btf_field(k, "module", "mem", &mem);
	if (!err) {
		f->has_mem = true;
		int64_t text = 0;
		err = kd_btf_enum_value(k, "mod_mem_type", "MOD_TEXT", &text);
		if (err && kd_error_catch(&err, KD_ERROR_NOTFOUND))
			text = 0;
		if (!err)
			err = module_field(k, "module", "mem[0].base", &f->mem_base);
		if (!err)
			err = module_field(k, "module", "mem[0].size", &f->mem_size);
		if (!err && mem.count > 1)
			err = module_field(k, "module", "mem[1].base", &mem1);
		if (err)
			return err;
		if (!mem.count || mem.count > MODULE_MAX_MEM || text < 0 ||
		    (uint64_t)text >= mem.count)
			return kd_error_create(KD_ERROR_CORRUPT,
				"%s: module.mem in the dump's BTF has %" PRIu32
				" entries (MOD_TEXT %" PRId64 ")",
				k->dump->path, mem.count, text);
		f->mem_count = mem.count;
		f->mem_stride = mem.count > 1 ? mem1.offset - f->mem_base.offset : 0;
		f->mod_text = (uint32_t)text;
	} else if (kd_error_catch(&err, KD_ERROR_NOTFOUND)) {
		err = module_field(k, "module", "core_layout.base", &f->core_base);
		if (!err)
			err = module_field(k, "module", "core_layout.size", &f->core_size);
		if (!err)
			err = module_field(k, "module", "core_layout.text_size",
					   &f->core_text_size);
		if (!err)
			err = module_field(k, "module", "init_layout.size", &f->init_size);
		if (err)
			return err;
		// CONFIG_ARCH_WANTS_MODULES_DATA_IN_VMALLOC (6.1-6.3, not x86)
		err = kd_btf_field(k, "module", "data_layout.size", &f->data_size);
		f->has_data_layout = !err;
		if (err && !kd_error_catch(&err, KD_ERROR_NOTFOUND))
			return err;
	}
	if (err)
		return err;
	// The init text, for a module that crashed in its init function.
	if (f->has_mem) {
		int64_t init_text = 4;	// MOD_INIT_TEXT (include/linux/module.h)
		err = kd_btf_enum_value(k, "mod_mem_type", "MOD_INIT_TEXT", &init_text);
		if (err && kd_error_catch(&err, KD_ERROR_NOTFOUND))
			init_text = 4;
		if (!err && init_text >= 0 && (uint64_t)init_text < f->mem_count) {
			f->has_init_text = true;
			f->init_base = f->mem_base;
			f->init_base.offset += (uint64_t)init_text * f->mem_stride;
			f->init_text_size = f->mem_size;
			f->init_text_size.offset += (uint64_t)init_text * f->mem_stride;
		}
	} else {
		err = kd_btf_field(k, "module", "init_layout.base", &f->init_base);
		if (!err)
			err = kd_btf_field(k, "module", "init_layout.text_size", &f->init_text_size);
		f->has_init_text = !err;
	}
	if (err && !kd_error_catch(&err, KD_ERROR_NOTFOUND))
		return err;
	// CONFIG_KALLSYMS
	err = kd_btf_field(k, "module", "kallsyms", &f->kallsyms);
	f->has_kallsyms = !err;
	if (err && !kd_error_catch(&err, KD_ERROR_NOTFOUND))
		return err;
	// CONFIG_UNWINDER_ORC: struct mod_arch_specific
	err = kd_btf_field(k, "module", "arch.orc_unwind_ip", &f->orc_ip);
	if (!err)
		err = kd_btf_field(k, "module", "arch.orc_unwind", &f->orc);
	if (!err)
		err = kd_btf_field(k, "module", "arch.num_orcs", &f->num_orcs);
	f->has_orc = !err;
	if (err && !kd_error_catch(&err, KD_ERROR_NOTFOUND))
		return err;
	f->unformed = 3;	// MODULE_STATE_UNFORMED (include/linux/module.h)
	err = kd_btf_enum_value(k, "module_state", "MODULE_STATE_UNFORMED", &f->unformed);
	if (err && !kd_error_catch(&err, KD_ERROR_NOTFOUND))
		return err;
	// struct taint_flag { char c_true, c_false; bool module; ... }
	uint64_t addr, size, c_true, module;
	err = kd_kernel_symbol(k, "taint_flags", &addr);
	if (!err)
		err = kd_btf_type_size(k, "taint_flag", &size);
	if (!err)
		err = kd_btf_member(k, "taint_flag", "c_true", &c_true);
	if (!err)
		err = kd_btf_member(k, "taint_flag", "module", &module);
	if (!err && size && size <= 64 && c_true < size && module < size) {
		f->taint_flags = addr;
		f->taint_flag_size = size;
		f->taint_c_true = c_true;
		f->taint_module = module;
	}
	kd_error_destroy(err);
	return NULL;
}

// The letters of module_flags_taint() (kernel/module/main.c): each taint
// bit set that applies to modules, in bit order, with the letter of the
// dump's own taint_flags[] where it can be read.
static void module_taint(struct kd_kernel *k, const struct module_fields *f,
			 uint64_t taints, char *buf, size_t len)
{
	size_t n = 0;
	for (unsigned int i = 0; i < MODULE_MAX_TAINTS && n + 1 < len; i++) {
		if (!(taints >> i & 1))
			continue;
		char c = module_taint_letters[i];
		uint8_t e[64];
		if (f->taint_flags &&
		    !kd_kernel_read_virt(k, f->taint_flags + i * f->taint_flag_size, e,
					 f->taint_flag_size) &&
		    e[f->taint_c_true] >= 'A' && e[f->taint_c_true] <= 'Z')
			c = e[f->taint_module] ? (char)e[f->taint_c_true] : 0;
		else
			kd_error_destroy(NULL);
		if (c)
			buf[n++] = c;
	}
	buf[n] = '\0';
}

static struct kd_error *module_read(struct kd_kernel *k, const struct module_fields *f,
				    uint64_t addr, struct module_info *ret)
{
	struct module_info info = { 0 };
	struct kd_module m = { .addr = addr };
	uint64_t state, v;
	struct kd_error *err = kd_btf_read_field(k, addr, &f->state, &state);
	if (!err)
		err = kd_btf_read_field(k, addr, &f->taints, &m.taints);
	if (!err) {
		size_t n = f->name.size < sizeof(m.name) ? f->name.size : sizeof(m.name);
		err = kd_kernel_read_virt(k, addr + f->name.offset, m.name, n);
		m.name[sizeof(m.name) - 1] = '\0';
	}
	if (f->has_mem) {
		// module_total_size(): every memory type
		for (uint32_t i = 0; i < f->mem_count && !err; i++) {
			struct kd_btf_field s = f->mem_size;
			s.offset += i * f->mem_stride;
			err = kd_btf_read_field(k, addr, &s, &v);
			m.size += v;
			if (!err && i == f->mod_text) {
				m.text_size = v;
				struct kd_btf_field b = f->mem_base;
				b.offset += i * f->mem_stride;
				err = kd_btf_read_field(k, addr, &b, &m.base);
			}
		}
	} else {
		err = err ? err : kd_btf_read_field(k, addr, &f->core_base, &m.base);
		if (!err)
			err = kd_btf_read_field(k, addr, &f->core_size, &m.size);
		if (!err)
			err = kd_btf_read_field(k, addr, &f->core_text_size, &m.text_size);
		if (!err)
			err = kd_btf_read_field(k, addr, &f->init_size, &v);
		m.size += err ? 0 : v;
		if (!err && f->has_data_layout) {
			err = kd_btf_read_field(k, addr, &f->data_size, &v);
			m.size += err ? 0 : v;
		}
	}
	if (!err && f->has_init_text) {
		err = kd_btf_read_field(k, addr, &f->init_base, &info.init_base);
		if (!err)
			err = kd_btf_read_field(k, addr, &f->init_text_size, &info.init_text_size);
	}
	if (!err && f->has_kallsyms)
		err = kd_btf_read_field(k, addr, &f->kallsyms, &info.kallsyms);
	if (!err && f->has_orc) {
		err = kd_btf_read_field(k, addr, &f->orc_ip, &info.orc_ip);
		if (!err)
			err = kd_btf_read_field(k, addr, &f->orc, &info.orc);
		if (!err)
			err = kd_btf_read_field(k, addr, &f->num_orcs, &info.num_orcs);
	}
	if (err)
		return kd_error_prefix(err, "%s: the module at %#" PRIx64, k->dump->path, addr);
	m.state = (int)state;
	module_taint(k, f, m.taints, m.taint, sizeof(m.taint));
	info.m = m;
	*ret = info;
	return NULL;
}

struct module_walk {
	struct kd_kernel *k;
	const struct module_fields *f;
	struct module_info *mods;
	size_t n, cap;
};

static struct kd_error *module_on_node(uint64_t node, void *arg)
{
	struct module_walk *w = arg;
	struct module_info m;
	struct kd_error *err = module_read(w->k, w->f, node - w->f->list.offset, &m);
	if (err)
		return err;
	// m_show() skips the ones still being formed
	if (m.m.state == w->f->unformed)
		return NULL;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct module_info *a = realloc(w->mods, cap * sizeof(*a));
		if (!a)
			return &kd_enomem;
		w->mods = a;
		w->cap = cap;
	}
	w->mods[w->n++] = m;
	return NULL;
}

// Every formed module with where its text and tables are.
static struct kd_error *module_walk(struct kd_kernel *k, struct module_info **ret,
				   size_t *count)
{
	struct module_fields f;
	uint64_t head;
	struct kd_error *err = kd_kernel_load_symbols(k);
	if (!err)
		err = module_fields(k, &f);
	if (!err)
		err = kd_kernel_symbol(k, "modules", &head);
	if (err)
		return err;
	char what[128];
	snprintf(what, sizeof(what), "%s: the module list (modules)", k->dump->path);
	struct module_walk w = { .k = k, .f = &f };
	err = kd_list_walk(k, head, MODULE_MAX, what, module_on_node, &w);
	if (err) {
		free(w.mods);
		return err;
	}
	*ret = w.mods;
	*count = w.n;
	return NULL;
}

KD_EXPORT struct kd_error *kd_module_list(struct kd_kernel *k, struct kd_module **ret,
					  size_t *count)
{
	struct module_info *info;
	size_t n;
	struct kd_error *err = module_walk(k, &info, &n);
	if (err)
		return err;
	struct kd_module *mods = calloc(n ? n : 1, sizeof(*mods));
	if (!mods) {
		free(info);
		return &kd_enomem;
	}
	for (size_t i = 0; i < n; i++)
		mods[i] = info[i].m;
	free(info);
	*ret = mods;
	*count = n;
	return NULL;
}

// ---------------------------------------------------- symbols and ORC

enum {
	// Symbols of one module's kallsyms (the largest Debian modules,
	// amdgpu and i915, have some 20k) and the bytes of its names.
	MODULE_MAX_SYMS = 1 << 18,
	MODULE_MAX_STRTAB = 16 << 20,
	MODULE_SYM_SIZE = 24,	// Elf64_Sym
	MODULE_MAX_TEXT = 1 << 30,
};

struct module_text_entry {
	char name[56];
	uint64_t addr;
	uint64_t text[2][2];		// core and init text: [lo, hi)
	uint64_t kallsyms;
	uint64_t orc_ip, orc, num_orcs;
	bool syms_tried, orc_tried;
	struct kd_symtab syms;		// text symbols, by address
	struct kd_orc_table orc_table;	// num == 0 when none
};

struct kd_module_cache {
	struct module_text_entry *mods;
	size_t n;
	// struct mod_kallsyms members (include/linux/module.h)
	bool has_kallsyms;
	struct kd_btf_field symtab, num_symtab, strtab;
};

void kd_module_cache_destroy(struct kd_module_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		kd_symtab_deinit(&c->mods[i].syms);
		kd_orc_table_deinit(&c->mods[i].orc_table);
	}
	free(c->mods);
	free(c);
}

// The modules' text ranges, read once; a dump whose module list cannot be
// read has none (its frames then show bare addresses).
static struct kd_module_cache *module_cache(struct kd_kernel *k)
{
	if (k->modules)
		return k->modules;
	struct kd_module_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	k->modules = c;
	struct module_info *info;
	size_t n;
	struct kd_error *err = module_walk(k, &info, &n);
	if (err) {
		kd_error_destroy(err);
		return c;
	}
	c->mods = calloc(n ? n : 1, sizeof(*c->mods));
	if (!c->mods) {
		free(info);
		return c;
	}
	for (size_t i = 0; i < n; i++) {
		struct module_text_entry *e = &c->mods[c->n];
		const struct module_info *m = &info[i];
		memcpy(e->name, m->m.name, sizeof(e->name));
		e->addr = m->m.addr;
		if (m->m.text_size <= MODULE_MAX_TEXT && m->m.base &&
		    m->m.base + m->m.text_size > m->m.base) {
			e->text[0][0] = m->m.base;
			e->text[0][1] = m->m.base + m->m.text_size;
		}
		if (m->init_text_size <= MODULE_MAX_TEXT && m->init_base &&
		    m->init_base + m->init_text_size > m->init_base) {
			e->text[1][0] = m->init_base;
			e->text[1][1] = m->init_base + m->init_text_size;
		}
		e->kallsyms = m->kallsyms;
		e->orc_ip = m->orc_ip;
		e->orc = m->orc;
		e->num_orcs = m->num_orcs;
		c->n++;
	}
	free(info);
	err = kd_btf_field(k, "mod_kallsyms", "symtab", &c->symtab);
	if (!err)
		err = kd_btf_field(k, "mod_kallsyms", "num_symtab", &c->num_symtab);
	if (!err)
		err = kd_btf_field(k, "mod_kallsyms", "strtab", &c->strtab);
	c->has_kallsyms = !err;
	kd_error_destroy(err);
	return c;
}

static struct module_text_entry *module_find_text(struct kd_kernel *k, uint64_t addr,
						   size_t *range_ret)
{
	struct kd_module_cache *c = module_cache(k);
	for (size_t i = 0; c && i < c->n; i++)
		for (size_t r = 0; r < 2; r++)
			if (addr >= c->mods[i].text[r][0] && addr < c->mods[i].text[r][1]) {
				*range_ret = r;
				return &c->mods[i];
			}
	return NULL;
}

// The kernel's is_mapping_symbol() (include/linux/module_symbol.h): names
// that mark code or data for tools, not functions.
static bool module_is_mapping_symbol(const char *s)
{
	return s[0] == '$' || (s[0] == '.' && s[1] == 'L') || (s[0] == 'L' && s[1] == '0');
}

// The module's own kallsyms (struct mod_kallsyms: Elf64_Sym symtab[],
// strtab): its symbols in its text, as find_kallsyms_symbol()
// (kernel/module/kallsyms.c) considers them: defined, named, no mapping
// symbols.
static void module_load_syms(struct kd_kernel *k, const struct kd_module_cache *c,
			     struct module_text_entry *e)
{
	e->syms_tried = true;
	uint64_t symtab, num, strtab;
	if (!c->has_kallsyms || !e->kallsyms ||
	    kd_btf_read_field(k, e->kallsyms, &c->symtab, &symtab) ||
	    kd_btf_read_field(k, e->kallsyms, &c->num_symtab, &num) ||
	    kd_btf_read_field(k, e->kallsyms, &c->strtab, &strtab) ||
	    !num || num > MODULE_MAX_SYMS)
		return;
	uint8_t *raw = malloc((size_t)num * MODULE_SYM_SIZE);
	if (!raw || kd_kernel_read_virt(k, symtab, raw, (size_t)num * MODULE_SYM_SIZE)) {
		free(raw);
		return;
	}
	// The names: one read up to the furthest name.
	uint64_t strtab_len = 0;
	for (uint64_t i = 0; i < num; i++) {
		uint32_t name = kd_dump_u32(k->dump, raw + i * MODULE_SYM_SIZE);
		if (name + 128ull > strtab_len)
			strtab_len = name + 128ull;
	}
	if (strtab_len > MODULE_MAX_STRTAB)
		strtab_len = MODULE_MAX_STRTAB;
	char *names = malloc((size_t)strtab_len + 1);
	if (!names) {
		free(raw);
		return;
	}
	// The last name may end short of 128 bytes at the end of a mapping:
	// read what can be read, page by page.
	memset(names, 0, (size_t)strtab_len + 1);
	for (uint64_t off = 0; off < strtab_len;) {
		uint64_t chunk = 4096 - ((strtab + off) & 4095);
		if (chunk > strtab_len - off)
			chunk = strtab_len - off;
		struct kd_error *err = kd_kernel_read_virt(k, strtab + off, names + off, (size_t)chunk);
		if (err) {
			kd_error_destroy(err);
			break;
		}
		off += chunk;
	}
	for (uint64_t i = 1; i < num; i++) {
		const uint8_t *sym = raw + i * MODULE_SYM_SIZE;
		uint32_t name = kd_dump_u32(k->dump, sym);
		uint16_t shndx = kd_dump_u16(k->dump, sym + 6);
		uint64_t value = kd_dump_u64(k->dump, sym + 8);
		if (!shndx || name >= strtab_len)
			continue;	// SHN_UNDEF, or a name past the bound
		const char *s = names + name;
		size_t len = strnlen(s, (size_t)(strtab_len - name));
		if (!len || module_is_mapping_symbol(s))
			continue;
		bool in_text = false;
		for (size_t r = 0; r < 2; r++)
			in_text |= value >= e->text[r][0] && value < e->text[r][1];
		if (!in_text)
			continue;
		if (kd_symtab_add(&e->syms, value, 't', s, len))
			break;
	}
	free(names);
	free(raw);
	struct kd_error *err = kd_symtab_finish(&e->syms);
	if (err) {
		kd_error_destroy(err);
		kd_symtab_deinit(&e->syms);
		e->syms = (struct kd_symtab){ 0 };
	}
}

bool kd_module_is_text(struct kd_kernel *k, uint64_t addr)
{
	size_t r;
	return module_find_text(k, addr, &r) != NULL;
}

bool kd_module_symbolize(struct kd_kernel *k, uint64_t addr,
			 const char **module_ret, const char **name_ret,
			 uint64_t *offset_ret, uint64_t *size_ret)
{
	size_t r;
	struct module_text_entry *e = module_find_text(k, addr, &r);
	if (!e)
		return false;
	if (!e->syms_tried)
		module_load_syms(k, k->modules, e);
	*module_ret = e->name;
	*name_ret = NULL;
	*offset_ret = *size_ret = 0;
	const struct kd_symbol *s = kd_symtab_containing(&e->syms, addr);
	if (!s || s->addr < e->text[r][0])
		return true;
	// To the next symbol above it, at most the end of this text.
	uint64_t next = e->text[r][1];
	for (size_t i = (size_t)(s - e->syms.syms) + 1; i < e->syms.nsyms; i++)
		if (e->syms.syms[i].addr > s->addr) {
			if (e->syms.syms[i].addr < next)
				next = e->syms.syms[i].addr;
			break;
		}
	*name_ret = s->name;
	*offset_ret = addr - s->addr;
	*size_ret = next - s->addr;
	return true;
}

const struct kd_orc_table *kd_module_orc(struct kd_kernel *k, uint64_t addr)
{
	size_t r;
	struct module_text_entry *e = module_find_text(k, addr, &r);
	if (!e)
		return NULL;
	if (!e->orc_tried) {
		e->orc_tried = true;
		// The same entry layout as vmlinux's.
		const struct kd_orc_table *vmlinux;
		struct kd_error *err = kd_orc_vmlinux(k, &vmlinux);
		if (!err && e->orc_ip && e->orc && e->num_orcs)
			err = kd_orc_table_read(k, e->orc_ip, e->orc, e->num_orcs,
						vmlinux->version, &e->orc_table);
		kd_error_destroy(err);
	}
	return e->orc_table.num ? &e->orc_table : NULL;
}
