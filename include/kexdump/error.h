/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file error.h
 * libkexdump errors: the one error idiom (lib/util/error.c).
 */
#ifndef KEXDUMP_ERROR_H
#define KEXDUMP_ERROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ errors */

/** What kind of failure; callers branch on this, never on the message. */
enum kd_error_code {
	KD_ERROR_NOMEM = 1,	/**< out of memory */
	KD_ERROR_OS,		/**< a system call failed; see kd_error_errno() */
	KD_ERROR_FORMAT,	/**< the input is not in the expected format */
	KD_ERROR_CORRUPT,	/**< the input claims a format but is damaged/truncated */
	KD_ERROR_UNSUPPORTED,	/**< valid, but not something we handle (yet) */
	KD_ERROR_NODATA,	/**< a physical address not present in the dump (hole, excluded page) */
	KD_ERROR_FAULT,		/**< a virtual address with no translation */
	KD_ERROR_NOTFOUND,	/**< a key, symbol or item that does not exist */
	KD_ERROR_INVALID,	/**< a bad argument from the caller */
};

/** An error: a code, an errno for KD_ERROR_OS, and a message saying what and where. */
struct kd_error;

/** Create an error with a printf-style message. Never returns NULL. */
struct kd_error *kd_error_create(enum kd_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Create a KD_ERROR_OS error from errno value @p errnum; ": strerror" is appended. */
struct kd_error *kd_error_os(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Prefix the message of @p err with context: "CONTEXT: MESSAGE" (the ": " is
 * added here, callers pass the context alone); returns @p err. */
struct kd_error *kd_error_prefix(struct kd_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum kd_error_code kd_error_code(const struct kd_error *err);
int kd_error_errno(const struct kd_error *err);
const char *kd_error_message(const struct kd_error *err);
/** Free an error; NULL is a no-op, and so is the static &kd_stop. */
void kd_error_destroy(struct kd_error *err);

/**
 * Not an error: "stop here". An iteration callback (kd_printk_fn, ...)
 * returns &kd_stop to end the walk early. The walkers of libkexdump turn it
 * into success: they return NULL to their caller, never &kd_stop, so the
 * caller learns whether the walk was cut short from its own callback state.
 * It is static: kd_error_destroy() and kd_error_prefix() leave it alone. Its
 * code is 0, which is no enum kd_error_code value, so kd_error_catch() never
 * catches it by mistake.
 */
extern struct kd_error kd_stop;

/**
 * If @p *err has code @p code, destroy it, set @p *err to NULL and return
 * true; otherwise (no error, or another code) leave it and return false.
 * The idiom for an absence that is not a failure:
 *
 *     err = kd_vmcoreinfo_offset(vi, "printk_log.caller_id", &off);
 *     has_caller_id = !err;
 *     if (err && !kd_error_catch(&err, KD_ERROR_NOTFOUND))
 *             return err;
 */
bool kd_error_catch(struct kd_error **err, enum kd_error_code code);

#ifdef __cplusplus
}
#endif

#endif /* KEXDUMP_ERROR_H */
