/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The capture init's report.txt (capture/report.c), internal to capture/. */
#ifndef KEXDUMP_CAPTURE_REPORT_H
#define KEXDUMP_CAPTURE_REPORT_H

#include <kexdump/service.h>

/* The longest a report may take before it is given up (seconds). */
#define CAPTURE_REPORT_TIMEOUT 120

/*
 * Write KD_DUMPDIR_REPORT into @p dir: `kexdump report`'s text for
 * @p kernel (whose dump is @p vmcore_path), made in a child process bounded
 * by @p timeout_s seconds. Called once the vmcore is safe: a crash, a hang
 * or a failure of the report costs the report only, never the dump. The
 * report's crash signature is copied into @p signature (may be "").
 */
struct kd_error *capture_report_write(struct kd_kernel *kernel, struct kd_dumpdir *dir,
				      const char *vmcore_path, unsigned int timeout_s,
				      char *signature, size_t signature_len);

#endif
