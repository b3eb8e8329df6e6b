// SPDX-License-Identifier: LGPL-2.1-or-later
// libFuzzer target: what the capture kernel's network reads from outside:
// a received frame through the DHCP client's unframe and parse, rtnetlink
// replies through each parser, and the network key's value. A value that
// parses must format as text that parses back to the same settings.
#include "service/service.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	// The xid is the input's first four bytes, so replies can match it.
	uint32_t xid = size >= 8 ? kd_be32(data + 4) : 0;
	const uint8_t *m;
	size_t mlen;
	struct kd_dhcp_lease l;
	struct kd_error *err = kd_dhcp_unframe(data, size, &m, &mlen);
	if (!err)
		kd_error_destroy(kd_dhcp_parse(m, mlen, xid, mac, &l));
	kd_error_destroy(err);
	kd_error_destroy(kd_dhcp_parse(data, size, xid, mac, &l));

	// Netlink messages are 4-aligned in the kernel's buffer.
	uint32_t *copy = malloc(size + 4);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	struct kd_netif_link link;
	struct kd_netif_route route;
	struct kd_netif_addr addr;
	int e;
	kd_error_destroy(kd_netif_parse_link(copy, size, &link));
	kd_error_destroy(kd_netif_parse_route(copy, size, &route));
	kd_error_destroy(kd_netif_parse_addr(copy, size, &addr));
	kd_error_destroy(kd_netif_parse_ack(copy, size, &e));

	char *text = (char *)copy;
	text[size] = '\0';
	struct kd_netif_config c, again;
	err = kd_netif_config_parse(text, &c);
	if (!err) {
		char out[256];
		kd_netif_config_format(&c, out, sizeof(out));
		if (kd_netif_config_parse(out, &again) || memcmp(&c, &again, sizeof(c)))
			abort();
	}
	kd_error_destroy(err);
	free(copy);
	return 0;
}
