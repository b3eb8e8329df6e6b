// SPDX-License-Identifier: LGPL-2.1-or-later
// The one error idiom: a heap object with a code, an errno and a message.
// Out of memory is reported with a static object so that it never fails.
#include "util/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

struct kd_error {
	enum kd_error_code code;
	int errnum;
	bool is_static;
	char *message;
};

struct kd_error kd_enomem = {
	.code = KD_ERROR_NOMEM,
	.errnum = ENOMEM,
	.is_static = true,
	.message = (char *)"out of memory",
};

// "Stop the walk", returned by iteration callbacks; code 0 is no real code.
KD_EXPORT struct kd_error kd_stop = {
	.code = 0,
	.errnum = 0,
	.is_static = true,
	.message = (char *)"stopped",
};

static struct kd_error *error_vcreate(enum kd_error_code code, int errnum,
				      const char *fmt, va_list ap)
{
	struct kd_error *err = malloc(sizeof(*err));
	if (!err)
		return &kd_enomem;
	err->code = code;
	err->errnum = errnum;
	err->is_static = false;
	if (vasprintf(&err->message, fmt, ap) < 0) {
		free(err);
		return &kd_enomem;
	}
	return err;
}

KD_EXPORT struct kd_error *kd_error_create(enum kd_error_code code,
					   const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct kd_error *err = error_vcreate(code, 0, fmt, ap);
	va_end(ap);
	return err;
}

KD_EXPORT struct kd_error *kd_error_os(int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct kd_error *err = error_vcreate(KD_ERROR_OS, errnum, fmt, ap);
	va_end(ap);
	if (err->is_static)
		return err;
	char *msg;
	if (asprintf(&msg, "%s: %s", err->message, strerror(errnum)) < 0)
		return err;
	free(err->message);
	err->message = msg;
	return err;
}

KD_EXPORT struct kd_error *kd_error_prefix(struct kd_error *err,
					   const char *fmt, ...)
{
	if (!err || err->is_static)
		return err;
	char *prefix, *msg;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (r < 0)
		return err;
	if (asprintf(&msg, "%s: %s", prefix, err->message) >= 0) {
		free(err->message);
		err->message = msg;
	}
	free(prefix);
	return err;
}

KD_EXPORT enum kd_error_code kd_error_code(const struct kd_error *err)
{
	return err->code;
}

KD_EXPORT int kd_error_errno(const struct kd_error *err)
{
	return err->errnum;
}

KD_EXPORT const char *kd_error_message(const struct kd_error *err)
{
	return err->message;
}

KD_EXPORT void kd_error_destroy(struct kd_error *err)
{
	if (!err || err->is_static)
		return;
	free(err->message);
	free(err);
}

KD_EXPORT bool kd_error_catch(struct kd_error **err, enum kd_error_code code)
{
	if (!*err || (*err)->code != code)
		return false;
	kd_error_destroy(*err);
	*err = NULL;
	return true;
}
