// SPDX-License-Identifier: LGPL-2.1-or-later
// STUB: being written (kallsyms decoding). Replace wholesale.
#include "internal.h"
struct kd_error *kd_kallsyms_load(struct kd_kernel *kernel, struct kd_symtab *tab)
{ (void)kernel; (void)tab; return kd_error_create(KD_ERROR_UNSUPPORTED, "stub"); }
