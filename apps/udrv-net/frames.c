/* SPDX-License-Identifier: MIT */
/* udrv-net: frames with correct IPv4 (RFC 791) and UDP (RFC 768) checksums;
 * ARP (RFC 826) and ICMP echo (RFC 792) replies. */
#include <arpa/inet.h>
#include <string.h>

#include "frames.h"

uint32_t csum_partial(const void *buf, unsigned len, uint32_t sum)
{
	const uint8_t *p = buf;

	for (; len >= 2; len -= 2, p += 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The UDP checksum covers a pseudo header: addresses, protocol, UDP length. */
static uint32_t udp_pseudo(const struct udrv_ipv4_hdr *ip, uint16_t udp_len)
{
	uint32_t sum = 0;

	sum = csum_partial(&ip->src, 4, sum);
	sum = csum_partial(&ip->dst, 4, sum);
	return sum + 17 + udp_len;
}

void frame_build(uint8_t *buf, const struct frame_spec *spec)
{
	struct udrv_eth_hdr *eth = (struct udrv_eth_hdr *)buf;
	struct udrv_ipv4_hdr *ip = (struct udrv_ipv4_hdr *)(eth + 1);
	struct udrv_udp_hdr *udp = (struct udrv_udp_hdr *)(ip + 1);
	struct pktgen_payload *pl = (struct pktgen_payload *)(udp + 1);
	uint16_t ip_len = (uint16_t)(spec->frame_len - UDRV_ETH_HLEN);
	uint16_t udp_len = (uint16_t)(ip_len - UDRV_IPV4_MIN_HLEN);
	uint16_t c;

	memset(buf, 0, spec->frame_len);
	memcpy(eth->dst, spec->dst_mac, 6);
	memcpy(eth->src, spec->src_mac, 6);
	eth->ethertype = htons(UDRV_ETHERTYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_len = htons(ip_len);
	ip->frag_off = htons(0x4000); /* DF */
	ip->ttl = 64;
	ip->proto = UDRV_IPPROTO_UDP;
	ip->src = spec->src_ip;
	ip->dst = spec->dst_ip;
	ip->csum = htons(csum_fold(csum_partial(ip, UDRV_IPV4_MIN_HLEN, 0)));
	udp->src_port = htons(PKTGEN_PORT);
	udp->dst_port = htons(PKTGEN_PORT);
	udp->len = htons(udp_len);
	pl->magic = htonl(PKTGEN_MAGIC);
	for (unsigned i = sizeof(*pl); i < (unsigned)udp_len - UDRV_UDP_HLEN; i++)
		((uint8_t *)(pl + 1))[i - sizeof(*pl)] = (uint8_t)i;
	c = csum_fold(csum_partial(udp, udp_len, udp_pseudo(ip, udp_len)));
	udp->csum = htons(c ? c : 0xffff); /* 0 means "no checksum" in UDP */
}

void frame_set_seq(uint8_t *buf, uint32_t seq)
{
	/* frame_build wrote a 20-byte IPv4 header */
	struct udrv_ipv4_hdr *ip = (struct udrv_ipv4_hdr *)((struct udrv_eth_hdr *)buf + 1);
	struct udrv_udp_hdr *udp = (struct udrv_udp_hdr *)(ip + 1);
	struct pktgen_payload *pl = (struct pktgen_payload *)(udp + 1);
	uint32_t old = ntohl(pl->seq), sum;
	uint16_t c;

	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), over both 16-bit words. */
	sum = (uint16_t)~ntohs(udp->csum);
	sum += (uint16_t)~(old >> 16) + (uint16_t)~(old & 0xffff);
	sum += (seq >> 16) + (seq & 0xffff);
	c = csum_fold(sum);
	udp->csum = htons(c ? c : 0xffff);
	pl->seq = htonl(seq);
}

enum frame_check frame_check(const uint8_t *buf, unsigned len)
{
	const struct udrv_eth_hdr *eth = (const struct udrv_eth_hdr *)buf;
	const struct udrv_ipv4_hdr *ip = (const struct udrv_ipv4_hdr *)(eth + 1);
	const struct udrv_udp_hdr *udp;
	const struct pktgen_payload *pl;
	unsigned ihl, ip_len, udp_len;

	if (len < UDRV_ETH_HLEN + UDRV_IPV4_MIN_HLEN + UDRV_UDP_HLEN + sizeof(*pl) ||
	    eth->ethertype != htons(UDRV_ETHERTYPE_IPV4))
		return FRAME_OTHER;
	ihl = udrv_ipv4_hlen(ip);
	if ((ip->version_ihl >> 4) != 4 || ihl < UDRV_IPV4_MIN_HLEN || ip->proto != UDRV_IPPROTO_UDP ||
	    len < UDRV_ETH_HLEN + ihl + UDRV_UDP_HLEN + sizeof(*pl))
		return FRAME_OTHER;
	udp = (const struct udrv_udp_hdr *)((const uint8_t *)ip + ihl);
	pl = (const struct pktgen_payload *)(udp + 1);
	if (pl->magic != htonl(PKTGEN_MAGIC) || udp->dst_port != htons(PKTGEN_PORT))
		return FRAME_OTHER;
	ip_len = ntohs(ip->total_len);
	udp_len = ntohs(udp->len);
	if (ip_len > len - UDRV_ETH_HLEN || ip_len < ihl + UDRV_UDP_HLEN || udp_len != ip_len - ihl)
		return FRAME_PKTGEN_BAD;
	/* A correct header sums to 0 (folded: 0xffff before inversion). */
	if (csum_fold(csum_partial(ip, ihl, 0)) != 0)
		return FRAME_PKTGEN_BAD;
	if (udp->csum && csum_fold(csum_partial(udp, udp_len, udp_pseudo(ip, (uint16_t)udp_len))) != 0)
		return FRAME_PKTGEN_BAD;
	return FRAME_PKTGEN_OK;
}

/* Turn an ARP request for ip into the reply, in place. */
bool frame_arp_reply(uint8_t *d, unsigned len, const uint8_t *mac, uint32_t ip)
{
	struct udrv_eth_hdr *eth = (struct udrv_eth_hdr *)d;
	struct arp_ipv4 *arp = (struct arp_ipv4 *)(eth + 1);

	if (len < UDRV_ETH_HLEN + sizeof(*arp) || arp->htype != htons(1) ||
	    arp->ptype != htons(UDRV_ETHERTYPE_IPV4) || arp->hlen != 6 || arp->plen != 4 ||
	    arp->op != htons(1) || arp->tpa != ip)
		return false;
	memcpy(eth->dst, arp->sha, 6);
	memcpy(eth->src, mac, 6);
	arp->op = htons(2);
	memcpy(arp->tha, arp->sha, 6);
	arp->tpa = arp->spa;
	memcpy(arp->sha, mac, 6);
	arp->spa = ip;
	return true;
}

/* Turn an ICMP echo request to ip into the reply, in place. */
bool frame_icmp_reply(uint8_t *d, unsigned len, const uint8_t *mac, uint32_t ip)
{
	struct udrv_eth_hdr *eth = (struct udrv_eth_hdr *)d;
	struct udrv_ipv4_hdr *iph = (struct udrv_ipv4_hdr *)(eth + 1);
	struct icmp_hdr *icmp;
	unsigned ihl, tot;
	uint32_t tmp;

	if (len < UDRV_ETH_HLEN + UDRV_IPV4_MIN_HLEN)
		return false;
	ihl = udrv_ipv4_hlen(iph);
	tot = ntohs(iph->total_len);
	if ((iph->version_ihl >> 4) != 4 || ihl < UDRV_IPV4_MIN_HLEN || iph->proto != UDRV_IPPROTO_ICMP || iph->dst != ip ||
	    tot < ihl + sizeof(*icmp) || tot > len - UDRV_ETH_HLEN || (ntohs(iph->frag_off) & 0x3fff))
		return false;
	icmp = (struct icmp_hdr *)((uint8_t *)iph + ihl);
	if (icmp->type != 8 || icmp->code != 0)
		return false;
	memcpy(eth->dst, eth->src, 6);
	memcpy(eth->src, mac, 6);
	tmp = iph->src;
	iph->src = iph->dst;
	iph->dst = tmp;
	iph->ttl = 64;
	iph->csum = 0;
	iph->csum = htons(csum_fold(csum_partial(iph, ihl, 0)));
	icmp->type = 0;
	icmp->csum = 0;
	icmp->csum = htons(csum_fold(csum_partial(icmp, tot - ihl, 0)));
	return true;
}
