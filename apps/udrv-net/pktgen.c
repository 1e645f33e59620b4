/* SPDX-License-Identifier: MIT */
/* udrv-net pktgen: Ethernet/IPv4/UDP frames as fast as the port takes them. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "frames.h"

/* Frames that come back (a loopback model, a reflecting peer) are checked. */
static void drain_rx(struct app_port *ap, uint64_t *rx, uint64_t *bad)
{
	struct udrv_pkt *pkts[BURST];
	uint16_t n = udrv_net_rx_burst(ap->rxq, pkts, BURST);

	for (uint16_t i = 0; i < n; i++) {
		enum frame_check fc = frame_check(udrv_pkt_data(pkts[i]), pkts[i]->data_len);

		*rx += fc != FRAME_OTHER;
		*bad += fc == FRAME_PKTGEN_BAD;
	}
	udrv_pkt_free_bulk(pkts, n);
}

/*
 * The port took less than a whole burst: its ring is full and the device is
 * the bottleneck. Trying again at once gains nothing and slows the device: an
 * emulated or vhost device runs on another core and works on the same ring
 * and frame cache lines, and each poll of the ring pulls some of them back
 * here. So wait about the time the device takes for one burst at the rate it
 * has kept so far (at most 200 us, far less than a ring of frames takes),
 * touching nothing the device uses.
 */
static void wait_for_room(double t0, uint64_t sent)
{
	double now = app_now(), rate = (double)sent / (now - t0), wait;

	if (sent < 8 * BURST || !(rate > 0))
		return;
	wait = BURST / rate;
	if (wait > 200e-6)
		wait = 200e-6;
	for (double end = now + wait; app_now() < end;)
		;
}

/*
 * Make d hold pktgen's frame. Without --seq every frame is the template;
 * buffers come back from the ring still holding it, so they are compared,
 * not rewritten, and stay clean cache lines for the device to read (see
 * wait_for_room). With --seq each frame carries its number.
 */
static void frame_fill(uint8_t *d, const uint8_t *tmpl, uint16_t len, bool seq, uint64_t n)
{
	if (seq) {
		memcpy(d, tmpl, len);
		frame_set_seq(d, (uint32_t)n);
	} else if (memcmp(d, tmpl, len) != 0) {
		memcpy(d, tmpl, len);
	}
}

int mode_pktgen(const struct app_opts *o)
{
	struct frame_spec spec = { .src_ip = o->src_ip, .dst_ip = o->dst_ip };
	struct udrv_pkt *pkts[BURST];
	uint8_t tmpl[1518];
	struct app_port ap;
	struct live live;
	uint64_t sent = 0, rx = 0, bad = 0, iter = 0;
	unsigned pend = 0; /* built, not yet taken by the port */
	double t0, end, elapsed;
	bool removed;
	int rc;

	rc = app_open_port(&ap, o->dev[0], o->promisc);
	if (rc)
		return 1;
	memcpy(spec.src_mac, ap.mac, 6);
	memcpy(spec.dst_mac, o->dst_mac, 6);
	spec.frame_len = (uint16_t)(o->size - FCS_LEN);
	frame_build(tmpl, &spec);
	live_init(&live, "tx");
	t0 = app_now();
	end = o->seconds ? t0 + o->seconds : 0;
	while (!app_stop && (!o->count || sent < o->count)) {
		unsigned n = BURST, took;

		if ((++iter & 15) == 0) {
			double t = app_now();

			if ((end && t >= end) || app_port_removed(&ap))
				break;
			if (live_due(&live) && !app_check_port(&ap))
				break;
			live_tick(&live, sent, o->size);
			drain_rx(&ap, &rx, &bad);
		}
		if (o->count && o->count - sent < n)
			n = (unsigned)(o->count - sent);
		if (o->rate) {
			double allowed = (double)o->rate * (app_now() - t0) - (double)sent;

			if (allowed < 1)
				continue;
			if (allowed < n)
				n = (unsigned)allowed;
		}
		/* Frames the port did not take last time wait in pkts[0..pend)
		 * (in sequence order); only the rest of the burst is built. */
		if (pend < n) {
			unsigned add = n - pend;

			if (udrv_pkt_alloc_bulk(ap.pool, pkts + pend, add) != add) {
				udrv_net_tx_reclaim(ap.txq);
				drain_rx(&ap, &rx, &bad);
				continue;
			}
			for (unsigned i = pend; i < n; i++) {
				frame_fill(udrv_pkt_data(pkts[i]), tmpl, spec.frame_len, o->seq, sent + i);
				pkts[i]->data_len = spec.frame_len;
				pkts[i]->pkt_len = spec.frame_len;
			}
			pend = n;
		}
		took = udrv_net_tx_burst(ap.txq, pkts, (uint16_t)n);
		if (took < n)
			wait_for_room(t0, sent);
		sent += took;
		pend -= took;
		if (pend && took)
			memmove(pkts, pkts + took, pend * sizeof(pkts[0]));
	}
	udrv_pkt_free_bulk(pkts, pend);
	elapsed = app_now() - t0;
	removed = app_port_removed(&ap);
	/* Give looped-back frames a moment to arrive, then count them. */
	for (double t = app_now(); !removed && app_now() - t < 0.2;)
		drain_rx(&ap, &rx, &bad);
	{
		double pps = elapsed > 0 ? (double)sent / elapsed : 0;
		double gbps = pps * o->size * 8 / 1e9;
		struct udrv_net_stats st = { 0 };

		udrv_net_stats_get(ap.port, &st);
		if (removed)
			app_port_removed_close(&ap, "pktgen");
		if (o->json)
			printf("{\"mode\":\"pktgen\",\"packets\":%llu,\"pps\":%.0f,\"gbps\":%.4f,"
			       "\"seconds\":%.3f,\"size\":%u,\"tx_errors\":%llu,\"tx_full\":%llu,"
			       "\"received\":%llu,\"bad\":%llu}\n", (unsigned long long)sent, pps, gbps,
			       elapsed, o->size, (unsigned long long)st.tx.errors,
			       (unsigned long long)st.tx.drops, (unsigned long long)rx,
			       (unsigned long long)bad);
		else
			printf("pktgen: %llu packets in %.3f s: %.0f pps, %.4f Gbit/s (%u-byte frames); "
			       "%llu came back, %llu bad\n", (unsigned long long)sent, elapsed, pps, gbps,
			       o->size, (unsigned long long)rx, (unsigned long long)bad);
	}
	app_close_port(&ap);
	return bad || removed ? 1 : 0;
}
