// SPDX-License-Identifier: LGPL-2.1-or-later
// STUB: being written (symbol tables). Replace wholesale.
#include "internal.h"
void kd_symtab_deinit(struct kd_symtab *tab) { (void)tab; }
struct kd_error *kd_symtab_add(struct kd_symtab *tab, uint64_t addr, char type, const char *name, size_t name_len)
{ (void)tab; (void)addr; (void)type; (void)name; (void)name_len; return kd_error_create(KD_ERROR_UNSUPPORTED, "stub"); }
struct kd_error *kd_symtab_finish(struct kd_symtab *tab) { (void)tab; return NULL; }
const struct kd_symbol *kd_symtab_find(const struct kd_symtab *tab, const char *name) { (void)tab; (void)name; return NULL; }
const struct kd_symbol *kd_symtab_containing(const struct kd_symtab *tab, uint64_t addr) { (void)tab; (void)addr; return NULL; }
struct kd_error *kd_symtab_parse_system_map(struct kd_symtab *tab, const char *path, const char *text, size_t len)
{ (void)tab; (void)path; (void)text; (void)len; return kd_error_create(KD_ERROR_UNSUPPORTED, "stub"); }
