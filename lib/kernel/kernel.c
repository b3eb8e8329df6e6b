// SPDX-License-Identifier: LGPL-2.1-or-later
// The dumped kernel: VMCOREINFO, the architecture's address translation and
// the symbol table, bound to one open dump.
#include "kernel/kernel.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct kd_arch_ops *const kernel_arches[] = {
	&kd_arch_x86_64,
};

/*
 * A System.map holds link-time addresses; with KASLR the kernel image ran
 * KERNELOFFSET higher (arch/x86/kernel/setup.c's vmcoreinfo note writes
 * kaslr_offset(); no KERNELOFFSET: not randomized). Every SYMBOL() entry
 * of VMCOREINFO that the map also names must then agree: a map of another
 * build is refused here, not found out later through garbage reads.
 * A map made from a running kernel's addresses (/proc/kallsyms, kexdump
 * symbols) is already relocated: when the first SYMBOL() in common agrees
 * as it is, nothing is added.
 */
static const struct kd_symbol *kernel_map_symbol(struct kd_kernel *k, size_t i,
						 uint64_t *want)
{
	const char *key, *value;
	if (!kd_vmcoreinfo_entry(k->vi, i, &key, &value))
		return NULL;
	size_t n = strlen(key);
	char name[128];
	if (n < 9 || strncmp(key, "SYMBOL(", 7) || key[n - 1] != ')' || n - 8 >= sizeof(name))
		return NULL;
	memcpy(name, key + 7, n - 8);
	name[n - 8] = '\0';
	struct kd_error *err = kd_vmcoreinfo_symbol(k->vi, name, want);
	if (err) {
		kd_error_destroy(err);
		return NULL;
	}
	// Only the image's symbols: mem_section is a pointer's value.
	if (*want < k->arch->image_start)
		return NULL;
	return kd_symtab_find(&k->symtab, name);
}

static struct kd_error *kernel_relocate_system_map(struct kd_kernel *k)
{
	uint64_t offset = 0;
	struct kd_error *err = kd_vmcoreinfo_kerneloffset(k->vi, &offset);
	if (err) {
		if (kd_error_code(err) != KD_ERROR_NOTFOUND)
			return kd_error_prefix(err, "%s", k->dump->path);
		kd_error_destroy(err);
		offset = 0;
	}
	const char *key, *value;
	uint64_t want;
	for (size_t i = 0; kd_vmcoreinfo_entry(k->vi, i, &key, &value); i++) {
		const struct kd_symbol *s = kernel_map_symbol(k, i, &want);
		if (s) {
			if (s->addr == want)
				offset = 0;
			break;
		}
	}
	err = kd_symtab_relocate(&k->symtab, k->arch->image_start, offset);
	if (err)
		return kd_error_prefix(err, "%s", k->system_map);
	for (size_t i = 0; kd_vmcoreinfo_entry(k->vi, i, &key, &value); i++) {
		const struct kd_symbol *s = kernel_map_symbol(k, i, &want);
		if (!s)
			continue;
		const char *name = s->name;
		if (s->addr != want) {
			const char *rel = "?";
			kd_error_destroy(kd_vmcoreinfo_string(k->vi, "OSRELEASE", &rel));
			return kd_error_create(KD_ERROR_FORMAT,
				"%s: this System.map is not of the dumped kernel (%s): %s is at %#" PRIx64
				" in it (KASLR offset %#" PRIx64 " added), at %#" PRIx64 " in the dump's VMCOREINFO",
				k->system_map, rel, name, s->addr, offset, want);
		}
	}
	// None in common (a made-up VMCOREINFO): nothing to hold the map against.
	return NULL;
}

static struct kd_error *kernel_load_symbols(struct kd_kernel *k)
{
	struct kd_error *err;
	if (k->system_map) {
		char *text = NULL;
		size_t len = 0;
		err = kd_fs_read_file(k->system_map, 256u << 20, &text, &len);
		if (err)
			return err;
		err = kd_symtab_parse_system_map(&k->symtab, k->system_map,
						 text, len);
		free(text);
		if (!err)
			err = kernel_relocate_system_map(k);
		if (err)
			return err;
		k->symbol_source = "System.map";
	} else {
		uint64_t addr;
		err = kd_vmcoreinfo_symbol(k->vi, "kallsyms_names", &addr);
		if (err) {
			// Kernels before 6.0 do not export kallsyms: symbols
			// then need --system-map; VMCOREINFO still has many.
			kd_error_destroy(err);
			return NULL;
		}
		err = kd_kallsyms_load(k, &k->symtab);
		if (err)
			return kd_error_prefix(err, "%s: kallsyms", k->dump->path);
		k->symbol_source = "kallsyms";
	}
	return k->arch->init_symbols ? k->arch->init_symbols(k) : NULL;
}

