/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file netif.h
 * The capture kernel's network, set up by kexdump itself: the `network`
 * config key, the interface brought up over rtnetlink (lib/service/netif.c)
 * and kexdump's own DHCPv4 client (lib/service/dhcp.c). No ip(8) or DHCP
 * client goes into the initramfs. Part of libkexdump-service; included by
 * service.h.
 */
#ifndef KEXDUMP_SERVICE_NETIF_H
#define KEXDUMP_SERVICE_NETIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kd_error;

/** How the capture kernel gets its address. */
enum kd_netif_mode {
	KD_NETIF_AUTO,		/**< copy what reaches the target now (setup) */
	KD_NETIF_DHCP,		/**< kexdump's DHCPv4 client */
	KD_NETIF_STATIC,	/**< the address, prefix and gateway given */
};

/**
 * The `network` key:
 *   network auto
 *   network dhcp [IFACE] [mac=XX:XX:XX:XX:XX:XX] [mtu=N]
 *   network IFACE ADDR/PREFIX [GATEWAY] [mac=XX:XX:XX:XX:XX:XX] [mtu=N]
 * setup resolves auto (and completes dhcp) from the route to the target:
 * the capture initramfs's config names the interface, its MAC address (the
 * capture kernel may name it differently: the MAC is matched first) and MTU.
 */
struct kd_netif_config {
	enum kd_netif_mode mode;
	char iface[16];		/**< IFNAMSIZ; "" = not known (dhcp: any) */
	uint8_t mac[6];
	bool has_mac;
	uint8_t addr[4];	/**< static: IPv4 address, network order */
	unsigned int prefix;	/**< static: 0..32 */
	uint8_t gateway[4];
	bool has_gateway;
	unsigned int mtu;	/**< 0 = leave the driver's */
};

/** Parse the value of a `network` line; the error says what is wrong. */
struct kd_error *kd_netif_config_parse(const char *value, struct kd_netif_config *ret);
/** The value of the `network` line for @p cfg (what kd_netif_config_parse reads). */
void kd_netif_config_format(const struct kd_netif_config *cfg, char *out, size_t outlen);

/**
 * setup: resolve @p in (auto, dhcp) for the target address @p dst from the
 * running system, asking the kernel for the route (RTM_GETROUTE): the
 * interface, its MAC, MTU, address/prefix and gateway. A bond, bridge, VLAN
 * or other virtual interface is refused (KD_ERROR_UNSUPPORTED). A target
 * reached through lo gives lo 127.0.0.1/8. With @p dst NULL (no network
 * target), the interface the key names gets its MAC and MTU; auto is
 * KD_ERROR_INVALID.
 */
struct kd_error *kd_netif_resolve(const struct kd_netif_config *in, const uint8_t dst[4],
				  struct kd_netif_config *ret);

/** What kd_netif_bring_up() did. */
struct kd_netif_report {
	char iface[16];		/**< the interface as the capture kernel names it */
	uint8_t addr[4];
	unsigned int prefix;
	uint8_t gateway[4];
	bool has_gateway;
	unsigned int mtu;
	bool dhcp;		/**< the address came from DHCP */
	uint8_t dhcp_server[4];
	uint32_t lease_seconds;
	double link_seconds;	/**< until the interface was found */
	double carrier_seconds;	/**< until it had a carrier */
	double total_seconds;	/**< until the address and route were set */
};

/**
 * The capture kernel: bring lo and the interface of @p cfg up (found by
 * MAC, then by name; waited for while its driver probes), set its MTU,
 * wait for the carrier, get the address (DHCP or static), add it and the
 * default route. Each wait is bounded; all of it takes at most
 * @p timeout_ms. KD_ERROR_NOTFOUND for no interface; a wait that runs out
 * is KD_ERROR_OS with ETIMEDOUT.
 */
struct kd_error *kd_netif_bring_up(const struct kd_netif_config *cfg, unsigned int timeout_ms,
				   struct kd_netif_report *ret);

/**
 * Whether a TCP connection to @p addr:@p port can be made, retried until
 * @p timeout_ms (the first packets after the carrier may be lost while ARP
 * resolves the gateway). ECONNREFUSED counts as reached: the host answered.
 */
struct kd_error *kd_netif_probe_tcp(const uint8_t addr[4], uint16_t port,
				    unsigned int timeout_ms);

/**
 * setup: the IPv4 address of a target's host: a dotted quad as is, a name
 * through the resolver (the capture kernel has none: it gets the address).
 */
struct kd_error *kd_netif_host_ip(const char *host, uint8_t ret[4]);

/** "10.0.2.15" from 4 bytes; @p out holds at least 16 bytes. */
void kd_netif_format_ip(const uint8_t ip[4], char *out);
/** Parse a dotted-quad IPv4 address; false when it is not one. */
bool kd_netif_parse_ip(const char *s, uint8_t ret[4]);

#ifdef __cplusplus
}
#endif

#endif
