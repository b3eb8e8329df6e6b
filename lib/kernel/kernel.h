/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals of the kernel area (lib/kernel/): the kernel handle, the
 * architecture ops and the symbol table. Never installed. */
#ifndef KEXDUMP_KERNEL_PRIV_H
#define KEXDUMP_KERNEL_PRIV_H

#include "dump/dump.h"
#include <kexdump/kernel.h>

struct kd_kernel;

/*
 * An architecture's address translation. init() reads what it needs from
 * VMCOREINFO and memory (paging mode, direct-map base); vtop() translates one
 * kernel virtual address. Every architecture is built on every host, so a
 * dump is read wherever it is analysed.
 */
struct kd_arch_ops {
	const char *name;
	uint16_t elf_machine;
	struct kd_error *(*init)(struct kd_kernel *kernel);
	struct kd_error *(*vtop)(struct kd_kernel *kernel, uint64_t vaddr,
				 uint64_t *ret);
	/* Second stage, once symbols are known (e.g. read page_offset_base). */
	struct kd_error *(*init_symbols)(struct kd_kernel *kernel);
	size_t arch_size;		/* bytes of per-kernel arch state */
	/* Where the kernel image's link-time addresses start: a System.map's
	 * symbols from here on move with KASLR (KERNELOFFSET), the others
	 * (x86_64's per-cpu offsets from 0) do not. */
	uint64_t image_start;
	/* Optional: vtop() that also gives the bytes from vaddr to the end of
	 * the page or mapping translating it (4 KiB, 2 MiB, 1 GiB page, or a
	 * linear map), all physically contiguous: long reads such as mem_map
	 * in vmemmap then translate once per huge page. */
	struct kd_error *(*vtop_extent)(struct kd_kernel *kernel, uint64_t vaddr,
					uint64_t *ret, uint64_t *extent_ret);
};

extern const struct kd_arch_ops kd_arch_x86_64;

/* ------------------------------------------------------------ VMCOREINFO */

/* The typed entries KIND(name) of VMCOREINFO (kernel/vmcore_info.c:
 * VMCOREINFO_SYMBOL(), _OFFSET(), _SIZE(), _LENGTH(), _NUMBER()), and
 * KD_VI_KEY for a plain decimal KEY such as PAGESIZE. */
enum kd_vi_kind {
	KD_VI_SYMBOL,
	KD_VI_OFFSET,
	KD_VI_SIZE,
	KD_VI_LENGTH,
	KD_VI_NUMBER,		/* signed: the _number() look-ups only */
	KD_VI_KEY,
};

/*
 * The entry KIND(@p name) a reader cannot do without. Absent, it is a
 * KD_ERROR_NOTFOUND error that names the key and @p what_for ("VMCOREINFO
 * has no OFFSET(page.flags), needed for page filtering"; callers prefix the
 * dump's path); a malformed value is KD_ERROR_CORRUPT. Every reader of the
 * kernel area looks its VMCOREINFO up through these four (vmcoreinfo.c).
 */
struct kd_error *kd_vmcoreinfo_need(const struct kd_vmcoreinfo *vi,
				    enum kd_vi_kind kind, const char *name,
				    const char *what_for, uint64_t *ret);
/*
 * The entry KIND(@p name) that some kernels lack: absent, *ret is @p dflt
 * and *found_ret (may be NULL) false; a malformed value is still an error
 * (KD_ERROR_CORRUPT), not the default.
 */
struct kd_error *kd_vmcoreinfo_opt(const struct kd_vmcoreinfo *vi,
				   enum kd_vi_kind kind, const char *name,
				   uint64_t dflt, uint64_t *ret, bool *found_ret);
/* The same for the signed NUMBER(@p name). */
struct kd_error *kd_vmcoreinfo_need_number(const struct kd_vmcoreinfo *vi,
					   const char *name,
					   const char *what_for, int64_t *ret);
struct kd_error *kd_vmcoreinfo_opt_number(const struct kd_vmcoreinfo *vi,
					  const char *name, int64_t dflt,
					  int64_t *ret, bool *found_ret);

/* --------------------------------------------------------------- symbols */

struct kd_symbol {
	uint64_t addr;
	char *name;
	char type;
};

struct kd_symtab_pool;

/* A symbol table: sorted by address for symbolize, and by name via an index.
 * Names live in a pool of large blocks (symtab.c), so 100k+ symbols cost a
 * handful of allocations and name pointers never move. */
struct kd_symtab {
	struct kd_symbol *syms;	/* sorted by address */
	size_t nsyms;
	size_t cap;		/* entries allocated in syms */
	size_t *by_name;	/* indices into syms, sorted by name */
	struct kd_symtab_pool *pool;	/* newest block first */
};