KD_EXPORT struct kd_error *kd_kernel_load_symbols(struct kd_kernel *k)
{
	if (!k->symbols_tried) {
		k->symbols_tried = true;
		struct kd_error *err = kernel_load_symbols(k);
		if (!err)
			return NULL;
		kd_symtab_deinit(&k->symtab);
		k->symbol_source = "none";
		k->symbols_error = strdup(kd_error_message(err));
		if (!k->symbols_error) {
			k->symbols_tried = false;
			kd_error_destroy(err);
			return &kd_enomem;
		}
		return err;
	}
	if (k->symbols_error)
		return kd_error_create(KD_ERROR_CORRUPT, "%s", k->symbols_error);
	return NULL;
}

KD_EXPORT struct kd_error *kd_kernel_open(struct kd_dump *dump,
					  const struct kd_kernel_options *opts,
					  struct kd_kernel **ret)
{
	size_t len;
	const char *raw = kd_dump_vmcoreinfo_raw(dump, &len);
	if (!raw)
		return kd_error_create(KD_ERROR_NOTFOUND,
			"%s: dump has no VMCOREINFO note (not a Linux kernel dump, or made without it)",
			dump->path);
	struct kd_kernel *k = calloc(1, sizeof(*k));
	if (!k)
		return &kd_enomem;
	k->dump = dump;
	k->symbol_source = "none";
	struct kd_error *err = kd_vmcoreinfo_parse(raw, len, &k->vi);
	if (err) {
		err = kd_error_prefix(err, "%s", dump->path);
		goto fail;
	}
	for (size_t i = 0; i < KD_ARRAY_SIZE(kernel_arches); i++)
		if (kernel_arches[i]->elf_machine == dump->machine)
			k->arch = kernel_arches[i];
	if (!k->arch) {
		err = kd_error_create(KD_ERROR_UNSUPPORTED,
			"%s: architecture not supported (ELF machine %u)",
			dump->path, dump->machine);
		goto fail;
	}
	k->arch_state = calloc(1, k->arch->arch_size);
	if (!k->arch_state) {
		err = &kd_enomem;
		goto fail;
	}
	if (opts && opts->system_map) {
		k->system_map = strdup(opts->system_map);
		if (!k->system_map) {
			err = &kd_enomem;
			goto fail;
		}
	}
	err = k->arch->init(k);
	if (err)
		goto fail;
	*ret = k;
	return NULL;
fail:
	kd_kernel_close(k);
	return err;
}

KD_EXPORT void kd_kernel_close(struct kd_kernel *k)
{
	if (!k)
		return;
	kd_unwind_cache_destroy(k->unwind);
	kd_module_cache_destroy(k->modules);
	kd_orc_table_deinit(&k->orc);
	free(k->orc_error);
	kd_symtab_deinit(&k->symtab);
	kd_btf_destroy(k->btf);
	free(k->btf_error);
	free(k->system_map);
	free(k->symbols_error);
	free(k->arch_state);
	kd_vmcoreinfo_destroy(k->vi);
	free(k);
}

KD_EXPORT struct kd_dump *kd_kernel_dump(const struct kd_kernel *k)
{
	return k->dump;
}

KD_EXPORT const struct kd_vmcoreinfo *
kd_kernel_vmcoreinfo(const struct kd_kernel *k)
{
	return k->vi;
}

KD_EXPORT const char *kd_kernel_arch_name(const struct kd_kernel *k)
{
	return k->arch->name;
}

KD_EXPORT unsigned int kd_kernel_paging_levels(const struct kd_kernel *k)
{
	return k->paging_levels;
}

KD_EXPORT uint64_t kd_kernel_direct_map_base(const struct kd_kernel *k)
{
	return k->direct_map_base;
}

