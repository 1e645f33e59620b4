/* SPDX-License-Identifier: MIT */
/* udrv-net's frame builder: IPv4 and UDP checksums, incremental updates. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../../apps/udrv-net/frames.h"

static void spec_init(struct frame_spec *s, uint16_t len)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->src_mac, "\x52\x54\x00\x00\x00\x01", 6);
	memset(s->dst_mac, 0xff, 6);
	inet_pton(AF_INET, "169.254.0.1", &s->src_ip);
	inet_pton(AF_INET, "169.254.0.2", &s->dst_ip);
	s->frame_len = len;
}

/* Independent reference: UDP checksum over pseudo header + datagram. */
static uint16_t ref_udp_csum(const uint8_t *f)
{
	const uint8_t *ip = f + UDRV_ETH_HLEN, *udp = ip + UDRV_IPV4_MIN_HLEN;
	unsigned ulen = (unsigned)udp[4] << 8 | udp[5];
	uint32_t sum = 0;
	uint8_t tmp[1600];

	memcpy(tmp, udp, ulen);
	tmp[6] = tmp[7] = 0;
	for (unsigned i = 12; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	sum += 17 + ulen;
	for (unsigned i = 0; i + 1 < ulen; i += 2)
		sum += (uint32_t)tmp[i] << 8 | tmp[i + 1];
	if (ulen & 1)
		sum += (uint32_t)tmp[ulen - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = (uint16_t)~sum;
	return sum ? (uint16_t)sum : 0xffff;
}

static void frames__built_frame_has_valid_checksums(void **state)
{
	uint8_t f[1514];
	struct frame_spec s;

	for (uint16_t len = 60; len <= 1514; len += 97) {
		spec_init(&s, len);
		frame_build(f, &s);
		assert_int_equal(frame_check(f, len), FRAME_PKTGEN_OK);
		assert_int_equal((f[UDRV_ETH_HLEN + UDRV_IPV4_MIN_HLEN + 6] << 8) | f[UDRV_ETH_HLEN + UDRV_IPV4_MIN_HLEN + 7],
				 ref_udp_csum(f));
	}
}

static void frames__incremental_seq_matches_full_checksum(void **state)
{
	static const uint32_t seqs[] = { 1, 2, 0xffff, 0x10000, 0x12345678, 0xffffffff, 0, 77 };
	uint8_t f[60];
	struct frame_spec s;

	spec_init(&s, 60);
	frame_build(f, &s);
	for (unsigned i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		frame_set_seq(f, seqs[i]);
		assert_int_equal((f[UDRV_ETH_HLEN + UDRV_IPV4_MIN_HLEN + 6] << 8) | f[UDRV_ETH_HLEN + UDRV_IPV4_MIN_HLEN + 7],
				 ref_udp_csum(f));
		assert_int_equal(frame_check(f, 60), FRAME_PKTGEN_OK);
	}
	for (uint32_t seq = 0; seq < 200000; seq += 7) {
		frame_set_seq(f, seq);
		assert_int_equal(frame_check(f, 60), FRAME_PKTGEN_OK);
	}
}

static void frames__check_detects_corruption(void **state)
{
	uint8_t f[128];
	struct frame_spec s;

	spec_init(&s, 128);
	frame_build(f, &s);
	f[100] ^= 1; /* payload */
	assert_int_equal(frame_check(f, 128), FRAME_PKTGEN_BAD);
	frame_build(f, &s);
	f[UDRV_ETH_HLEN + 8] ^= 1; /* TTL: IP header checksum */
	assert_int_equal(frame_check(f, 128), FRAME_PKTGEN_BAD);
	frame_build(f, &s);
	assert_int_equal(frame_check(f, 100), FRAME_PKTGEN_BAD); /* truncated */
	f[12] = 0x86;
	f[13] = 0xdd; /* not IPv4 */
	assert_int_equal(frame_check(f, 128), FRAME_OTHER);
	assert_int_equal(frame_check(f, 10), FRAME_OTHER);
}

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
static const uint8_t peer_mac[6] = { 0x52, 0x54, 0x00, 0x11, 0x22, 0x33 };

static void echo__arp_request_for_us_gets_reply(void **state)
{
	uint8_t f[60] = { 0 };
	struct udrv_eth_hdr *eth = (struct udrv_eth_hdr *)f;
	struct arp_ipv4 *arp = (struct arp_ipv4 *)(f + UDRV_ETH_HLEN);
	uint32_t ip, peer;

	inet_pton(AF_INET, "169.254.10.2", &ip);
	inet_pton(AF_INET, "169.254.10.1", &peer);
	memset(eth->dst, 0xff, 6);
	memcpy(eth->src, peer_mac, 6);
	eth->ethertype = htons(UDRV_ETHERTYPE_ARP);
	arp->htype = htons(1);
	arp->ptype = htons(UDRV_ETHERTYPE_IPV4);
	arp->hlen = 6;
	arp->plen = 4;
	arp->op = htons(1);
	memcpy(arp->sha, peer_mac, 6);
	arp->spa = peer;
	arp->tpa = ip;
	assert_true(frame_arp_reply(f, sizeof(f), our_mac, ip));
	assert_memory_equal(eth->dst, peer_mac, 6);
	assert_memory_equal(eth->src, our_mac, 6);
	assert_int_equal(ntohs(arp->op), 2);
	assert_memory_equal(arp->sha, our_mac, 6);
	assert_int_equal(arp->spa, ip);
	assert_memory_equal(arp->tha, peer_mac, 6);
	assert_int_equal(arp->tpa, peer);
	/* Not for us, or not a request: no reply. */
	assert_false(frame_arp_reply(f, sizeof(f), our_mac, ip));
	arp->op = htons(1);
	arp->tpa = peer;
	assert_false(frame_arp_reply(f, sizeof(f), our_mac, ip));
	assert_false(frame_arp_reply(f, 20, our_mac, ip));
}

static void echo__icmp_echo_request_gets_valid_reply(void **state)
{
	uint8_t f[98] = { 0 };
	struct udrv_eth_hdr *eth = (struct udrv_eth_hdr *)f;
	struct udrv_ipv4_hdr *iph = (struct udrv_ipv4_hdr *)(f + UDRV_ETH_HLEN);
	struct icmp_hdr *icmp = (struct icmp_hdr *)(f + UDRV_ETH_HLEN + UDRV_IPV4_MIN_HLEN);
	uint32_t ip, peer;

	inet_pton(AF_INET, "169.254.10.2", &ip);
	inet_pton(AF_INET, "169.254.10.1", &peer);
	memcpy(eth->dst, our_mac, 6);
	memcpy(eth->src, peer_mac, 6);
	eth->ethertype = htons(UDRV_ETHERTYPE_IPV4);
	iph->version_ihl = 0x45;
	iph->total_len = htons(84);
	iph->ttl = 64;
	iph->proto = 1;
	iph->src = peer;
	iph->dst = ip;
	iph->csum = htons(csum_fold(csum_partial(iph, UDRV_IPV4_MIN_HLEN, 0)));
	icmp->type = 8;
	icmp->id = htons(0x1234);
	icmp->seq = htons(1);
	for (int i = 0; i < 56; i++)
		f[UDRV_ETH_HLEN + UDRV_IPV4_MIN_HLEN + 8 + i] = (uint8_t)i;
	icmp->csum = htons(csum_fold(csum_partial(icmp, 64, 0)));
	assert_true(frame_icmp_reply(f, sizeof(f), our_mac, ip));
	assert_memory_equal(eth->dst, peer_mac, 6);
	assert_int_equal(iph->src, ip);
	assert_int_equal(iph->dst, peer);
	assert_int_equal(icmp->type, 0);
	assert_int_equal(ntohs(icmp->id), 0x1234);
	assert_int_equal(csum_fold(csum_partial(iph, UDRV_IPV4_MIN_HLEN, 0)), 0);
	assert_int_equal(csum_fold(csum_partial(icmp, 64, 0)), 0);
	/* A reply is not answered; truncated frames are not either. */
	assert_false(frame_icmp_reply(f, sizeof(f), our_mac, peer));
	assert_false(frame_icmp_reply(f, 40, our_mac, ip));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(frames__built_frame_has_valid_checksums),
		cmocka_unit_test(frames__incremental_seq_matches_full_checksum),
		cmocka_unit_test(frames__check_detects_corruption),
		cmocka_unit_test(echo__arp_request_for_us_gets_reply),
		cmocka_unit_test(echo__icmp_echo_request_gets_valid_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
