/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The capture init (capture/init.c): kexdump as PID 1 of the capture
 * kernel, and the same flow on a running system as `kexdump capture`.
 * It stands on libkexdump and libkexdump-service only; src/main.c calls
 * these two entry points, nothing here calls into src/. */
#ifndef KEXDUMP_CAPTURE_H
#define KEXDUMP_CAPTURE_H

/* PID 1 of the capture kernel: writes the dump, then the final action;
 * never returns. */
int capture_main(int argc, char **argv);
/* `kexdump capture [--config FILE] [--vmcore FILE] [--target-dir DIR]
 * [--no-action]`: exit 0 when the dump is complete, 1 when not, 2 on a
 * usage error. */
int capture_command(int argc, char **argv);

#endif