void kd_symtab_deinit(struct kd_symtab *tab);
/* Add a symbol (copying name); sort with kd_symtab_finish(). */
struct kd_error *kd_symtab_add(struct kd_symtab *tab, uint64_t addr, char type,
			       const char *name, size_t name_len);
struct kd_error *kd_symtab_finish(struct kd_symtab *tab);
const struct kd_symbol *kd_symtab_find(const struct kd_symtab *tab,
				       const char *name);
const struct kd_symbol *kd_symtab_containing(const struct kd_symtab *tab,
					     uint64_t addr);
/* Parse System.map text ("ffffffff81000000 T _stext" lines). */
struct kd_error *kd_symtab_parse_system_map(struct kd_symtab *tab,
					    const char *path, const char *text,
					    size_t len);
/* Add offset to every symbol at or above from (a finished table): a
 * System.map's link-time addresses of the kernel image, moved by KASLR.
 * KD_ERROR_CORRUPT if one would wrap past the top of the address space. */
struct kd_error *kd_symtab_relocate(struct kd_symtab *tab, uint64_t from,
				    uint64_t offset);
/* Decode the kallsyms tables that VMCOREINFO points at (kernels 6.0+). */
struct kd_error *kd_kallsyms_load(struct kd_kernel *kernel,
				  struct kd_symtab *tab);

/* ------------------------------------------------------------ ORC (orc.c) */

/* Registers of orc_entry.sp_reg / bp_reg (arch/x86/include/asm/orc_types.h). */
enum kd_orc_reg {
	KD_ORC_REG_UNDEFINED = 0,
	KD_ORC_REG_PREV_SP = 1,
	KD_ORC_REG_DX = 2,
	KD_ORC_REG_DI = 3,
	KD_ORC_REG_BP = 4,
	KD_ORC_REG_SP = 5,
	KD_ORC_REG_R10 = 6,
	KD_ORC_REG_R13 = 7,
	KD_ORC_REG_BP_INDIRECT = 8,
	KD_ORC_REG_SP_INDIRECT = 9,
};
/* orc_entry.type in the Linux 6.4+ numbering, which older layouts are
 * decoded into (orc.c). */
enum kd_orc_type {
	KD_ORC_TYPE_UNDEFINED = 0,
	KD_ORC_TYPE_END_OF_STACK = 1,
	KD_ORC_TYPE_CALL = 2,
	KD_ORC_TYPE_REGS = 3,
	KD_ORC_TYPE_REGS_PARTIAL = 4,
};
/* Layouts of the entry's bit fields: before 6.3, 6.3, 6.4 and later. */
enum { KD_ORC_V1 = 1, KD_ORC_V2 = 2, KD_ORC_V3 = 3 };
#define KD_ORC_ENTRY_SIZE 6

/* One decoded entry. */
struct kd_orc_entry {
	int16_t sp_offset, bp_offset;
	uint8_t sp_reg, bp_reg;		/* enum kd_orc_reg */
	uint8_t type;			/* enum kd_orc_type */
	bool signal;	/* the previous frame's ip is not a return address */
};

/* An ORC table (vmlinux's or a module's) copied out of the dump. */
struct kd_orc_table {
	uint64_t ip_addr;	/* address of ips[0]: each s32 is relative to its own slot */
	uint8_t *ips;		/* num little-endian s32 */
	uint8_t *entries;	/* num raw 6-byte entries */
	uint32_t num;
	int version;		/* KD_ORC_V1..V3 */
	/* vmlinux's fast look-up, or NULL: block i covers the text at
	 * lookup_start + 256 * i, entries lookup[i] .. lookup[i + 1]. */
	uint32_t *lookup;
	uint32_t nblocks;
	uint64_t lookup_start, lookup_stop;	/* _stext, _etext */
};

/* The layout version of a kernel release ("6.1.0-57-amd64"). */
int kd_orc_version_for_release(const char *release);
/* Decode the 6 bytes at @p raw written in layout @p version. */
void kd_orc_decode(const uint8_t *raw, int version, struct kd_orc_entry *ret);
/* The entry covering @p ip (the kernel's orc_find() on one table); false
 * when @p ip lies below every entry. */
bool kd_orc_find(const struct kd_orc_table *t, uint64_t ip,
		 struct kd_orc_entry *ret);
/* Copy a table of @p num entries out of the dump (no look-up table). */
struct kd_error *kd_orc_table_read(struct kd_kernel *k, uint64_t ip_addr,
				   uint64_t entries_addr, uint64_t num,
				   int version, struct kd_orc_table *ret);
void kd_orc_table_deinit(struct kd_orc_table *t);
/* vmlinux's table, read on first use and kept on the kernel handle; a
 * failure (no ORC in this kernel: KD_ERROR_NOTFOUND) is repeated. */
