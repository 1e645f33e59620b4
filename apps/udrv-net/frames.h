/* SPDX-License-Identifier: MIT */
/* udrv-net: Ethernet/IPv4/UDP/ARP/ICMP frame layouts, building and checking. */
#ifndef UDRV_NET_APP_FRAMES_H
#define UDRV_NET_APP_FRAMES_H

#include <stdbool.h>
#include <stdint.h>

#include <udrv/net_hdr.h> /* Ethernet, IPv4, UDP */

#define PKTGEN_MAGIC 0x55445256u /* "UDRV" */
#define PKTGEN_PORT 9            /* discard */
#define FCS_LEN 4

struct arp_ipv4 {
	uint16_t htype, ptype;
	uint8_t hlen, plen;
	uint16_t op;
	uint8_t sha[6];
	uint32_t spa;
	uint8_t tha[6];
	uint32_t tpa;
} __attribute__((packed));

struct icmp_hdr {
	uint8_t type, code;
	uint16_t csum;
	uint16_t id, seq;
} __attribute__((packed));

/* pktgen payload after the UDP header */
struct pktgen_payload {
	uint32_t magic; /* big endian PKTGEN_MAGIC */
	uint32_t seq;   /* big endian */
} __attribute__((packed));

/* Internet checksum helpers (RFC 1071): partial sums, then fold and invert. */
uint32_t csum_partial(const void *buf, unsigned len, uint32_t sum);
uint16_t csum_fold(uint32_t sum);

struct frame_spec {
	uint8_t src_mac[6], dst_mac[6];
	uint32_t src_ip, dst_ip; /* network order */
	uint16_t frame_len;      /* bytes without FCS, >= 60 */
};

/* Write a complete Ethernet/IPv4/UDP frame with sequence 0 into buf. */
void frame_build(uint8_t *buf, const struct frame_spec *spec);
/* Set the sequence number, updating the UDP checksum incrementally (RFC 1624). */
void frame_set_seq(uint8_t *buf, uint32_t seq);

enum frame_check { FRAME_OTHER, FRAME_PKTGEN_OK, FRAME_PKTGEN_BAD };
/* Classify a received frame: a pktgen frame with good or bad checksums, or other. */
enum frame_check frame_check(const uint8_t *buf, unsigned len);

/* Turn an ARP request for ip (network order) into our reply, in place. */
bool frame_arp_reply(uint8_t *d, unsigned len, const uint8_t *mac, uint32_t ip);
/* Turn an ICMP echo request to ip into the reply, in place. */
bool frame_icmp_reply(uint8_t *d, unsigned len, const uint8_t *mac, uint32_t ip);

#endif
