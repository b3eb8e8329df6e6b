// SPDX-License-Identifier: LGPL-2.1-or-later
// kexdump read: memory of the dumped kernel by symbol or address, as a
// hex dump, raw bytes or a C string.
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum read_mode { MODE_HEX, MODE_STRING, MODE_RAW };

// "SYMBOL", "SYMBOL+OFF" or a number (hex with 0x, else decimal).
static struct kd_error *read_resolve(struct kd_kernel *kernel, const char *what,
				uint64_t *ret)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(what, &end, 0);
	if (!errno && end != what && !*end) {
		*ret = v;
		return NULL;
	}
	char name[256];
	const char *plus = strchr(what, '+');
	size_t n = plus ? (size_t)(plus - what) : strlen(what);
	if (n >= sizeof(name))
		return kd_error_create(KD_ERROR_INVALID, "symbol name too long: %s", what);
	memcpy(name, what, n);
	name[n] = '\0';
	uint64_t off = 0;
	if (plus) {
		errno = 0;
		off = strtoull(plus + 1, &end, 0);
		if (errno || *end || end == plus + 1)
			return kd_error_create(KD_ERROR_INVALID, "bad offset in %s", what);
	}
	struct kd_error *err = kd_kernel_symbol(kernel, name, ret);
	if (!err)
		*ret += off;
	return err;
}

static void read_hexdump(uint64_t addr, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i += 16) {
		printf("%016" PRIx64 ": ", addr + i);
		for (size_t k = 0; k < 16; k++) {
			if (i + k < len)
				printf("%02x ", b[i + k]);
			else
				printf("   ");
		}
		printf(" ");
		for (size_t k = 0; k < 16 && i + k < len; k++)
			putchar(isprint(b[i + k]) ? b[i + k] : '.');
		printf("\n");
	}
}

int cmd_read(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "string", no_argument, NULL, 's' },
		{ "raw", no_argument, NULL, 'r' },
		{ "phys", no_argument, NULL, 'p' },
		{ "system-map", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char usage[] =
		"kexdump read DUMP SYMBOL[+OFF]|ADDR [LEN] [--string|--raw] [--phys] [--system-map FILE]";
	enum read_mode mode = MODE_HEX;
	bool phys = false;
	const char *system_map = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "srpm:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			mode = MODE_STRING;
			break;
		case 'r':
			mode = MODE_RAW;
			break;
		case 'p':
			phys = true;
			break;
		case 'm':
			system_map = optarg;
			break;
		default:
			return cli_usage("%s", usage);
		}
	}
	if (argc - optind < 2 || argc - optind > 3)
		return cli_usage("%s", usage);
	size_t len = mode == MODE_STRING ? 4096 : 64;
	if (argc - optind == 3) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(argv[optind + 2], &end, 0);
		if (errno || *end || v == 0 || v > (64ULL << 20))
			return cli_usage("LEN must be between 1 and 64 MiB");
		len = (size_t)v;
	}
	struct kd_dump *dump;
	struct kd_kernel *kernel;
	int rc = cli_open(argv[optind], system_map, &dump, &kernel);
	if (rc)
		return rc;
	uint64_t addr;
	struct kd_error *err = read_resolve(kernel, argv[optind + 1], &addr);
	uint8_t *buf = NULL;
	if (!err) {
		buf = malloc(len + 1);
		if (!buf)
			err = kd_error_create(KD_ERROR_NOMEM, "out of memory");
	}
	if (!err && mode == MODE_STRING) {
		// Read up to the string's end without failing at the next
		// unmapped page: byte-wise after the first failing chunk.
		size_t got = 0;
		while (got < len && !err) {
			size_t chunk = 4096 - (size_t)((addr + got) & 4095);
			if (chunk > len - got)
				chunk = len - got;
			err = phys ? kd_dump_read_phys(dump, addr + got, buf + got, chunk)
				   : kd_kernel_read_virt(kernel, addr + got, buf + got, chunk);
			if (!err && memchr(buf + got, '\0', chunk))
				break;
			if (!err)
				got += chunk;
		}
		if (!err) {
			buf[len] = '\0';
			fputs((char *)buf, stdout);
			size_t sl = strlen((char *)buf);
			if (!sl || buf[sl - 1] != '\n')
				putchar('\n');
		}
	} else if (!err) {
		err = phys ? kd_dump_read_phys(dump, addr, buf, len)
			   : kd_kernel_read_virt(kernel, addr, buf, len);
		if (!err && mode == MODE_RAW)
			fwrite(buf, 1, len, stdout);
		else if (!err)
			read_hexdump(addr, buf, len);
	}
	free(buf);
	cli_close(dump, kernel);
	if (err)
		return cli_fail(err);
	return fflush(stdout) ? EXIT_BAD_INPUT : 0;
}
