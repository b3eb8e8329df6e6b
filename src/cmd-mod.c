// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump mod: the dumped kernel's loaded modules as /proc/modules showed
// them (name, size, core text base, taint letters), read with the dump's
// own BTF.
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>

int cmd_mod(int argc, char **argv)
{
	static const char usage[] = "kexdump mod DUMP [--json] [--system-map FILE]";
	struct kd_dump *dump;
	struct kd_kernel *kernel;
	bool json;
	int rc = cli_open_json(argc, argv, usage, &json, &dump, &kernel);
	if (rc)
		return rc;
	struct kd_module *mods;
	size_t n;
	struct kd_error *err = kd_module_list(kernel, &mods, &n);
	cli_close(dump, kernel);
	if (err)
		return cli_fail(err);
	if (json) {
		struct json j = { .out = stdout };
		json_begin_object(&j, NULL);
		json_begin_array(&j, "modules");
		for (size_t i = 0; i < n; i++) {
			const struct kd_module *m = &mods[i];
			json_begin_object(&j, NULL);
			json_string(&j, "name", m->name);
			json_hex(&j, "address", m->base);
			json_u64(&j, "size", m->size);
			json_string(&j, "taint", m->taint);
			json_hex(&j, "module", m->addr);
			json_u64(&j, "text_size", m->text_size);
			json_end_object(&j);
		}
		json_end_array(&j);
		json_end_object(&j);
	} else {
		printf("     MODULE       NAME                        BASE           SIZE  TAINT\n");
		for (size_t i = 0; i < n; i++) {
			const struct kd_module *m = &mods[i];
			printf("%016" PRIx64 "  %-24s  %016" PRIx64 "  %8" PRIu64 "  %s\n",
			       m->addr, cli_sanitize(m->name), m->base, m->size,
			       cli_sanitize(m->taint));
		}
	}
	free(mods);
	return fflush(stdout) ? EXIT_BAD_INPUT : 0;
}
