// SPDX-License-Identifier: LGPL-2.1-or-later
// A tiny JSON writer for --json output (RFC 8259 string escaping).
#include "cli.h"

static void sep(struct json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->out);
	j->need_comma[j->depth] = true;
	if (key) {
		json_string(&(struct json){ .out = j->out }, NULL, key);
		fputc(':', j->out);
	}
}

static void escaped(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void json_string(struct json *j, const char *key, const char *value)
{
	if (key || j->depth)
		sep(j, key);
	escaped(j->out, value);
}

static void open_(struct json *j, const char *key, char c)
{
	if (j->depth)
		sep(j, key);
	fputc(c, j->out);
	if (j->depth + 1 < (int)(sizeof(j->need_comma) / sizeof(j->need_comma[0])))
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_(struct json *j, char c)
{
	fputc(c, j->out);
	if (j->depth > 0)
		j->depth--;
	if (j->depth == 0)
		fputc('\n', j->out);
}

void json_begin_object(struct json *j, const char *key)
{
	open_(j, key, '{');
}

void json_end_object(struct json *j)
{
	close_(j, '}');
}

void json_begin_array(struct json *j, const char *key)
{
	open_(j, key, '[');
}

void json_end_array(struct json *j)
{
	close_(j, ']');
}

void json_u64(struct json *j, const char *key, unsigned long long value)
{
	sep(j, key);
	fprintf(j->out, "%llu", value);
}

void json_i64(struct json *j, const char *key, long long value)
{
	sep(j, key);
	fprintf(j->out, "%lld", value);
}

void json_f64(struct json *j, const char *key, double value)
{
	sep(j, key);
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
	sep(j, key);
	fputs(value ? "true" : "false", j->out);
}

void json_null(struct json *j, const char *key)
{
	sep(j, key);
	fputs("null", j->out);
}
