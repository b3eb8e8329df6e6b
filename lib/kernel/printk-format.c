// SPDX-License-Identifier: LGPL-2.1-or-later
// One kernel log record as text, byte for byte what makedumpfile
// --dump-dmesg writes (makedumpfile 1.7.2 dump_log_entry() and
// dump_record()), so that the two outputs can be compared with cmp:
//   "[%5llu.%06lu] " time stamp (seconds, microseconds),
//   "[%6s] " caller ("T<pid>" or "C<cpu>") when asked, as makedumpfile
//           1.7.5+ prints it for kernels with caller ids,
//   the text: '\n' followed by spaces up to the text column, printable
//           and white-space bytes as they are, any other byte as \xNN,
//   and a final '\n'.
#include "kernel/kernel.h"

#include <inttypes.h>
#include <stdio.h>

// printk_caller_id(): bit 31 set means a CPU number, else a task id.
#define CALLER_CPU UINT32_C(0x80000000)

// isprint() and isspace() of the C locale, without <ctype.h> so the output
// does not depend on the caller's locale.
static bool printk_format_is_print(uint8_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

static bool printk_format_is_space(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

// The time stamp and optional caller field; returns its length.
static size_t printk_format_prefix(const struct kd_printk_record *rec,
				   bool caller_id, char *buf, size_t size)
{
	uint64_t ts = rec->ts_nsec;
	int n = snprintf(buf, size, "[%5" PRIu64 ".%06" PRIu64 "] ",
			 ts / 1000000000, ts % 1000000000 / 1000);
	if (caller_id && rec->has_caller_id) {
		char id[16];
		uint32_t c = rec->caller_id;
		if (c & CALLER_CPU)
			snprintf(id, sizeof(id), "C%" PRIu32, c & ~CALLER_CPU);
		else
			snprintf(id, sizeof(id), "T%" PRIu32, c);
		n += snprintf(buf + n, size - (size_t)n, "[%6s] ", id);
	}
	return (size_t)n;
}

// Bytes one text byte becomes in the output.
static size_t printk_format_out_len(uint8_t c, size_t indent)
{
	if (c == '\n')
		return 1 + indent;
	if (printk_format_is_print(c) || printk_format_is_space(c))
		return 1;
	return 4;
}

KD_EXPORT struct kd_error *kd_printk_format(const struct kd_printk_record *rec,
					    bool caller_id, char **ret,
					    size_t *len_ret)
{
	// At most "[18446744073.709551] [C4294967295] ": well within 64.
	char prefix[64];
	size_t indent = printk_format_prefix(rec, caller_id, prefix, sizeof(prefix));
	const uint8_t *text = (const uint8_t *)rec->text;
	if (rec->text_len > (SIZE_MAX - indent - 2) / (indent + 4))
		return kd_error_create(KD_ERROR_INVALID,
			"kernel log record %" PRIu64 ": text of %zu bytes is too long to format",
			rec->seq, rec->text_len);
	size_t total = indent + 1;
	for (size_t i = 0; i < rec->text_len; i++)
		total += printk_format_out_len(text[i], indent);
	char *out = malloc(total + 1);
	if (!out)
		return &kd_enomem;
	memcpy(out, prefix, indent);
	char *p = out + indent;
	for (size_t i = 0; i < rec->text_len; i++) {
		uint8_t c = text[i];
		if (c == '\n') {
			*p++ = '\n';
			memset(p, ' ', indent);
			p += indent;
		} else if (printk_format_is_print(c) || printk_format_is_space(c)) {
			*p++ = (char)c;
		} else {
			// makedumpfile passes a plain (signed) char to "\\x%02x",
			// so bytes >= 0x80 come out as \xffffffNN there; we
			// print the byte, \xNN, on purpose.
			snprintf(p, 5, "\\x%02x", c);
			p += 4;
		}
	}
	*p++ = '\n';
	*p = '\0';
	*ret = out;
	*len_ret = total;
	return NULL;
}
