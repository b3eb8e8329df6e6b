/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What kexdump setup (src/cmd-setup.c) shares with kexdump test
 * (src/cmd-test.c): the checks of the config and the target chain, and
 * the modules of the capture initramfs, so that the rehearsal checks
 * exactly what setup did. */
#ifndef KEXDUMP_SETUP_H
#define KEXDUMP_SETUP_H

#include <kexdump/service.h>

#include <stdbool.h>
#include <stdint.h>

/* Where setup writes the capture initramfs, initramfs-RELEASE.img. */
#define SETUP_INITRAMFS_DIR "/var/lib/kexdump"

struct setup_opts {
	const char *config;	/* NULL = KD_CONFIG_PATH */
	bool apply_bootloader, no_systemd, boot, print_units, dry_run;
	bool quiet;		/* no warnings: the caller reports the chain itself */
	const char *kernel;	/* --kernel RELEASE: prepare for that kernel's boot */
};

/* The config and every target of its chain (@p create: make the dump
 * folders when missing; @p free_ret: the bytes free in the local one;
 * @p chain_ret: what each link gave). A failed link of a longer chain is a
 * warning (none with o->quiet) while another works. */
struct kd_error *setup_check_target(const struct setup_opts *o, bool create,
				    struct kd_target *t, uint64_t *free_ret,
				    struct kd_target_chain_state *chain_ret);
/* ... and the kernel's kexec state. */
struct kd_error *setup_load_and_check(const struct setup_opts *o, bool create,
				      struct kd_target *t, uint64_t *free_ret,
				      struct kd_kexec_state *st,
				      struct kd_target_chain_state *chain_ret);
/* The capture initramfs's modules for the chain (a local link that failed
 * brings none), and the drivers of the capture kernel's network. */
struct kd_error *setup_add_modules(struct kd_modset *set, const struct kd_config *cfg,
				   const struct kd_target_chain_state *chain);
struct kd_error *setup_network_modules(struct kd_modset *set, const struct kd_config *cfg);

#endif