struct kd_error *kd_orc_vmlinux(struct kd_kernel *k,
				const struct kd_orc_table **ret);

/* The unwinder's per-kernel state (unwind.c): per-CPU stacks, symbols. */
struct kd_unwind_cache;
void kd_unwind_cache_destroy(struct kd_unwind_cache *c);

/* ------------------------------------------------------- lists (list.c) */

/* Called with the address of each struct list_head of a list but its head. */
typedef struct kd_error *kd_list_fn(uint64_t node, void *arg);
/* Walk the circular list at @p head, at most @p max entries: a loop that
 * misses the head, a NULL or misaligned link, an unreadable link or more
 * than @p max entries are errors (KD_ERROR_CORRUPT, or the read's) naming
 * @p what. @p fn may return &kd_stop to end the walk (success). */
struct kd_error *kd_list_walk(struct kd_kernel *k, uint64_t head, size_t max,
			      const char *what, kd_list_fn *fn, void *arg);

/* ----------------------------------------------- module text (module.c) */

/* Modules' text, symbols and ORC tables, read on first use. */
struct kd_module_cache;
void kd_module_cache_destroy(struct kd_module_cache *c);
/* The module whose text (core or init) holds @p addr: its name, and the
 * symbol of its own kallsyms (struct mod_kallsyms) holding @p addr with
 * the offset and the size as the kernel's %pB gives them (to the next
 * symbol, at most the text's end); *name_ret NULL when no symbol holds it.
 * False when no module's text holds @p addr. */
bool kd_module_symbolize(struct kd_kernel *k, uint64_t addr,
			 const char **module_ret, const char **name_ret,
			 uint64_t *offset_ret, uint64_t *size_ret);
/* The ORC table (mod->arch.orc_unwind_ip/orc_unwind) of the module whose
 * text holds @p addr, or NULL. */
const struct kd_orc_table *kd_module_orc(struct kd_kernel *k, uint64_t addr);
/* Whether @p addr lies in a module's text. */
bool kd_module_is_text(struct kd_kernel *k, uint64_t addr);

/* ------------------------------------------------------ report (report.c) */

/* The crash signature of a panicking task @p comm whose stack is @p bt,
 * "COMM: f1 < f2 < f3" (see struct kd_report), into @p buf. */
void kd_report_signature(const char *comm, const struct kd_backtrace *bt, char *buf,
			 size_t len);

/* ---------------------------------------------------------------- kernel */

struct kd_kernel {
	struct kd_dump *dump;
	struct kd_vmcoreinfo *vi;
	const struct kd_arch_ops *arch;
	void *arch_state;
	unsigned int paging_levels;
	uint64_t direct_map_base;
	struct kd_symtab symtab;
	const char *symbol_source;
	char *system_map;		/* from the options, or NULL */
	bool symbols_tried;		/* kd_kernel_load_symbols() ran */
	char *symbols_error;		/* its failure, repeated to later callers */
	struct kd_btf *btf;		/* vmlinux BTF, once loaded (btf.c) */
	bool btf_tried;
	enum kd_error_code btf_error_code;
	char *btf_error;		/* why there is none, for later callers */
	/* vmlinux's ORC tables (orc.c), read on first use */
	struct kd_orc_table orc;
	bool orc_tried;
	char *orc_error;
	enum kd_error_code orc_error_code;
	/* the unwinder's per-kernel state (unwind.c), or NULL */
	struct kd_unwind_cache *unwind;
	/* modules' text, symbols and ORC (module.c), or NULL */
	struct kd_module_cache *modules;
};

/* ------------------------------------------------------------------- BTF */

/* A parsed BTF blob (btf.c): libbpf's struct btf and an index by name. */
struct kd_btf;

/* Parse a BTF blob (checked before libbpf sees it, so libbpf never warns
 * on stderr); the data is copied. */
struct kd_error *kd_btf_parse(const void *data, size_t len, struct kd_btf **ret);
void kd_btf_destroy(struct kd_btf *btf);
/* The kernel's BTF, loaded on first use; the error is cached. */
struct kd_error *kd_btf_get(struct kd_kernel *kernel, struct kd_btf **ret);
/* The look-ups of the public kd_btf_*() on a blob, without the dump's path
 * in their errors. */
struct kd_error *kd_btf_lookup_field(const struct kd_btf *btf, const char *type,
				     const char *path, struct kd_btf_field *ret);
struct kd_error *kd_btf_lookup_size(const struct kd_btf *btf, const char *type,
				    uint64_t *ret);
struct kd_error *kd_btf_lookup_enum(const struct kd_btf *btf,
				    const char *enum_name, const char *name,
				    int64_t *ret);

#endif
