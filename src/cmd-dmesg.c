// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump dmesg: the kernel log of a dump, in makedumpfile --dump-dmesg's text.
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>

struct dmesg_ctx {
	bool caller_id;
};

static struct kd_error *dmesg_print_record(const struct kd_printk_record *rec,
				     void *arg)
{
	const struct dmesg_ctx *ctx = arg;
	char *line;
	size_t len;
	struct kd_error *err = kd_printk_format(rec, ctx->caller_id, &line, &len);
	if (err)
		return err;
	size_t w = fwrite(line, 1, len, stdout);
	free(line);
	if (w != len)
		return kd_error_os(ferror(stdout) ? 5 : 28, "writing the log");
	return NULL;
}

int cmd_dmesg(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "caller-id", no_argument, NULL, 'c' },
		{ "system-map", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char usage[] = "kexdump dmesg DUMP [--caller-id] [--system-map FILE]";
	struct dmesg_ctx ctx = { 0 };
	const char *system_map = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "cm:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ctx.caller_id = true;
			break;
		case 'm':
			system_map = optarg;
			break;
		default:
			return cli_usage("%s", usage);
		}
	}
	if (optind + 1 != argc)
		return cli_usage("%s", usage);
	struct kd_dump *dump;
	struct kd_kernel *kernel;
	int rc = cli_open(argv[optind], system_map, &dump, &kernel);
	if (rc)
		return rc;
	struct kd_error *err = kd_printk_iterate(kernel, dmesg_print_record, &ctx);
	cli_close(dump, kernel);
	if (err)
		return cli_fail(err);
	return fflush(stdout) ? EXIT_BAD_INPUT : 0;
}
