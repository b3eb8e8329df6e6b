// SPDX-License-Identifier: LGPL-2.1-or-later
// A tiny JSON writer for --json output (RFC 8259 string escaping).
#include "cli.h"

#include <string.h>

static void json_sep(struct json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->out);
	j->need_comma[j->depth] = true;
	if (key) {
		json_string(&(struct json){ .out = j->out }, NULL, key);
		fputc(':', j->out);
	}
}

// RFC 8259 section 7, and for the terminal a --json output may be read on:
// DEL and the C1 controls (U+007F..U+009F) escaped too, and bytes that are
// not valid UTF-8 (which no JSON parser takes) written as U+FFFD, one per
// byte.
static void json_escaped(FILE *out, const char *s)
{
	fputc('"', out);
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = cli_utf8_char(p + i, n - i, &cp);
		if (!len) {
			fputs("\\ufffd", out);
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(out, "\\%c", (char)cp);
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			fprintf(out, "\\u%04x", (unsigned)cp);
		else
			fwrite(p + i, 1, len, out);
		i += len;
	}
	fputc('"', out);
}

void json_string(struct json *j, const char *key, const char *value)
{
	if (key || j->depth)
		json_sep(j, key);
	json_escaped(j->out, value);
}

static void json_open(struct json *j, const char *key, char c)
{
	if (j->depth)
		json_sep(j, key);
	fputc(c, j->out);
	if (j->depth + 1 < (int)(sizeof(j->need_comma) / sizeof(j->need_comma[0])))
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void json_close(struct json *j, char c)
{
	fputc(c, j->out);
	if (j->depth > 0)
		j->depth--;
	if (j->depth == 0)
		fputc('\n', j->out);
}

void json_begin_object(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

void json_end_object(struct json *j)
{
	json_close(j, '}');
}

void json_begin_array(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

void json_end_array(struct json *j)
{
	json_close(j, ']');
}

void json_u64(struct json *j, const char *key, unsigned long long value)
{
	json_sep(j, key);
	fprintf(j->out, "%llu", value);
}

void json_i64(struct json *j, const char *key, long long value)
{
	json_sep(j, key);
	fprintf(j->out, "%lld", value);
}

void json_f64(struct json *j, const char *key, double value)
{
	json_sep(j, key);
	fprintf(j->out, "%.3f", value);
}

void json_hex(struct json *j, const char *key, unsigned long long value)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%llx", value);
	json_string(j, key, buf);
}

void json_bool(struct json *j, const char *key, bool value)
{
	json_sep(j, key);
	fputs(value ? "true" : "false", j->out);
}

void json_null(struct json *j, const char *key)
{
	json_sep(j, key);
	fputs("null", j->out);
}
