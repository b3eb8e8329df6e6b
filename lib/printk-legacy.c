// SPDX-License-Identifier: LGPL-2.1-or-later
// STUB: being written (log_buf/printk_log). Replace wholesale.
#include "internal.h"
