// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: System.map text into a symbol table, and look-ups.
#include "kernel/kernel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_symtab tab = {0};
	struct kd_error *err = kd_symtab_parse_system_map(&tab, "fuzz",
							  (const char *)data, size);
	if (!err) {
		kd_symtab_find(&tab, "_stext");
		kd_symtab_containing(&tab, 0xffffffff81000000ULL);
	}
	kd_error_destroy(err);
	kd_symtab_deinit(&tab);
	return 0;
}
