// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump: the command line. Each subcommand is a small file on top of
// libkexdump; this one dispatches and holds the shared helpers.
#include "cli.h"
#include "../capture/capture.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "info", cmd_info, "DUMP [--json|--vmcoreinfo] [--system-map FILE]   what the dump holds" },
	{ "dmesg", cmd_dmesg, "DUMP [--caller-id] [--system-map FILE]   the kernel log" },
	{ "report", cmd_report, "DUMP [--json] [--log-lines N] [--system-map FILE]   the first page after a crash: panic, stacks, memory, modules, tasks, log" },
	{ "bt", cmd_bt, "DUMP [PID...|--all|--cpu N...] [--json] [--system-map FILE]   kernel stacks at the crash, of CPUs or tasks (ORC, no debug files)" },
	{ "ps", cmd_ps, "DUMP [--json] [--system-map FILE]   every task: pid, parent, CPU, state, command ('>' on a CPU)" },
	{ "mod", cmd_mod, "DUMP [--json] [--system-map FILE]   the loaded modules: name, base, size, taint" },
	{ "symbols", cmd_symbols, "DUMP   the kernel's symbol table as a System.map" },
	{ "save", cmd_save, "SOURCE DEST|- [-d LEVEL] [--format kdump|elf|flat] [--compress C] [-j N]   write a filtered, compressed dump" },
	{ "pages", cmd_pages, "DUMP [-d LEVEL] [--json]   pages each makedumpfile dump level leaves out" },
	{ "read", cmd_read, "DUMP SYMBOL[+OFF]|ADDR [LEN] [--string|--raw] [--phys]   read memory" },
	{ "load", cmd_load, "--crash|--reboot [--kernel K] [--initrd I|--no-initrd] [--append ARGS] [--reuse-cmdline|--command-line FULL] [--dry-run]   load a kernel with kexec_file_load" },
	{ "unload", cmd_unload, "[--crash|--reboot]   empty a kexec slot (default: crash)" },
	{ "exec", cmd_exec, "  reboot now into the kernel loaded with load --reboot (sync, no firmware, no service shutdown)" },
	{ "status", cmd_status, "[--json] [--config FILE]   reservation, loaded kernels, target, last dump; exit 0 if armed, 1 if not" },
	{ "setup", cmd_setup, "[--config FILE] [--apply-bootloader] [--no-systemd] [--boot] [--print-units] [--kernel RELEASE]   arm this machine for crash dumps" },
	{ "test", cmd_test, "[--json] [--config FILE] | --yes-crash-now   rehearse a crash without crashing (exit 0 if all pass), or crash the machine" },
	{ "list", cmd_list, "[--json] [--config FILE] [DIR]   the dumps on the target: date, kernel, size, complete or not, panic line" },
	{ "capture", capture_command, "[--config FILE] [--vmcore FILE] [--target-dir DIR] [--no-action]   the capture kernel's flow on this system (tests)" },
	{ "initramfs", cmd_initramfs, "-o FILE [--config FILE] [--release R] [--module NAME]... [--list]   build the capture initramfs" },
};

