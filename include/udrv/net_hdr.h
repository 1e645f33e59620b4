/* SPDX-License-Identifier: MIT */
/*
 * Ethernet (IEEE 802.3), IPv4 (RFC 791) and UDP (RFC 768) headers and checked
 * accessors, so a network function reads and rewrites a packet by field name
 * instead of by byte offset.
 *
 *   struct udrv_eth_hdr *eth = udrv_pkt_eth(pkt);          NULL if < 14 bytes
 *   struct udrv_ipv4_hdr *ip = udrv_pkt_ipv4(pkt);         NULL unless IPv4
 *   struct udrv_udp_hdr *udp = udrv_pkt_udp(pkt, ip);      NULL unless UDP
 *   udrv_eth_swap_macs(eth);
 *   if (udp && udrv_ntohs(udp->dst_port) == 53) ...
 *
 * Multi-byte fields are in network byte order (big endian), as on the wire;
 * udrv_ntohs/udrv_htons/udrv_ntohl/udrv_htonl convert. The structs are packed
 * (alignment 1): a header may start at any byte. Every accessor checks that the
 * whole header lies inside the packet's first segment (data_len) and that the
 * header announces what the caller asks for, so a short or foreign frame gives
 * NULL, never a read past the data. An accessor does not verify checksums.
 *
 * Thread safety: the accessors touch only the packet given; the caller owns it.
 */
#ifndef UDRV_NET_HDR_H
#define UDRV_NET_HDR_H

#include <stdint.h>
#include <string.h>

#include <udrv/net.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UDRV_ETH_HLEN 14        /* destination, source, EtherType */
#define UDRV_ETHERTYPE_IPV4 0x0800
#define UDRV_ETHERTYPE_ARP 0x0806
#define UDRV_ETHERTYPE_VLAN 0x8100
#define UDRV_ETHERTYPE_IPV6 0x86dd
#define UDRV_IPV4_MIN_HLEN 20   /* IHL 5; options make it up to 60 */
#define UDRV_IPPROTO_ICMP 1
#define UDRV_IPPROTO_TCP 6
#define UDRV_IPPROTO_UDP 17
#define UDRV_UDP_HLEN 8

struct udrv_eth_hdr {
	uint8_t dst[UDRV_NET_ETH_ALEN];
	uint8_t src[UDRV_NET_ETH_ALEN];
	uint16_t ethertype; /* UDRV_ETHERTYPE_*, network order */
} __attribute__((packed));

struct udrv_ipv4_hdr {
	uint8_t version_ihl;  /* version 4 (high nibble), header length in words (low) */
	uint8_t tos;
	uint16_t total_len;   /* header + payload, bytes */
	uint16_t id;
	uint16_t frag_off;    /* flags (DF 0x4000, MF 0x2000) and offset in 8-byte units */
	uint8_t ttl;
	uint8_t proto;        /* UDRV_IPPROTO_* */
	uint16_t csum;
	uint32_t src;
	uint32_t dst;
} __attribute__((packed));

struct udrv_udp_hdr {
	uint16_t src_port;
	uint16_t dst_port;
	uint16_t len;         /* header + payload, bytes */
	uint16_t csum;        /* 0: no checksum */
} __attribute__((packed));

/* udrv_ntohs - a 16-bit field from network (big-endian) to host order.
 * Context: any thread (pure). */
static inline uint16_t udrv_ntohs(uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16(v);
#else
	return v;
#endif
}

/* udrv_ntohl - a 32-bit field from network to host order.
 * Context: any thread (pure). */
static inline uint32_t udrv_ntohl(uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

/* udrv_htons - a 16-bit value from host to network order.
 * Context: any thread (pure). */
static inline uint16_t udrv_htons(uint16_t v)
{
	return udrv_ntohs(v);
}

/* udrv_htonl - a 32-bit value from host to network order.
 * Context: any thread (pure). */
static inline uint32_t udrv_htonl(uint32_t v)
{
	return udrv_ntohl(v);
}

/* udrv_pkt_eth - the Ethernet header at the start of the packet's data, or
 * NULL when the first segment holds fewer than UDRV_ETH_HLEN bytes. Points
 * into the packet: valid while the caller owns it. Context: the thread that
 * owns the packet. */
static inline struct udrv_eth_hdr *udrv_pkt_eth(struct udrv_pkt *p)
{
	return p->data_len >= UDRV_ETH_HLEN ? (struct udrv_eth_hdr *)udrv_pkt_data(p) : NULL;
}

/* udrv_ipv4_hlen - length of the IPv4 header @ip in bytes (IHL x 4; not
 * checked: use it on a header from udrv_pkt_ipv4). Context: any thread. */
static inline unsigned udrv_ipv4_hlen(const struct udrv_ipv4_hdr *ip)
{
	return (ip->version_ihl & 0xfu) * 4u;
}

/* udrv_pkt_ipv4 - the IPv4 header right after an untagged Ethernet header, or
 * NULL unless the EtherType is IPv4, the version is 4, IHL >= 5 and the whole
 * header (with its options) lies in the first segment. The checksum and total
 * length are not checked. Valid while the caller owns @p. Context: the thread
 * that owns the packet. */
static inline struct udrv_ipv4_hdr *udrv_pkt_ipv4(struct udrv_pkt *p)
{
	struct udrv_eth_hdr *eth = udrv_pkt_eth(p);
	struct udrv_ipv4_hdr *ip;

	if (!eth || eth->ethertype != udrv_htons(UDRV_ETHERTYPE_IPV4) ||
	    p->data_len < UDRV_ETH_HLEN + UDRV_IPV4_MIN_HLEN)
		return NULL;
	ip = (struct udrv_ipv4_hdr *)(eth + 1);
	if ((ip->version_ihl >> 4) != 4 || udrv_ipv4_hlen(ip) < UDRV_IPV4_MIN_HLEN ||
	    p->data_len < UDRV_ETH_HLEN + udrv_ipv4_hlen(ip))
		return NULL;
	return ip;
}

/* udrv_pkt_udp - the UDP header after @ip (from udrv_pkt_ipv4(@p)), or NULL
 * unless @ip is not NULL, its protocol is UDP, it is not a non-first fragment
 * (which carries no UDP header) and the 8 bytes lie in the first segment. Valid
 * while the caller owns @p. Context: the thread that owns the packet. */
static inline struct udrv_udp_hdr *udrv_pkt_udp(struct udrv_pkt *p, struct udrv_ipv4_hdr *ip)
{
	if (!ip || ip->proto != UDRV_IPPROTO_UDP || (udrv_ntohs(ip->frag_off) & 0x1fff) ||
	    p->data_len < UDRV_ETH_HLEN + udrv_ipv4_hlen(ip) + UDRV_UDP_HLEN)
		return NULL;
	return (struct udrv_udp_hdr *)((uint8_t *)ip + udrv_ipv4_hlen(ip));
}

/* udrv_eth_swap_macs - exchange the source and destination MAC addresses
 * (to send a frame back). Context: the thread that owns the packet. */
static inline void udrv_eth_swap_macs(struct udrv_eth_hdr *eth)
{
	uint8_t tmp[UDRV_NET_ETH_ALEN];

	memcpy(tmp, eth->dst, sizeof(tmp));
	memcpy(eth->dst, eth->src, sizeof(tmp));
	memcpy(eth->src, tmp, sizeof(tmp));
}

#ifdef __cplusplus
}
#endif
#endif
