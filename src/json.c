// SPDX-License-Identifier: LGPL-2.1-or-later
// A tiny JSON writer for --json output (RFC 8259 string escaping).
#include "cli.h"

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

static void json_escaped(FILE *out, const char *s)
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