static void main_usage(FILE *out)
{
	fprintf(out, "usage: kexdump COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
}

// Write "kexdump: " + @p what + the formatted message on stderr as exactly
// one line: trailing white space dropped, embedded line breaks (and the
// indentation after them) collapsed into "; ", one newline at the end.
// Messages name files and quote dumps: control characters in them are
// written as '?' (cli_sanitize_write), never sent to the terminal.
static void main_put_line(const char *what, const char *msg, const char *hint)
{
	size_t n = strlen(msg);
	while (n && isspace((unsigned char)msg[n - 1]))
		n--;
	size_t i = 0;
	while (i < n && isspace((unsigned char)msg[i]))
		i++;
	// At most 2 bytes ("; ") for each byte of the message.
	char *line = malloc(2 * (n - i) + 1);
	size_t o = 0;
	for (char prev = ' '; line && i < n; i++) {
		char ch = msg[i];
		if (ch == '\n' || ch == '\r') {
			while (i + 1 < n && isspace((unsigned char)msg[i + 1]))
				i++;
			if (strchr(":;,.", prev)) {
				line[o++] = ' ';
			} else {
				line[o++] = ';';
				line[o++] = ' ';
			}
			prev = ' ';
			continue;
		}
		line[o++] = ch;
		prev = ch;
	}
	flockfile(stderr);
	fputs("kexdump: ", stderr);
	fputs(what, stderr);
	if (line)
		cli_sanitize_write(stderr, line, o);
	else
		fputs("out of memory", stderr);
	if (hint)
		fputs(hint, stderr);
	putc_unlocked('\n', stderr);
	funlockfile(stderr);
	free(line);
}

static void main_put_vline(const char *what, const char *fmt, va_list ap)
{
	char *msg;
	if (vasprintf(&msg, fmt, ap) < 0) {
		main_put_line(what, fmt, NULL);
		return;
	}
	main_put_line(what, msg, NULL);
	free(msg);
}

int cli_fail(struct kd_error *err)
{
	// A permission error as a user: most of what kexdump touches (block
	// devices, kexec, /proc/vmcore) is root's.
	int e = kd_error_errno(err);
	const char *hint = (e == EACCES || e == EPERM) && geteuid() != 0 ?
		" (run as root)" : NULL;
	main_put_line("", kd_error_message(err), hint);
	kd_error_destroy(err);
	return EXIT_BAD_INPUT;
}

int cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	main_put_vline("", fmt, ap);
	va_end(ap);
	return EXIT_BAD_INPUT;
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	main_put_vline("warning: ", fmt, ap);
	va_end(ap);
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	main_put_vline("usage: ", fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int cli_open(const char *path, const char *system_map, struct kd_dump **dump_ret,
	     struct kd_kernel **kernel_ret)
{
	struct kd_dump *dump;
	struct kd_error *err = kd_dump_open(path, &dump);
	if (err)
		return cli_fail(err);
	struct kd_kernel_options opts = { .system_map = system_map };
	struct kd_kernel *kernel = NULL;
	err = kd_kernel_open(dump, &opts, &kernel);
	// A System.map the user names must load; kallsyms load when used.
	if (!err && system_map)
		err = kd_kernel_load_symbols(kernel);
	if (err) {
		kd_kernel_close(kernel);
		kd_dump_close(dump);
		return cli_fail(err);
	}
	*dump_ret = dump;
	*kernel_ret = kernel;
	return 0;
}

// The options of the commands that take "DUMP [--json] [--system-map FILE]"
// and nothing else (ps, mod): parsed, then the dump opened.
int cli_open_json(int argc, char **argv, const char *usage, bool *json_ret,
		  struct kd_dump **dump_ret, struct kd_kernel **kernel_ret)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "system-map", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *system_map = NULL;
	int c;
	*json_ret = false;
	while ((c = getopt_long(argc, argv, "jm:h", opts, NULL)) != -1) {
		if (c == 'j')
			*json_ret = true;
		else if (c == 'm')
			system_map = optarg;
		else
			return cli_usage("%s", usage);
	}
	if (optind + 1 != argc)
		return cli_usage("%s", usage);
	return cli_open(argv[optind], system_map, dump_ret, kernel_ret);
}

void cli_close(struct kd_dump *dump, struct kd_kernel *kernel)
{
	kd_kernel_close(kernel);
	kd_dump_close(dump);
}

int main(int argc, char **argv)
{
	// The same static binary is /init of the capture initramfs. Only as
	// "init": kexdump may be PID 1 of a container too.
	const char *self = argc > 0 ? strrchr(argv[0], '/') : NULL;
	self = self ? self + 1 : argc > 0 ? argv[0] : "";
	if (getpid() == 1 && !strcmp(self, "init"))
		return capture_main(argc, argv);
	// Option errors are reported by each command's one usage line.
	opterr = 0;
	if (argc < 2)
		return cli_usage("kexdump COMMAND [ARGS] (kexdump --help lists the commands)");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		main_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("kexdump 0.1.0\n");
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	cli_error("%s: unknown command (kexdump --help lists them)", argv[1]);
	return EXIT_USAGE;
}
