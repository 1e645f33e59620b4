/* SPDX-License-Identifier: MIT */
/* <udrv/net_hdr.h>: header layouts (RFC 791, RFC 768, IEEE 802.3) and the
 * accessors' bounds and protocol checks on hand-made frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <udrv/net_hdr.h>

/* A packet buffer without a pool: the accessors only look at data. */
static struct {
	struct udrv_pkt pkt;
	uint8_t buf[UDRV_PKT_HEADROOM + 256];
} m;

/* An Ethernet/IPv4/UDP frame of len bytes with IHL ihl; returns the data. */
static uint8_t *frame(unsigned len, unsigned ihl)
{
	uint8_t *d;

	memset(&m, 0, sizeof(m));
	udrv_pkt_reset(&m.pkt);
	m.pkt.buf_len = sizeof(m.buf);
	m.pkt.data_len = (uint16_t)len;
	m.pkt.pkt_len = len;
	d = udrv_pkt_data(&m.pkt);
	memcpy(d, "\x02\x00\x00\x00\x00\x01" "\x52\x54\x00\x12\x34\x56" "\x08\x00", 14);
	d[14] = (uint8_t)(0x40 | ihl);
	d[14 + 9] = UDRV_IPPROTO_UDP;
	d[14 + 12] = 10; /* src 10.0.0.1 */
	d[14 + 15] = 1;
	d[14 + ihl * 4 + 2] = 0x1e; /* dst port 7777 */
	d[14 + ihl * 4 + 3] = 0x61;
	return d;
}

static void layouts(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct udrv_eth_hdr), UDRV_ETH_HLEN);
	assert_int_equal(sizeof(struct udrv_ipv4_hdr), UDRV_IPV4_MIN_HLEN);
	assert_int_equal(sizeof(struct udrv_udp_hdr), UDRV_UDP_HLEN);
	assert_int_equal(offsetof(struct udrv_eth_hdr, ethertype), 12);
	assert_int_equal(offsetof(struct udrv_ipv4_hdr, frag_off), 6);
	assert_int_equal(offsetof(struct udrv_ipv4_hdr, proto), 9);
	assert_int_equal(offsetof(struct udrv_ipv4_hdr, src), 12);
	assert_int_equal(offsetof(struct udrv_ipv4_hdr, dst), 16);
	assert_int_equal(offsetof(struct udrv_udp_hdr, len), 4);
	assert_int_equal(udrv_ntohs(udrv_htons(0x1234)), 0x1234);
	assert_int_equal(((uint8_t *)&(uint16_t){ udrv_htons(0x0800) })[0], 0x08);
	assert_int_equal(((uint8_t *)&(uint32_t){ udrv_htonl(0x0a000001) })[3], 0x01);
}

static void udp_frame_parses(void **state)
{
	uint8_t *d = frame(60, 5);
	struct udrv_eth_hdr *eth;
	struct udrv_ipv4_hdr *ip;
	struct udrv_udp_hdr *udp;

	(void)state;
	eth = udrv_pkt_eth(&m.pkt);
	ip = udrv_pkt_ipv4(&m.pkt);
	udp = udrv_pkt_udp(&m.pkt, ip);
	assert_ptr_equal(eth, d);
	assert_ptr_equal(ip, d + 14);
	assert_ptr_equal(udp, d + 34);
	assert_int_equal(udrv_ntohs(eth->ethertype), UDRV_ETHERTYPE_IPV4);
	assert_int_equal(udrv_ipv4_hlen(ip), 20);
	assert_int_equal(udrv_ntohl(ip->src), 0x0a000001);
	assert_int_equal(udrv_ntohs(udp->dst_port), 7777);
	udrv_eth_swap_macs(eth);
	assert_memory_equal(d, "\x52\x54\x00\x12\x34\x56" "\x02\x00\x00\x00\x00\x01" "\x08\x00", 14);
}

static void ip_options_move_udp(void **state)
{
	uint8_t *d = frame(64, 6);

	(void)state;
	assert_ptr_equal(udrv_pkt_udp(&m.pkt, udrv_pkt_ipv4(&m.pkt)), d + 38);
	/* The options end beyond the data: no IPv4 header. */
	m.pkt.data_len = 14 + 22;
	assert_null(udrv_pkt_ipv4(&m.pkt));
	/* The header fits, the UDP header does not. */
	m.pkt.data_len = 14 + 24 + 7;
	assert_non_null(udrv_pkt_ipv4(&m.pkt));
	assert_null(udrv_pkt_udp(&m.pkt, udrv_pkt_ipv4(&m.pkt)));
}

static void foreign_and_short_frames(void **state)
{
	uint8_t *d;

	(void)state;
	frame(13, 5);
	assert_null(udrv_pkt_eth(&m.pkt));
	assert_null(udrv_pkt_ipv4(&m.pkt));
	frame(14 + 19, 5);
	assert_non_null(udrv_pkt_eth(&m.pkt));
	assert_null(udrv_pkt_ipv4(&m.pkt));
	d = frame(60, 5);
	d[12] = 0x86, d[13] = 0xdd; /* IPv6 */
	assert_null(udrv_pkt_ipv4(&m.pkt));
	d = frame(60, 5);
	d[14] = 0x65; /* version 6 in an IPv4 EtherType */
	assert_null(udrv_pkt_ipv4(&m.pkt));
	d = frame(60, 5);
	d[14] = 0x44; /* IHL 4: shorter than the fixed header */
	assert_null(udrv_pkt_ipv4(&m.pkt));
	d = frame(60, 5);
	d[14 + 9] = UDRV_IPPROTO_TCP;
	assert_non_null(udrv_pkt_ipv4(&m.pkt));
	assert_null(udrv_pkt_udp(&m.pkt, udrv_pkt_ipv4(&m.pkt)));
	assert_null(udrv_pkt_udp(&m.pkt, NULL));
}

static void fragments(void **state)
{
	uint8_t *d = frame(60, 5);

	(void)state;
	d[14 + 6] = 0x20; /* MF, offset 0: the first fragment has the UDP header */
	assert_non_null(udrv_pkt_udp(&m.pkt, udrv_pkt_ipv4(&m.pkt)));
	d[14 + 7] = 0x01; /* offset 8 bytes: no UDP header here */
	assert_null(udrv_pkt_udp(&m.pkt, udrv_pkt_ipv4(&m.pkt)));
	d[14 + 6] = 0x40, d[14 + 7] = 0; /* DF only */
	assert_non_null(udrv_pkt_udp(&m.pkt, udrv_pkt_ipv4(&m.pkt)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layouts),
		cmocka_unit_test(udp_frame_parses),
		cmocka_unit_test(ip_options_move_udp),
		cmocka_unit_test(foreign_and_short_frames),
		cmocka_unit_test(fragments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
