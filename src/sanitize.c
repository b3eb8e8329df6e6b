// SPDX-License-Identifier: LGPL-2.1-or-later
// Text from dumps, dump folders and their summaries is hostile: printed
// raw, an ESC or a C1 CSI (U+009B) in a folder name or a kernel release
// would drive the user's terminal (clear it, retitle it, fake output). The
// human outputs (list, info, status, the one-line errors) pass every such
// string through here; --json escapes instead (json.c). dmesg and
// info --vmcoreinfo stay byte-identical to makedumpfile's and are not
// sanitised.
#include "cli.h"

#include <stdlib.h>
#include <string.h>

size_t cli_utf8_char(const unsigned char *s, size_t n, uint32_t *cp_ret)
{
	// RFC 3629 section 4: no overlong forms, no surrogates, <= U+10FFFF.
	if (!n)
		return 0;
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp_ret = c;
		return 1;
	}
	size_t len;
	uint32_t cp, min;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_ret = cp;
	return len;
}

// Code points a terminal acts on rather than shows: C0, DEL, C1, and the
// bidirectional overrides and isolates that reorder what follows (the
// "Trojan Source" characters, CVE-2021-42574), and the line and paragraph
// separators.
static bool sanitize_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

// Write s[0..n) to dst (room for n + 1 bytes): each control character and
// each byte that is not valid UTF-8 as one '?'. Returns the length.
static size_t sanitize_copy(char *dst, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = cli_utf8_char(p + i, n - i, &cp);
		if (!len || sanitize_is_control(cp)) {
			dst[o++] = '?';
			i += len ? len : 1;
			continue;
		}
		memcpy(dst + o, p + i, len);
		o += len;
		i += len;
	}
	dst[o] = '\0';
	return o;
}

void cli_sanitize_write(FILE *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;
	while (i < n) {
		uint32_t cp;
		size_t len = cli_utf8_char(p + i, n - i, &cp);
		if (len && !sanitize_is_control(cp)) {
			i += len;
			continue;
		}
		fwrite(p + run, 1, i - run, out);
		putc('?', out);
		i += len ? len : 1;
		run = i;
	}
	fwrite(p + run, 1, i - run, out);
}

// A few buffers used in turn, so that one printf can take several
// sanitised arguments; kept for the next calls (reachable, not leaked).
#define SANITIZE_SLOTS 8

const char *cli_sanitize(const char *s)
{
	static char *slot[SANITIZE_SLOTS];
	static size_t cap[SANITIZE_SLOTS];
	static unsigned next;
	if (!s)
		return "";
	size_t n = strlen(s);
	unsigned i = next++ % SANITIZE_SLOTS;
	if (cap[i] < n + 1) {
		char *p = realloc(slot[i], n + 1);
		if (!p)
			return "(out of memory)";
		slot[i] = p;
		cap[i] = n + 1;
	}
	sanitize_copy(slot[i], s, n);
	return slot[i];
}
