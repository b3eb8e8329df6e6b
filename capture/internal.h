/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the files of the capture init share (capture/init.c: PID 1, the
 * dump, the local targets; capture/chain.c: the target chain and its
 * network links). Never installed, not seen by src/. */
#ifndef KEXDUMP_CAPTURE_INTERNAL_H
#define KEXDUMP_CAPTURE_INTERNAL_H

#include <kexdump/service.h>

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define TARGET_MNT "/mnt"
#define CONSOLE_TAIL 50		/* log lines shown when nothing reaches the disk */

struct capture {
	bool pid1;
	const char *config_path;
	bool config_given;	/* else a missing /etc/kexdump.conf is the defaults */
	const char *vmcore_path;
	const char *target_dir;	/* kexdump capture --target-dir */
	struct kd_config cfg;
	bool have_cfg;
	struct kd_dump *dump;
	struct kd_kernel *kernel;
	char release[65];	/* of the crashed kernel */
	char panic[256];
	char host[65];
	char date[32];		/* "YYYY-MM-DD HH:MM:SS" UTC */
	char mnt[PATH_MAX];	/* where we mounted the target, "" if we did not */
	char base[PATH_MAX];	/* folder holding the dump folders */
	char dir[PATH_MAX];	/* this capture's folder (or raw device), "" until made */
	struct kd_dumpdir *dumpdir;	/* the folder being written, NULL if none */
	bool dmesg_done;
	char dmesg_error[256];
	char error[512];	/* first failure, for the summary and console */
	struct kd_save_stats stats;
	double seconds;
	char fallback_why[384];	/* why the kernel is not interpreted: copy the dump */
	const char *fallback;	/* "elf-copy" once the vmcore is that copy */
	char warning[512];	/* the summary's warning when not the save's */
	char compress_auto[1024];	/* kd_save_auto_describe() of the save */
	unsigned int timeout;	/* the watchdog's bound, seconds */
	atomic_bool done;	/* the watchdog stands down */
	int net_state;		/* 0 not tried, 1 up, -1 failed (net_error says why) */
	char net_error[384];
	/* The target chain: the link being tried, and those that failed. */
	char target_name[600];
	char failed[KD_CONFIG_MAX_TARGETS][384];
	size_t nfailed;
	bool any_dmesg;		/* some target holds dmesg.txt */
	/* An ssh link: what its link did (the summary's link_drops=). */
	unsigned int link_drops, link_resumed;
};

// The summary's status (lib/service/dumpdir.c) is the outcome.
enum outcome {
	OUT_COMPLETE = KD_DUMPDIR_COMPLETE,
	OUT_INCOMPLETE = KD_DUMPDIR_INCOMPLETE,
	OUT_FAILED = KD_DUMPDIR_FAILED,
};



struct write_ctx {
	FILE *out;
	uint64_t skip;		/* records to skip (console tail) */
	uint64_t count;
};

/* init.c */
void capture_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Record the first failure and say it on the console. */
void capture_fail(struct capture *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void capture_fail_err(struct capture *c, struct kd_error *err);
double capture_now(void);
void capture_sleep_ms(unsigned int ms);
/* A kd_printk_iterate() callback writing records to a write_ctx. */
struct kd_error *capture_write_record(const struct kd_printk_record *rec, void *arg);
void capture_console_tail(struct capture *c, uint64_t lines);
void capture_write_dmesg(struct capture *c);
/* The summary of the outcome @p out; @p failed holds the pointers. */
/* Say what --compress auto chose and why (nothing without auto). */
void capture_say_auto(struct capture *c);
void capture_summary(struct capture *c, enum outcome out, struct kd_dumpdir_summary *s,
		     const char **failed);
void capture_write_summary(struct capture *c, enum outcome out);
void capture_save_options(const struct capture *c, struct kd_save_options *o);
enum outcome capture_raw(struct capture *c);
enum outcome capture_fs(struct capture *c);
/* The dump folder in c->base, the log, the dump, the summary. */
enum outcome capture_into_base(struct capture *c);
void capture_unmount_target(struct capture *c);

/* chain.c */
/* Bring up the capture kernel's network once; false when it could not. */
bool capture_network(struct capture *c);
/* Each link of the chain in turn until one takes the whole dump. */
enum outcome capture_chain(struct capture *c);

#endif
