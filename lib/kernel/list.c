// SPDX-License-Identifier: LGPL-2.1-or-later
// Walks of the kernel's circular doubly linked lists (struct list_head,
// include/linux/list.h: next at offset 0, prev at 8) read from a dump that
// may be damaged or hostile: every walk is bounded by a count, a cycle that
// does not pass through the head is found with Brent's algorithm (a
// constant-memory check every step), and a link that cannot be read or
// that is not aligned ends the walk with an error naming the list and
// where it broke.
#include "kernel/kernel.h"

#include <inttypes.h>

struct kd_error *kd_list_walk(struct kd_kernel *k, uint64_t head, size_t max,
			      const char *what, kd_list_fn *fn, void *arg)
{
	uint64_t node;
	struct kd_error *err = kd_kernel_read_u64(k, head, &node);
	if (err)
		return kd_error_prefix(err, "%s: the head of the list at %#" PRIx64,
				       what, head);
	// Brent: a saved node, compared with each new one; it moves to the
	// current node whenever the step count reaches the next power of 2.
	uint64_t saved = head;
	size_t power = 1, lam = 0, n = 0;
	while (node != head) {
		if (!node || node % 8)
			return kd_error_create(KD_ERROR_CORRUPT,
				"%s: a broken link (%#" PRIx64 ") after %zu entries",
				what, node, n);
		if (node == saved)
			return kd_error_create(KD_ERROR_CORRUPT,
				"%s: the list loops without coming back to its head after %zu entries",
				what, n);
		if (n == max)
			return kd_error_create(KD_ERROR_CORRUPT,
				"%s: more than %zu entries", what, max);
		err = fn(node, arg);
		if (err)
			return err == &kd_stop ? NULL : err;
		n++;
		if (++lam == power) {
			saved = node;
			power *= 2;
			lam = 0;
		}
		uint64_t next;
		err = kd_kernel_read_u64(k, node, &next);
		if (err)
			return kd_error_prefix(err, "%s: entry %zu at %#" PRIx64,
					       what, n, node);
		node = next;
	}
	return NULL;
}
