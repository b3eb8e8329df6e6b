/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kexdump command: shared helpers of the subcommands. */
#ifndef KEXDUMP_CLI_H
#define KEXDUMP_CLI_H

#include <kexdump/service.h>

#include <stdbool.h>
#include <stdio.h>

/* Exit codes: 0 success, 1 the dump or input was bad, 2 usage. */
enum { EXIT_BAD_INPUT = 1, EXIT_USAGE = 2 };

/* Every message a user sees is one line on stderr, "kexdump: WHAT: PROBLEM",
 * and says what to do where there is something to do. These print it so:
 * a trailing newline is added, embedded ones are collapsed into "; ". */

/* Print "kexdump: MESSAGE" (plus "(run as root)" for EACCES/EPERM as a user),
 * destroy err, return EXIT_BAD_INPUT. */
int cli_fail(struct kd_error *err);
/* Print "kexdump: MESSAGE" and return EXIT_BAD_INPUT. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "kexdump: warning: MESSAGE"; the command goes on. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "kexdump: usage: ..." and return EXIT_USAGE. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Open DUMP and its kernel (system_map may be NULL). On failure prints and
 * returns non-zero. */
int cli_open(const char *path, const char *system_map, struct kd_dump **dump_ret,
	     struct kd_kernel **kernel_ret);
void cli_close(struct kd_dump *dump, struct kd_kernel *kernel);
/* Parse "DUMP [--json] [--system-map FILE]" (usage line @p usage) and
 * cli_open() DUMP; non-zero (printed) on a usage error or a failed open. */
int cli_open_json(int argc, char **argv, const char *usage, bool *json_ret,
		  struct kd_dump **dump_ret, struct kd_kernel **kernel_ret);

int cmd_info(int argc, char **argv);
int cmd_dmesg(int argc, char **argv);
int cmd_read(int argc, char **argv);
int cmd_symbols(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_pages(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_unload(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_setup(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_initramfs(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_bt(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_mod(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* /proc/cmdline without its trailing newline (malloc'ed). */
struct kd_error *cli_read_cmdline(char **ret);
/* kd_kexec_load(), then the record `kexdump status` reads (a record that
 * cannot be written is a warning: the kernel is loaded all the same). */
struct kd_error *cli_load_and_record(enum kd_kexec_slot slot, const char *kernel,
				     const char *initrd, const char *cmdline);

/* "123 B", "4.5 MiB", ... into buf. */
void cli_human_size(uint64_t n, char *buf, size_t len);
/* Seconds since the epoch as "YYYY-MM-DD HH:MM:SS UTC" (the number when
 * out of range), the one spelling of times in the commands' output. */
void cli_format_time(int64_t t, char *buf, size_t len);

/* Strings from dumps, dump folders, summaries, records and file names are
 * hostile: the human outputs print them through these, which turn C0 and
 * C1 controls, DEL, bidirectional overrides and bytes that are not valid
 * UTF-8 into '?' and keep printable UTF-8 (src/sanitize.c). */
/* s (NULL: "") sanitised, in one of 8 buffers used in turn: valid until the
 * 8th next call, enough for the arguments of one printf. */
const char *cli_sanitize(const char *s);
/* Write the n bytes at s sanitised. */
void cli_sanitize_write(FILE *out, const char *s, size_t n);
/* The length of the valid UTF-8 character at s (at most n bytes) and its
 * code point; 0 when s does not start with one. */
size_t cli_utf8_char(const unsigned char *s, size_t n, uint32_t *cp_ret);

/* A minimal JSON writer: enough for flat objects, nested objects and arrays. */
struct json {
	FILE *out;
	int depth;
	bool need_comma[16];
};
void json_begin_object(struct json *j, const char *key);
void json_end_object(struct json *j);
void json_begin_array(struct json *j, const char *key);
void json_end_array(struct json *j);
void json_string(struct json *j, const char *key, const char *value);
void json_u64(struct json *j, const char *key, unsigned long long value);
void json_i64(struct json *j, const char *key, long long value);
void json_hex(struct json *j, const char *key, unsigned long long value);
void json_f64(struct json *j, const char *key, double value);
void json_bool(struct json *j, const char *key, bool value);
void json_null(struct json *j, const char *key);

/* A backtrace as crash prints one ("#N [sp] function+0xoff/0xsize [module]",
 * "--- <IRQ stack> ---" where the walk leaves a stack), and as a --json
 * "frames" array plus "stopped" and "user_regs" (src/cmd-bt.c). */
void cli_print_frames(FILE *out, const struct kd_backtrace *bt);
void cli_json_frames(struct json *j, const char *key, const struct kd_backtrace *bt);

#endif
