// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: VMCOREINFO text and its typed look-ups.
#include <kexdump/kexdump.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kd_vmcoreinfo *vi;
	struct kd_error *err = kd_vmcoreinfo_parse((const char *)data, size, &vi);
	if (err) {
		kd_error_destroy(err);
		return 0;
	}
	uint64_t u;
	int64_t n;
	const char *k, *v;
	kd_error_destroy(kd_vmcoreinfo_symbol(vi, "prb", &u));
	kd_error_destroy(kd_vmcoreinfo_offset(vi, "printk_info.seq", &u));
	kd_error_destroy(kd_vmcoreinfo_number(vi, "phys_base", &n));
	kd_error_destroy(kd_vmcoreinfo_kerneloffset(vi, &u));
	for (size_t i = 0; kd_vmcoreinfo_entry(vi, i, &k, &v); i++)
		;
	kd_vmcoreinfo_destroy(vi);
	return 0;
}
