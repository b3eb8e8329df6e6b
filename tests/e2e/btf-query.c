// SPDX-License-Identifier: LGPL-2.1-or-later
// btf-query DUMP QUERY...: answer type questions from the dump's own BTF
// through the public libkexdump API, one line per query, so that
// tests/e2e/check-triage.sh can compare them with gdb on the debug vmlinux.
//
//   TYPE.MEMBER.PATH   "TYPE.PATH offset=N size=N"   (offsetof, sizeof member)
//   sizeof:TYPE        "sizeof:TYPE N"
//   enum:NAME          "enum:NAME N"                 (an enumerator's value)
//
// A failed query prints "QUERY error: MESSAGE"; the exit status is 1 when
// any query failed, 2 when the dump or its BTF cannot be opened.
#include <stdio.h>
#include <string.h>

#include <kexdump/kexdump.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: btf-query DUMP QUERY...\n");
		return 2;
	}
	struct kd_dump *dump = NULL;
	struct kd_kernel *k = NULL;
	struct kd_error *err = kd_dump_open(argv[1], &dump);
	if (!err)
		err = kd_kernel_open(dump, NULL, &k);
	if (!err)
		err = kd_btf_load(k);
	if (err) {
		fprintf(stderr, "btf-query: %s\n", kd_error_message(err));
		kd_error_destroy(err);
		kd_kernel_close(k);
		kd_dump_close(dump);
		return 2;
	}
	int rc = 0;
	for (int i = 2; i < argc; i++) {
		const char *q = argv[i];
		if (!strncmp(q, "sizeof:", 7)) {
			uint64_t size;
			err = kd_btf_type_size(k, q + 7, &size);
			if (!err)
				printf("%s %llu\n", q, (unsigned long long)size);
		} else if (!strncmp(q, "enum:", 5)) {
			int64_t v;
			err = kd_btf_enum_value(k, NULL, q + 5, &v);
			if (!err)
				printf("%s %lld\n", q, (long long)v);
		} else {
			char type[256];
			const char *dot = strchr(q, '.');
			if (!dot || (size_t)(dot - q) >= sizeof(type)) {
				printf("%s error: not TYPE.MEMBER\n", q);
				rc = 1;
				continue;
			}
			memcpy(type, q, (size_t)(dot - q));
			type[dot - q] = 0;
			struct kd_btf_field f;
			err = kd_btf_field(k, type, dot + 1, &f);
			if (!err)
				printf("%s offset=%llu size=%llu\n", q,
				       (unsigned long long)f.offset,
				       (unsigned long long)f.size);
		}
		if (err) {
			printf("%s error: %s\n", q, kd_error_message(err));
			kd_error_destroy(err);
			rc = 1;
		}
	}
	kd_kernel_close(k);
	kd_dump_close(dump);
	return rc;
}
