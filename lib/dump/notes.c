// SPDX-License-Identifier: LGPL-2.1-or-later
// A dump's ELF notes written back as one note section (elf(5): namesz,
// descsz, type, then name and desc, each padded to 4 bytes), for the save
// writers: the kdump sub header and the ELF PT_NOTE carry them.
#include "dump/dump.h"

static bool notes_own(const struct kd_note *n)
{
	return !strcmp(n->name, KD_NOTE_NAME);
}

struct kd_error *kd_notes_serialize(const struct kd_dump *dump, bool status,
				    uint8_t **buf_ret, size_t *len_ret)
{
	// The source's own status note (a re-saved kexdump ELF) is dropped;
	// with @p status a new one, saying incomplete, ends the section.
	static const uint8_t incomplete[4] = { KD_NOTE_INCOMPLETE, 0, 0, 0 };
	struct kd_note mine = { .name = KD_NOTE_NAME, .type = KD_NOTE_STATUS,
				.desc = (uint8_t *)incomplete, .descsz = 4 };
	size_t len = 0;
	for (size_t i = 0; i <= dump->nnotes; i++) {
		const struct kd_note *n = i < dump->nnotes ? &dump->notes[i] : &mine;
		if (i < dump->nnotes ? notes_own(n) : !status)
			continue;
		len += 12 + kd_round_up(strlen(n->name) + 1, 4) + kd_round_up(n->descsz, 4);
	}
	uint8_t *buf = calloc(1, len ? len : 1);
	if (!buf)
		return &kd_enomem;
	uint8_t *p = buf;
	for (size_t i = 0; i <= dump->nnotes; i++) {
		const struct kd_note *n = i < dump->nnotes ? &dump->notes[i] : &mine;
		if (i < dump->nnotes ? notes_own(n) : !status)
			continue;
		size_t namesz = strlen(n->name) + 1;
		kd_put_le32(p, (uint32_t)namesz);
		kd_put_le32(p + 4, (uint32_t)n->descsz);
		kd_put_le32(p + 8, n->type);
		memcpy(p + 12, n->name, namesz);
		p += 12 + kd_round_up(namesz, 4);
		memcpy(p, n->desc, n->descsz);
		p += kd_round_up(n->descsz, 4);
	}
	*buf_ret = buf;
	*len_ret = len;
	return NULL;
}

