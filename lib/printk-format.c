// SPDX-License-Identifier: LGPL-2.1-or-later
// STUB: being written (makedumpfile-compatible formatting). Replace wholesale.
#include "internal.h"
KD_EXPORT struct kd_error *kd_printk_format(const struct kd_printk_record *rec, bool caller_id, char **ret, size_t *len_ret)
{ (void)rec; (void)caller_id; (void)ret; (void)len_ret; return kd_error_create(KD_ERROR_UNSUPPORTED, "stub"); }
