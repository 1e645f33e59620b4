/* SPDX-License-Identifier: MIT */
/* udrv-net echo: answer ARP (RFC 826) and ICMP echo (RFC 792) for one IPv4 address. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "frames.h"

struct echo_stats {
	uint64_t arp, icmp, ignored;
};

int mode_echo(const struct app_opts *o)
{
	struct udrv_pkt *pkts[BURST], *out[BURST];
	struct echo_stats st = { 0 };
	struct app_port ap;
	struct live live;
	uint64_t iter = 0, replies = 0;
	double end;
	bool removed;
	char ipstr[INET_ADDRSTRLEN];

	if (app_open_port(&ap, o->dev[0], o->promisc))
		return 1;
	inet_ntop(AF_INET, &o->ip, ipstr, sizeof(ipstr));
	fprintf(stderr, "echo: answering ARP and ping for %s at %02x:%02x:%02x:%02x:%02x:%02x\n",
		ipstr, ap.mac[0], ap.mac[1], ap.mac[2], ap.mac[3], ap.mac[4], ap.mac[5]);
	live_init(&live, "replies");
	end = o->seconds ? app_now() + o->seconds : 0;
	while (!app_stop) {
		uint16_t n = udrv_net_rx_burst(ap.rxq, pkts, BURST), k = 0, took;

		for (uint16_t i = 0; i < n; i++) {
			uint8_t *d = udrv_pkt_data(pkts[i]);
			const struct udrv_eth_hdr *eth = (const struct udrv_eth_hdr *)d;
			unsigned len = pkts[i]->data_len;
			bool ok = false;

			if (len >= UDRV_ETH_HLEN && eth->ethertype == htons(UDRV_ETHERTYPE_ARP) &&
			    (ok = frame_arp_reply(d, len, ap.mac, o->ip)))
				st.arp++;
			else if (len >= UDRV_ETH_HLEN && eth->ethertype == htons(UDRV_ETHERTYPE_IPV4) &&
				 !memcmp(eth->dst, ap.mac, 6) && (ok = frame_icmp_reply(d, len, ap.mac, o->ip)))
				st.icmp++;
			if (ok) {
				out[k++] = pkts[i];
			} else {
				st.ignored++;
				udrv_pkt_free(pkts[i]);
			}
		}
		if (k) {
			took = udrv_net_tx_burst(ap.txq, out, k);
			udrv_pkt_free_bulk(out + took, (unsigned)(k - took));
			replies += took;
		}
		if ((++iter & 255) == 0) {
			if ((end && app_now() >= end) || app_port_removed(&ap))
				break;
			if (live_due(&live) && !app_check_port(&ap))
				break;
			live_tick(&live, replies, 0);
		}
	}
	removed = app_port_removed(&ap);
	if (removed)
		app_port_removed_close(&ap, "echo");
	if (o->json)
		printf("{\"mode\":\"echo\",\"arp_replies\":%llu,\"icmp_replies\":%llu,\"ignored\":%llu}\n",
		       (unsigned long long)st.arp, (unsigned long long)st.icmp,
		       (unsigned long long)st.ignored);
	else
		printf("echo: %llu ARP replies, %llu ICMP echo replies, %llu frames ignored\n",
		       (unsigned long long)st.arp, (unsigned long long)st.icmp,
		       (unsigned long long)st.ignored);
	app_close_port(&ap);
	return removed ? 1 : 0;
}
