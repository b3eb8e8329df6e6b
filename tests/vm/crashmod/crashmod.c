// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashmod: the test module of tests/vm/init (built by tests/vm/crashmod.sh
 * against Debian's linux-headers package). It makes three of the panics
 * kexdump's triage is checked on; writing a word to /proc/crashmod picks one:
 *   oops  a NULL pointer write in process context (the writer's syscall);
 *   irq   a NULL pointer write from a hard-IRQ hrtimer callback, so the
 *         oops happens on the IRQ stack above the interrupted task's stack;
 *   hang  the writer sleeps in D state (TASK_UNINTERRUPTIBLE) for ever,
 *         in crashmod_write(), for the hung-task detector.
 *
 * This file alone is GPL-2.0-only, not the project's LGPL-2.1-or-later: it
 * is a Linux kernel module, which must declare a GPL-compatible
 * MODULE_LICENSE to use the kernel's EXPORT_SYMBOL_GPL interfaces (the
 * hrtimer_* functions) and to load without the proprietary-module taint;
 * MODULE_LICENSE("GPL") means GPL-2.0, so the file is licensed so.
 */
#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/string.h>
#include <linux/uaccess.h>

static struct hrtimer crashmod_timer;
static DECLARE_COMPLETION(crashmod_never);
/* Read through READ_ONCE, so the compiler cannot see it is NULL. */
static int *crashmod_null;

/* The callback of a HRTIMER_MODE_REL_HARD timer runs in hard-IRQ context
 * (kernel/time/hrtimer.c __hrtimer_run_queues from hrtimer_interrupt), on
 * the CPU's IRQ stack. */
static noinline enum hrtimer_restart crashmod_timer_fn(struct hrtimer *t)
{
	int *p = READ_ONCE(crashmod_null);

	pr_emerg("crashmod: NULL pointer write in hard-IRQ context\n");
	WRITE_ONCE(*p, 1);
	return HRTIMER_NORESTART;
}

static noinline void crashmod_oops(void)
{
	int *p = READ_ONCE(crashmod_null);

	pr_emerg("crashmod: NULL pointer write in process context\n");
	WRITE_ONCE(*p, 2);
}

static noinline void crashmod_hang(void)
{
	pr_emerg("crashmod: %s (pid %d) sleeps in D state\n", current->comm, current->pid);
	/* Never completed: TASK_UNINTERRUPTIBLE until the hung-task panic. */
	wait_for_completion(&crashmod_never);
	pr_emerg("crashmod: woke up\n");
}

static ssize_t crashmod_write(struct file *file, const char __user *buf,
			      size_t len, loff_t *pos)
{
	char cmd[8] = "";

	if (copy_from_user(cmd, buf, min(len, sizeof(cmd) - 1)))
		return -EFAULT;
	strim(cmd);
	if (!strcmp(cmd, "oops"))
		crashmod_oops();
	else if (!strcmp(cmd, "irq"))
		hrtimer_start(&crashmod_timer, ms_to_ktime(10), HRTIMER_MODE_REL_HARD);
	else if (!strcmp(cmd, "hang"))
		crashmod_hang();
	else
		return -EINVAL;
	return len;
}

static const struct proc_ops crashmod_ops = {
	.proc_write = crashmod_write,
};

static int __init crashmod_init(void)
{
	hrtimer_init(&crashmod_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	crashmod_timer.function = crashmod_timer_fn;
	if (!proc_create("crashmod", 0200, NULL, &crashmod_ops))
		return -ENOMEM;
	return 0;
}

static void __exit crashmod_exit(void)
{
	remove_proc_entry("crashmod", NULL);
	hrtimer_cancel(&crashmod_timer);
}

module_init(crashmod_init);
module_exit(crashmod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kexdump test module: oops, IRQ-context oops, hung task");