KD_EXPORT const char *kd_kernel_symbol_source(struct kd_kernel *k)
{
	kd_error_destroy(kd_kernel_load_symbols(k));
	return k->symbol_source;
}

KD_EXPORT struct kd_error *kd_kernel_vtop(struct kd_kernel *k, uint64_t vaddr,
					  uint64_t *ret)
{
	return k->arch->vtop(k, vaddr, ret);
}

KD_EXPORT struct kd_error *kd_kernel_read_virt(struct kd_kernel *k,
					       uint64_t vaddr, void *buf,
					       size_t len)
{
	// Translate page by page: virtually contiguous need not be physically.
	uint8_t *p = buf;
	while (len) {
		uint64_t paddr;
		struct kd_error *err = kd_kernel_vtop(k, vaddr, &paddr);
		if (err)
			return err;
		size_t chunk = 4096 - (size_t)(vaddr & 4095);
		if (chunk > len)
			chunk = len;
		err = kd_dump_read_phys(k->dump, paddr, p, chunk);
		if (err)
			return kd_error_prefix(err, "reading %#" PRIx64, vaddr);
		p += chunk;
		vaddr += chunk;
		len -= chunk;
	}
	return NULL;
}

KD_EXPORT struct kd_error *kd_kernel_read_u64(struct kd_kernel *k,
					      uint64_t vaddr, uint64_t *ret)
{
	uint8_t b[8];
	struct kd_error *err = kd_kernel_read_virt(k, vaddr, b, sizeof(b));
	if (err)
		return err;
	*ret = kd_dump_u64(k->dump, b);
	return NULL;
}

KD_EXPORT struct kd_error *kd_kernel_read_u32(struct kd_kernel *k,
					      uint64_t vaddr, uint32_t *ret)
{
	uint8_t b[4];
	struct kd_error *err = kd_kernel_read_virt(k, vaddr, b, sizeof(b));
	if (err)
		return err;
	*ret = kd_dump_u32(k->dump, b);
	return NULL;
}

KD_EXPORT struct kd_error *kd_kernel_symbol(struct kd_kernel *k,
					    const char *name, uint64_t *ret)
{
	struct kd_error *err = kd_kernel_load_symbols(k);
	if (err)
		return err;
	const struct kd_symbol *s = kd_symtab_find(&k->symtab, name);
	if (s) {
		*ret = s->addr;
		return NULL;
	}
	// VMCOREINFO names a few symbols itself; they work without kallsyms.
	err = kd_vmcoreinfo_symbol(k->vi, name, ret);
	if (!kd_error_catch(&err, KD_ERROR_NOTFOUND))
		return err;
	return kd_error_create(KD_ERROR_NOTFOUND, "%s: unknown symbol %s%s",
			       k->dump->path, name,
			       k->symtab.nsyms ? "" :
			       " (no symbol table: this kernel's VMCOREINFO has no kallsyms; give --system-map)");
}

KD_EXPORT struct kd_error *kd_kernel_symbolize(struct kd_kernel *k,
					       uint64_t addr,
					       const char **name_ret,
					       uint64_t *offset_ret)
{
	struct kd_error *err = kd_kernel_load_symbols(k);
	if (err)
		return err;
	const struct kd_symbol *s = kd_symtab_containing(&k->symtab, addr);
	if (!s)
		return kd_error_create(KD_ERROR_NOTFOUND,
				       "no symbol contains %#" PRIx64, addr);
	*name_ret = s->name;
	*offset_ret = addr - s->addr;
	return NULL;
}

KD_EXPORT size_t kd_kernel_num_symbols(struct kd_kernel *k)
{
	kd_error_destroy(kd_kernel_load_symbols(k));
	return k->symtab.nsyms;
}

KD_EXPORT bool kd_kernel_symbol_at(struct kd_kernel *k, size_t i,
				   const char **name_ret, char *type_ret,
				   uint64_t *addr_ret)
{
	kd_error_destroy(kd_kernel_load_symbols(k));
	if (i >= k->symtab.nsyms)
		return false;
	*name_ret = k->symtab.syms[i].name;
	*type_ret = k->symtab.syms[i].type;
	*addr_ret = k->symtab.syms[i].addr;
	return true;
}
