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
				    uint64_t addr, struct kd_module *ret)
{
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
	if (err)
		return kd_error_prefix(err, "%s: the module at %#" PRIx64, k->dump->path, addr);
	m.state = (int)state;
	module_taint(k, f, m.taints, m.taint, sizeof(m.taint));
	*ret = m;
	return NULL;
}

struct module_walk {
	struct kd_kernel *k;
	const struct module_fields *f;
	struct kd_module *mods;
	size_t n, cap;
};

static struct kd_error *module_on_node(uint64_t node, void *arg)
{
	struct module_walk *w = arg;
	struct kd_module m;
	struct kd_error *err = module_read(w->k, w->f, node - w->f->list.offset, &m);
	if (err)
		return err;
	// m_show() skips the ones still being formed
	if (m.state == w->f->unformed)
		return NULL;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct kd_module *a = realloc(w->mods, cap * sizeof(*a));
		if (!a)
			return &kd_enomem;
		w->mods = a;
		w->cap = cap;
	}
	w->mods[w->n++] = m;
	return NULL;
}

KD_EXPORT struct kd_error *kd_module_list(struct kd_kernel *k, struct kd_module **ret,
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
	if (!w.mods && !(w.mods = calloc(1, sizeof(*w.mods))))
		return &kd_enomem;
	*ret = w.mods;
	*count = w.n;
	return NULL;
}
