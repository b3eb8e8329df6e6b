/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internals of lib/kexec.c that the unit tests call directly. */
#ifndef KEXDUMP_KEXEC_PRIV_H
#define KEXDUMP_KEXEC_PRIV_H

#include <kexdump/kexdump.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a failed kexec_file_load(2) was asked to do. */
struct kd_kexec_failure {
	int errnum;			/* errno of the system call */
	enum kd_kexec_slot slot;
	bool is_root;			/* effective uid 0 */
	const char *kernel;
	const char *initrd;		/* NULL = none */
	uint64_t kernel_size, initrd_size;	/* bytes of the files */
	size_t cmdline_len;		/* strlen() of the command line */
};

/*
 * The error a user should see for @p f given the kexec state @p st of the
 * machine: it names the files and says what to do (never NULL).
 */
struct kd_error *kd_kexec_explain(const struct kd_kexec_failure *f,
				  const struct kd_kexec_state *st);

#endif
