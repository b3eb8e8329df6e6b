/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Crafted inputs of issue 10 ("Hostile input: bounded time and memory"):
 * small files that once made kexdump use gigabytes or run for minutes.
 * tests/unit/test-hostile.c opens each one and checks that the readers fail
 * or finish within bounded memory; tests/cli/mksynth.c writes the small
 * variants into the fuzz-dump seed corpus.
 */
#ifndef KEXDUMP_TESTS_HOSTILE_H
#define KEXDUMP_TESTS_HOSTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum hostile_case {
	HOSTILE_FLAT_BITMAP,	/* 10: flattened stream declaring a 2 GiB bitmap */
	HOSTILE_KALLSYMS_ALIAS,	/* 11: page tables alias one page under kallsyms_names */
	HOSTILE_NOTES_MANY,	/* 12: 1 MiB of 12-byte notes */
	HOSTILE_NOTES_OVERLAP,	/* 13: 64 PT_NOTE headers on the same 16 MiB */
	HOSTILE_PRINTK_BITS,	/* 14: a printk ring with count_bits 26 */
	HOSTILE_KDUMP_RUNS,	/* 15: a 2nd bitmap of alternating bits */
	HOSTILE_KDUMP_RUNS_INCOMPLETE,	/* 15: the same, marked incomplete */
	HOSTILE_HIGH_LOAD,	/* 16: a PT_LOAD at 2^50 (4-level kernel) */
	HOSTILE_HIGHER_LOAD,	/* 16: a PT_LOAD at 2^60 */
	HOSTILE_EDGE_LOAD,	/* 16: a page just below 2^46, the 4-level limit */
	HOSTILE_NCASES,
};

/* Name of a case, for file names: "flat-bitmap", ... */
const char *hostile_name(enum hostile_case c);
/* The bytes of case @p c (malloc'd; *len_ret their count). @p full: the
 * size the issue reported; otherwise a variant of at most 64 KiB (a fuzzing
 * seed) with the same shape. */
uint8_t *hostile_build(enum hostile_case c, bool full, size_t *len_ret);

/* An ELF core of @p nnotes notes named @p name ("" for none) of @p type
 * with empty descs, and one page of memory. */
uint8_t *hostile_notes(size_t nnotes, const char *name, uint32_t type,
		       size_t *len_ret);

#endif
