/* SPDX-License-Identifier: MIT */
/* udrv-net rx: count frames, check pktgen's frames' checksums. */
#include <stdio.h>

#include "app.h"
#include "frames.h"

int mode_rx(const struct app_opts *o)
{
	struct udrv_pkt *pkts[BURST];
	struct app_port ap;
	struct live live;
	uint64_t packets = 0, bytes = 0, pktgen = 0, bad = 0, iter = 0;
	double t0, first = 0, last = 0, end;
	bool removed;

	if (app_open_port(&ap, o->dev[0], o->promisc))
		return 1;
	live_init(&live, "rx");
	t0 = app_now();
	end = o->seconds ? t0 + o->seconds : 0;
	while (!app_stop) {
		uint16_t n = udrv_net_rx_burst(ap.rxq, pkts, BURST);

		if (n) {
			double t = app_now();

			if (!packets)
				first = t;
			last = t;
		}
		for (uint16_t i = 0; i < n; i++) {
			enum frame_check fc = frame_check(udrv_pkt_data(pkts[i]), pkts[i]->data_len);

			bytes += pkts[i]->pkt_len;
			pktgen += fc != FRAME_OTHER;
			bad += fc == FRAME_PKTGEN_BAD;
		}
		udrv_pkt_free_bulk(pkts, n);
		packets += n;
		if ((++iter & 255) == 0) {
			if ((end && app_now() >= end) || app_port_removed(&ap))
				break;
			if (live_due(&live) && !app_check_port(&ap))
				break;
			live_tick(&live, packets, 0);
		}
	}
	{
		/* The rate over the span frames arrived in, not the idle wait. */
		double span = last - first, pps = packets > 1 && span > 0 ? (packets - 1) / span : 0;
		struct udrv_net_stats st;

		removed = app_port_removed(&ap);
		udrv_net_stats_get(ap.port, &st);
		if (removed)
			app_port_removed_close(&ap, "rx");
		if (o->json)
			printf("{\"mode\":\"rx\",\"packets\":%llu,\"pps\":%.0f,\"bad\":%llu,"
			       "\"bytes\":%llu,\"pktgen_frames\":%llu,\"seconds\":%.3f,"
			       "\"rx_errors\":%llu,\"hw_rx_missed\":%llu}\n",
			       (unsigned long long)packets, pps, (unsigned long long)bad,
			       (unsigned long long)bytes, (unsigned long long)pktgen, app_now() - t0,
			       (unsigned long long)st.rx.errors, (unsigned long long)st.hw_rx_missed);
		else
			printf("rx: %llu packets (%llu from pktgen, %llu bad), %.0f pps\n",
			       (unsigned long long)packets, (unsigned long long)pktgen,
			       (unsigned long long)bad, pps);
	}
	app_close_port(&ap);
	return bad || removed ? 1 : 0;
}
