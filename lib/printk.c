// SPDX-License-Identifier: LGPL-2.1-or-later
// STUB: being written (printk ring buffer). Replace wholesale.
#include "internal.h"
KD_EXPORT struct kd_error *kd_printk_iterate(struct kd_kernel *kernel, kd_printk_fn *fn, void *arg)
{ (void)kernel; (void)fn; (void)arg; return kd_error_create(KD_ERROR_UNSUPPORTED, "stub"); }
