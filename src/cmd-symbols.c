// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump symbols: the dumped kernel's symbol table in System.map form, made
// from the kallsyms tables inside the dump. Debian ships only a stub
// System.map; this one works with crash, gdb or `kexdump --system-map`.
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>

int cmd_symbols(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "system-map", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char usage[] = "kexdump symbols DUMP [--system-map FILE]";
	const char *system_map = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "m:h", opts, NULL)) != -1) {
		if (c != 'm')
			return cli_usage("%s", usage);
		system_map = optarg;
	}
	if (optind + 1 != argc)
		return cli_usage("%s", usage);
	struct kd_dump *dump;
	struct kd_kernel *kernel;
	int rc = cli_open(argv[optind], system_map, &dump, &kernel);
	if (rc)
		return rc;
	// A table that fails to decode says why; only a kernel without one
	// (before 6.0, no --system-map) gets the hint.
	struct kd_error *err = kd_kernel_load_symbols(kernel);
	size_t n = err ? 0 : kd_kernel_num_symbols(kernel);
	if (!err && !n)
		err = kd_error_create(KD_ERROR_NOTFOUND,
			"%s: no symbol table (VMCOREINFO of kernels before 6.0 has no kallsyms)",
			argv[optind]);
	const char *name;
	char type;
	uint64_t addr;
	for (size_t i = 0; i < n && kd_kernel_symbol_at(kernel, i, &name, &type, &addr); i++)
		printf("%016" PRIx64 " %c %s\n", addr, type, name);
	cli_close(dump, kernel);
	if (err)
		return cli_fail(err);
	return fflush(stdout) ? EXIT_BAD_INPUT : 0;
}
