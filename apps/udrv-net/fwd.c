/* SPDX-License-Identifier: MIT */
/* udrv-net fwd: port A <-> port B, or back out of one port with MACs swapped. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <udrv/net_hdr.h>

#include "app.h"

static uint64_t forward(struct app_port *in, struct app_port *out, bool swap, uint64_t *dropped)
{
	struct udrv_pkt *pkts[BURST];
	uint16_t n = udrv_net_rx_burst(in->rxq, pkts, BURST), took;

	if (!n)
		return 0;
	if (swap) {
		for (uint16_t i = 0; i < n; i++) {
			struct udrv_eth_hdr *eth = udrv_pkt_eth(pkts[i]);

			if (eth) /* a runt shorter than a header goes out unchanged */
				udrv_eth_swap_macs(eth);
		}
	}
	took = udrv_net_tx_burst(out->txq, pkts, n);
	if (took < n) {
		udrv_pkt_free_bulk(pkts + took, (unsigned)(n - took));
		*dropped += n - took;
	}
	return took;
}

/* A port whose peer port was removed: its frames have nowhere to go, but its
 * receive ring is kept moving (the frames are dropped and counted). */
static uint64_t drain(struct app_port *in)
{
	struct udrv_pkt *pkts[BURST];
	uint16_t n = udrv_net_rx_burst(in->rxq, pkts, BURST);

	udrv_pkt_free_bulk(pkts, n);
	return n;
}

int mode_fwd(const struct app_opts *o)
{
	struct app_port ports[MAX_PORTS];
	bool two = o->ndev == 2;
	uint64_t fwd = 0, dropped = 0, iter = 0;
	bool up[MAX_PORTS] = { true, two }, removed = false;
	struct live live;
	struct udrv_pool *pool = NULL;
	double t0, end;
	int rc = 0;

	/* Two ports share one pool: each transmits the other's buffers, so with
	 * a pool per port, closing one would leave its buffers in flight on
	 * the other (and that one's close would free them into a pool gone). */
	if (two) {
		struct udrv_net_pool_opts pl = { .size = sizeof(pl), .name = "fwd", .count = 16384 };

		rc = udrv_net_pool_create(&pl, &pool);
		if (rc) {
			fprintf(stderr, "udrv-net: cannot create the packet pool: %s\n", strerror(-rc));
			return 1;
		}
	}
	if (app_open_port_pool(&ports[0], o->dev[0], o->promisc, pool)) {
		udrv_pool_destroy(pool);
		return 1;
	}
	if (two && app_open_port_pool(&ports[1], o->dev[1], o->promisc, pool)) {
		app_close_port(&ports[0]);
		udrv_pool_destroy(pool);
		return 1;
	}
	live_init(&live, "fwd");
	t0 = app_now();
	end = o->seconds ? t0 + o->seconds : 0;
	while (!app_stop) {
		if (two && up[0] && up[1]) {
			fwd += forward(&ports[0], &ports[1], false, &dropped);
			fwd += forward(&ports[1], &ports[0], false, &dropped);
		} else if (two) {
			dropped += drain(&ports[up[0] ? 0 : 1]);
		} else {
			fwd += forward(&ports[0], &ports[0], true, &dropped);
		}
		if ((++iter & 255) == 0) {
			if (end && app_now() >= end)
				break;
			/* A removed port is closed at once; fwd goes on with the other. */
			for (unsigned i = 0; i < o->ndev; i++) {
				if (up[i] && app_port_removed(&ports[i])) {
					app_port_removed_close(&ports[i], "fwd");
					up[i] = false;
					removed = true;
				}
			}
			if (!up[0] && !up[1])
				break;
			if (live_due(&live) && ((up[0] && !app_check_port(&ports[0])) ||
						(up[1] && !app_check_port(&ports[1]))))
				break;
			live_tick(&live, fwd, 0);
		}
	}
	{
		double el = app_now() - t0, pps = el > 0 ? (double)fwd / el : 0;

		if (o->json)
			printf("{\"mode\":\"fwd\",\"packets\":%llu,\"pps\":%.0f,\"dropped\":%llu,"
			       "\"seconds\":%.3f}\n", (unsigned long long)fwd, pps,
			       (unsigned long long)dropped, el);
		else
			printf("fwd: %llu packets forwarded (%.0f pps), %llu dropped (tx full)\n",
			       (unsigned long long)fwd, pps, (unsigned long long)dropped);
	}
	if (two)
		app_close_port(&ports[1]);
	app_close_port(&ports[0]);
	udrv_pool_destroy(pool);
	return removed ? 1 : rc;
}
