/* SPDX-License-Identifier: MIT */
/* e1000e driver against the 82574L device model: bring-up, MAC and link,
 * rings, batching, reclaim, counters, every kind of device lie, a device
 * that is gone. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <udrv/e1000e_model.h>
#include <udrv/model.h>
#include <udrv/net.h>
#include <udrv/udrv.h>

#define POOL_COUNT 2048u
#define GPTC_REG 0x4080 /* 82574 datasheet 10.2.7: Good Packets Transmitted Count */

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

#include "port_ctx.h"

/* Rings of 64 unless po says otherwise, so that a few hundred frames wrap. */
static void open_port(struct ctx *c, const struct udrv_e1000e_model_opts *mo,
		      const struct udrv_net_port_opts *po)
{
	struct udrv_net_port_opts o = { .size = sizeof(o), .rx_ring_size = 64,
					.tx_ring_size = 64 };

	memset(c, 0, sizeof(*c));
	assert_int_equal(udrv_e1000e_model_open(mo, &c->dev), 0);
	ctx_attach(c, po ? *po : o);
}

static void close_port(struct ctx *c)
{
	struct udrv_e1000e_model_stats ms;

	udrv_net_close(c->port);
	c->port = NULL;
	assert_int_equal(udrv_e1000e_model_stats(c->dev, &ms), 0);
	assert_int_equal(ms.bad_desc, 0);
	assert_int_equal(ms.bad_ring, 0);
	ctx_detach(c);
}

static struct udrv_pkt *make_frame_to(struct udrv_pool *pool, const uint8_t dst[6],
				      uint32_t seq, uint16_t len)
{
	struct udrv_pkt *p = udrv_pkt_alloc(pool);
	uint8_t *d;

	assert_non_null(p);
	d = udrv_pkt_data(p);
	memset(d, 0, len);
	memcpy(d, dst, 6);
	memcpy(d + 6, "\x02\x00\x00\x00\x00\x01", 6);
	d[12] = 0x88;
	d[13] = 0xb5; /* local experimental ethertype */
	memcpy(d + 14, &seq, 4);
	for (unsigned i = 18; i < len; i++)
		d[i] = (uint8_t)(seq + i);
	p->data_len = len;
	p->pkt_len = len;
	return p;
}

static struct udrv_pkt *make_frame(struct udrv_pool *pool, uint32_t seq, uint16_t len)
{
	return make_frame_to(pool, bcast, seq, len);
}

static void check_frame(struct udrv_pkt *p, uint32_t seq, uint16_t len)
{
	const uint8_t *d = udrv_pkt_data(p);
	uint32_t got;

	assert_int_equal(p->data_len, len);
	assert_int_equal(p->pkt_len, len);
	assert_int_equal(p->nb_segs, 1);
	memcpy(&got, d + 14, 4);
	assert_int_equal(got, seq);
	for (unsigned i = 18; i < len; i++)
		assert_int_equal(d[i], (uint8_t)(seq + i));
}

static void send_one(struct ctx *c, struct udrv_pkt *p)
{
	assert_int_equal(udrv_net_tx_burst(c->txq, &p, 1), 1);
}

/* Receive exactly n frames (or fail after 5 s); returns them in pkts. */
static void recv_n(struct ctx *c, struct udrv_pkt **pkts, unsigned n)
{
	uint64_t deadline = now_ms() + 5000;
	unsigned got = 0;

	while (got < n) {
		unsigned k = udrv_net_rx_burst(c->rxq, pkts + got, (uint16_t)(n - got));

		got += k;
		if (!k)
			sched_yield(); /* let the model's thread run on a busy machine */
		assert_true(now_ms() < deadline);
	}
}

/* Nothing arrives: the model has processed everything sent and placed nothing. */
static void expect_nothing(struct ctx *c)
{
	struct udrv_pkt *p;

	assert_int_equal(udrv_e1000e_model_sync(c->dev), 0);
	assert_int_equal(udrv_net_rx_burst(c->rxq, &p, 1), 0);
}

/* Frame length for frame i: varies from 60 to 1514 bytes. */
static uint16_t len_of(unsigned i, uint16_t len)
{
	return len ? len : (uint16_t)(60 + (i * 97) % 1455);
}

/* Send count frames in bursts of burst (len 0: varying sizes), receive them,
 * check order and content. At most half the rx ring is in flight (the model,
 * like a NIC, drops what arrives while no rx descriptor is posted). */
static void loop_traffic(struct ctx *c, unsigned count, unsigned burst, uint16_t len)
{
	struct udrv_pkt *tx[64], *rx[64];
	unsigned sent = 0, recvd = 0;
	uint64_t deadline = now_ms() + 20000;
	struct udrv_net_info info;

	udrv_net_info(c->port, &info);
	assert_true(burst <= 64);
	while (recvd < count) {
		unsigned got;

		if (sent < count && sent - recvd + burst <= info.rx_ring_size / 2u) {
			unsigned n = count - sent < burst ? count - sent : burst, took;

			for (unsigned i = 0; i < n; i++)
				tx[i] = make_frame(c->pool, sent + i, len_of(sent + i, len));
			took = udrv_net_tx_burst(c->txq, tx, (uint16_t)n);
			udrv_pkt_free_bulk(tx + took, n - took);
			sent += took;
		}
		got = udrv_net_rx_burst(c->rxq, rx, 64);
		for (unsigned i = 0; i < got; i++)
			check_frame(rx[i], recvd + i, len_of(recvd + i, len));
		udrv_pkt_free_bulk(rx, got);
		recvd += got;
		if (!got)
			sched_yield();
		assert_true(now_ms() < deadline);
	}
}

static struct udrv_e1000e_model_stats model_stats(struct ctx *c)
{
	struct udrv_e1000e_model_stats ms;

	assert_int_equal(udrv_e1000e_model_stats(c->dev, &ms), 0);
	return ms;
}

/* --- bring-up, MAC, link --- */

static void open__mac_from_rah_link_up_rings_enabled(void **state)
{
	struct udrv_e1000e_model_opts mo = { .size = sizeof(mo), .mac = { 2, 0, 0, 0, 0, 7 } };
	struct udrv_e1000e_model_stats ms;
	struct udrv_net_link link;
	struct udrv_net_info info;
	uint8_t mac[6];
	struct ctx c;

	open_port(&c, &mo, NULL);
	assert_int_equal(udrv_net_mac_get(c.port, mac), 0);
	assert_memory_equal(mac, mo.mac, 6);
	assert_int_equal(udrv_net_link_get(c.port, &link), 0);
	assert_true(link.up);
	assert_true(link.full_duplex);
	assert_int_equal(link.speed_mbps, 1000);
	udrv_net_info(c.port, &info);
	assert_string_equal(info.driver, "e1000e");
	assert_int_equal(info.rx_ring_size, 64);
	assert_int_equal(udrv_net_status(c.port), 0);
	assert_int_equal(udrv_e1000e_model_sync(c.dev), 0);
	ms = model_stats(&c);
	/* The driver wrote the address back with AV, enabled receive with
	 * broadcasts accepted and the CRC stripped, and not promiscuous. */
	assert_true(ms.mac_valid);
	assert_memory_equal(ms.mac, mo.mac, 6);
	assert_int_equal(ms.rctl & 0x0400801au, 0x04008002u); /* EN BAM SECRC, no UPE MPE */
	close_port(&c);
}

static void open__mac_read_through_eerd_when_rah_invalid(void **state)
{
	struct udrv_e1000e_model_opts mo = { .size = sizeof(mo), .mac_in_eeprom_only = true,
					     .mac = { 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee } };
	uint8_t mac[6];
	struct ctx c;

	open_port(&c, &mo, NULL);
	assert_int_equal(udrv_net_mac_get(c.port, mac), 0);
	assert_memory_equal(mac, mo.mac, 6);
	loop_traffic(&c, 8, 8, 60);
	close_port(&c);
}

static void open__multicast_mac_in_eeprom_refused(void **state)
{
	struct udrv_e1000e_model_opts mo = { .size = sizeof(mo), .mac = { 1, 0, 0x5e, 0, 0, 1 } };
	struct udrv_net_port_opts po = { .size = sizeof(po) };
	struct udrv_net_port *port = NULL;
	struct udrv_dev *dev;

	assert_int_equal(udrv_e1000e_model_open(&mo, &dev), 0);
	assert_int_equal(udrv_net_open_dev(dev, &po, &port), -EIO);
	assert_null(port);
	assert_non_null(strstr(udrv_last_error(), "MAC address is invalid"));
	assert_int_equal(udrv_model_dma_faults(dev), 0);
	udrv_dev_close(dev);
}

static void mac_set__receive_filter_follows_the_new_address(void **state)
{
	const uint8_t old_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 }; /* model default */
	const uint8_t new_mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	struct udrv_e1000e_model_stats ms;
	struct udrv_pkt *rx;
	uint8_t mac[6];
	struct ctx c;

	open_port(&c, NULL, NULL);
	send_one(&c, make_frame_to(c.pool, old_mac, 1, 60));
	recv_n(&c, &rx, 1);
	check_frame(rx, 1, 60);
	udrv_pkt_free(rx);
	assert_int_equal(udrv_net_mac_set(c.port, mcast), -EINVAL);
	assert_int_equal(udrv_net_mac_set(c.port, new_mac), 0);
	assert_int_equal(udrv_net_mac_get(c.port, mac), 0);
	assert_memory_equal(mac, new_mac, 6);
	assert_int_equal(udrv_e1000e_model_sync(c.dev), 0);
	ms = model_stats(&c);
	assert_true(ms.mac_valid);
	assert_memory_equal(ms.mac, new_mac, 6); /* RAL/RAH byte order as the device reads it */
	/* The old address is filtered out now, the new one comes in. */
	send_one(&c, make_frame_to(c.pool, old_mac, 2, 60));
	expect_nothing(&c);
	assert_int_equal(model_stats(&c).rx_filtered, ms.rx_filtered + 1);
	send_one(&c, make_frame_to(c.pool, new_mac, 3, 60));
	recv_n(&c, &rx, 1);
	check_frame(rx, 3, 60);
	udrv_pkt_free(rx);
	/* Promiscuous: anything comes in; off again: filtered again. */
	assert_int_equal(udrv_net_promisc_set(c.port, true), 0);
	send_one(&c, make_frame_to(c.pool, old_mac, 4, 60));
	recv_n(&c, &rx, 1);
	check_frame(rx, 4, 60);
	udrv_pkt_free(rx);
	assert_int_equal(udrv_net_promisc_set(c.port, false), 0);
	send_one(&c, make_frame_to(c.pool, mcast, 5, 60));
	expect_nothing(&c);
	close_port(&c);
}

static void link__down_loses_frames_and_up_recovers(void **state)
{
	struct udrv_net_link link;
	struct udrv_pkt *tx[8];
	uint64_t deadline = now_ms() + 5000;
	struct ctx c;

	open_port(&c, NULL, NULL);
	assert_int_equal(udrv_e1000e_model_set_link(c.dev, false), 0);
	assert_int_equal(udrv_net_link_get(c.port, &link), 0);
	assert_false(link.up);
	assert_int_equal(link.speed_mbps, 0);
	for (unsigned i = 0; i < 8; i++)
		tx[i] = make_frame(c.pool, i, 60);
	assert_int_equal(udrv_net_tx_burst(c.txq, tx, 8), 8);
	while (model_stats(&c).link_drops < 8)
		assert_true(now_ms() < deadline);
	expect_nothing(&c);
	/* Sent into the void, but the buffers still come back. */
	assert_int_equal(udrv_net_tx_reclaim(c.txq), 8);
	assert_int_equal(udrv_e1000e_model_set_link(c.dev, true), 0);
	assert_int_equal(udrv_net_link_get(c.port, &link), 0);
	assert_true(link.up);
	loop_traffic(&c, 32, 8, 60);
	close_port(&c);
}

/* --- data path --- */

static void tx_rx__loopback_wraps_rings_many_times(void **state)
{
	struct ctx c;

	open_port(&c, NULL, NULL);
	loop_traffic(&c, 1000, 16, 0);  /* sizes 60-1514, ~16 ring wraps */
	loop_traffic(&c, 333, 7, 60);   /* odd bursts against a power-of-two ring */
	assert_int_equal(model_stats(&c).rx_no_desc, 0);
	close_port(&c);
}

static void tx_rx__short_frame_padded_to_60_bytes(void **state)
{
	struct udrv_pkt *rx;
	const uint8_t *d;
	struct ctx c;

	open_port(&c, NULL, NULL);
	send_one(&c, make_frame(c.pool, 9, 42));
	recv_n(&c, &rx, 1);
	assert_int_equal(rx->data_len, 60); /* TCTL.PSP, FCS stripped */
	d = udrv_pkt_data(rx);
	for (unsigned i = 18; i < 42; i++)
		assert_int_equal(d[i], (uint8_t)(9 + i));
	for (unsigned i = 42; i < 60; i++)
		assert_int_equal(d[i], 0);
	udrv_pkt_free(rx);
	close_port(&c);
}

static void tx_rx__oversized_frame_refused_and_counted(void **state)
{
	struct udrv_net_stats st;
	struct ctx c;

	open_port(&c, NULL, NULL);
	send_one(&c, make_frame(c.pool, 1, 1600)); /* > 1518 without LPE */
	expect_nothing(&c);
	assert_int_equal(model_stats(&c).rx_too_long, 1);
	assert_int_equal(udrv_net_stats_get(c.port, &st), 0);
	assert_int_equal(st.hw_rx_errors, 1); /* RLEC */
	assert_int_equal(st.hw_tx_packets, 1);
	assert_int_equal(st.hw_rx_packets, 0);
	loop_traffic(&c, 16, 8, 60);
	close_port(&c);
}

static void tx_rx__chained_packet_sent_as_one_frame(void **state)
{
	struct udrv_pkt *head, *tail, *rx;
	uint8_t *d;
	struct ctx c;

	open_port(&c, NULL, NULL);
	head = make_frame(c.pool, 5, 100);
	tail = udrv_pkt_alloc(c.pool);
	assert_non_null(tail);
	d = udrv_pkt_data(tail);
	for (unsigned i = 0; i < 200; i++)
		d[i] = (uint8_t)(5 + 100 + i);
	tail->data_len = 200;
	head->next = tail;
	head->nb_segs = 2;
	head->pkt_len = 300;
	send_one(&c, head);
	recv_n(&c, &rx, 1);
	check_frame(rx, 5, 300);
	udrv_pkt_free(rx);
	close_port(&c);
}

static void tx_burst__takes_only_what_fits(void **state)
{
	struct udrv_pkt *tx[100];
	struct udrv_net_qstats qs;
	struct ctx c;

	open_port(&c, NULL, NULL);
	for (unsigned i = 0; i < 100; i++)
		tx[i] = make_frame(c.pool, i, 60);
	/* 64 descriptors, one kept free so the tail never meets the head. */
	assert_int_equal(udrv_net_tx_burst(c.txq, tx, 100), 63);
	assert_int_equal(udrv_net_txq_stats(c.port, 0, &qs), 0);
	assert_int_equal(qs.packets, 63);
	assert_int_equal(qs.drops, 37);
	udrv_pkt_free_bulk(tx + 63, 37);
	close_port(&c);
}

/* RDT and TDT are written once per burst: after each burst the test waits
 * for the model to have seen it, so every write of a new value is counted. */
static void batching__one_tail_write_per_burst(void **state)
{
	struct udrv_e1000e_model_stats before, after;
	struct udrv_pkt *tx[16], *rx[16];
	unsigned rx_bursts = 0;
	struct ctx c;

	open_port(&c, NULL, NULL);
	loop_traffic(&c, 8, 8, 60);
	assert_int_equal(udrv_e1000e_model_sync(c.dev), 0);
	before = model_stats(&c);
	for (unsigned b = 0; b < 20; b++) {
		uint64_t deadline = now_ms() + 5000;
		unsigned got = 0;

		for (unsigned i = 0; i < 16; i++)
			tx[i] = make_frame(c.pool, b * 16 + i, 60);
		assert_int_equal(udrv_net_tx_burst(c.txq, tx, 16), 16);
		assert_int_equal(udrv_e1000e_model_sync(c.dev), 0);
		while (got < 16) {
			unsigned k = udrv_net_rx_burst(c.rxq, rx + got, (uint16_t)(16 - got));

			if (k) {
				rx_bursts++;
				assert_int_equal(udrv_e1000e_model_sync(c.dev), 0);
			}
			got += k;
			assert_true(now_ms() < deadline);
		}
		for (unsigned i = 0; i < 16; i++)
			check_frame(rx[i], b * 16 + i, 60);
		udrv_pkt_free_bulk(rx, 16);
	}
	after = model_stats(&c);
	assert_int_equal(after.tdt_writes - before.tdt_writes, 20);
	assert_int_equal(after.rdt_writes - before.rdt_writes, rx_bursts);
	assert_int_equal(after.tx_frames - before.tx_frames, 320);
	close_port(&c);
}

static void reclaim__tx_buffers_return_to_pool(void **state)
{
	struct ctx c;

	open_port(&c, NULL, NULL);
	loop_traffic(&c, 500, 16, 60);
	/* Everything was sent; what the ring still holds comes back now. */
	udrv_net_tx_reclaim(c.txq);
	assert_int_equal(udrv_net_tx_reclaim(c.txq), 0);
	/* Only the rx ring's 64 buffers are out of the pool. */
	assert_int_equal(udrv_pool_available(c.pool), POOL_COUNT - 64);
	close_port(&c); /* and after close, none */
}

/* --- counters --- */

static void counters__per_queue_port_and_device_clear_on_read(void **state)
{
	struct udrv_net_port_opts po = { .size = sizeof(po), .rx_ring_size = 64,
					 .tx_ring_size = 128 };
	volatile uint32_t *gptc;
	struct udrv_net_qstats rq, tq;
	struct udrv_net_stats st;
	struct udrv_pkt *pkts[64];
	uint64_t deadline = now_ms() + 5000;
	struct ctx c;

	open_port(&c, NULL, &po);
	loop_traffic(&c, 200, 16, 100);
	assert_int_equal(udrv_net_rxq_stats(c.port, 0, &rq), 0);
	assert_int_equal(udrv_net_txq_stats(c.port, 0, &tq), 0);
	assert_int_equal(rq.packets, 200);
	assert_int_equal(rq.bytes, 200 * 100);
	assert_int_equal(tq.packets, 200);
	assert_int_equal(tq.bytes, 200 * 100);
	assert_int_equal(rq.errors + tq.errors + rq.drops + tq.drops, 0);
	assert_int_equal(udrv_net_rxq_stats(c.port, 1, &rq), -EINVAL);
	assert_int_equal(udrv_net_stats_get(c.port, &st), 0);
	assert_int_equal(st.rx.packets, 200);
	assert_int_equal(st.tx.bytes, 200 * 100);
	assert_int_equal(st.hw_tx_packets, 200);
	assert_int_equal(st.hw_rx_packets, 200);
	/* The device's counters cleared when read, and the driver keeps the sum:
	 * a second read neither doubles nor loses them. */
	gptc = (volatile uint32_t *)((uint8_t *)udrv_model_bar(c.dev, 0) + GPTC_REG);
	assert_int_equal(*gptc, 0);
	assert_int_equal(udrv_net_stats_get(c.port, &st), 0);
	assert_int_equal(st.hw_tx_packets, 200);
	assert_int_equal(st.hw_rx_packets, 200);
	/* 100 frames against 63 posted rx descriptors: 37 missed (MPC). */
	for (unsigned b = 0; b < 2; b++) {
		for (unsigned k = 0; k < 50; k++)
			pkts[k] = make_frame(c.pool, b * 50 + k, 60);
		assert_int_equal(udrv_net_tx_burst(c.txq, pkts, 50), 50);
	}
	while (model_stats(&c).tx_frames < 300)
		assert_true(now_ms() < deadline);
	assert_int_equal(udrv_net_stats_get(c.port, &st), 0);
	assert_int_equal(st.hw_rx_missed, 37);
	assert_int_equal(st.hw_tx_packets, 300);
	assert_int_equal(st.hw_rx_packets, 263);
	recv_n(&c, pkts, 63);
	for (unsigned k = 0; k < 63; k++)
		check_frame(pkts[k], k, 60);
	udrv_pkt_free_bulk(pkts, 63);
	udrv_net_stats_reset(c.port);
	assert_int_equal(udrv_net_stats_get(c.port, &st), 0);
	assert_int_equal(st.rx.packets + st.tx.packets + st.rx.bytes + st.tx.bytes, 0);
	assert_int_equal(st.hw_rx_missed + st.hw_tx_packets + st.hw_rx_packets, 0);
	close_port(&c);
}

/* --- device lies --- */

/* Arm fault f after some traffic, keep the port busy until the driver
 * notices, check what it says, that the port stopped, then reset and use it. */
static void check_fault_detected(enum udrv_e1000e_model_fault f, const char *says,
				 uint64_t errors)
{
	uint64_t deadline = now_ms() + 10000;
	struct udrv_net_stats st;
	struct udrv_pkt *p;
	uint32_t seq = 0;
	struct ctx c;

	open_port(&c, NULL, NULL);
	loop_traffic(&c, 100, 16, 60);
	assert_int_equal(udrv_e1000e_model_inject(c.dev, f), 0);
	if (f != UDRV_E1000E_MODEL_FAULT_RX_LEN_TOO_BIG) {
		assert_int_equal(udrv_e1000e_model_sync(c.dev), 0);
		assert_int_equal(model_stats(&c).faults_applied, 1);
	}
	/* Reclaim first: a tx lie sits at the tail until the next post. */
	while (udrv_net_tx_reclaim(c.txq), udrv_net_status(c.port) == 0) {
		struct udrv_pkt *rx[8];
		unsigned got;

		p = make_frame(c.pool, seq++, 60);
		if (udrv_net_tx_burst(c.txq, &p, 1) != 1)
			udrv_pkt_free(p);
		got = udrv_net_rx_burst(c.rxq, rx, 8);
		udrv_pkt_free_bulk(rx, got);
		if (!got)
			sched_yield();
		assert_true(now_ms() < deadline);
	}
	assert_int_equal(udrv_net_status(c.port), -EIO);
	assert_non_null(strstr(udrv_last_error(), says));
	assert_non_null(strstr(udrv_last_error(), "udrv_net_reset"));
	assert_int_equal(udrv_net_stats_get(c.port, &st), 0);
	assert_int_equal(st.rx.errors + st.tx.errors, errors);
	assert_int_equal(model_stats(&c).faults_applied, 1);
	/* Stopped: bursts take and return nothing. */
	p = make_frame(c.pool, 0, 60);
	assert_int_equal(udrv_net_tx_burst(c.txq, &p, 1), 0);
	udrv_pkt_free(p);
	assert_int_equal(udrv_net_rx_burst(c.rxq, &p, 1), 0);
	/* And it recovers. */
	assert_int_equal(udrv_net_reset(c.port), 0);
	assert_int_equal(udrv_net_status(c.port), 0);
	loop_traffic(&c, 100, 16, 60);
	close_port(&c);
}

static void fault__rx_dd_in_descriptor_not_posted(void **state)
{
	check_fault_detected(UDRV_E1000E_MODEL_FAULT_RX_DD_NOT_POSTED,
			     "DD in a descriptor it does not own", 1);
}

static void fault__tx_dd_in_descriptor_not_posted(void **state)
{
	check_fault_detected(UDRV_E1000E_MODEL_FAULT_TX_DD_NOT_POSTED,
			     "DD in a descriptor it was not given", 1);
}

static void fault__rx_head_beyond_ring(void **state)
{
	check_fault_detected(UDRV_E1000E_MODEL_FAULT_RX_HEAD_BEYOND, "head beyond its ring", 0);
}

static void fault__tx_head_beyond_ring(void **state)
{
	check_fault_detected(UDRV_E1000E_MODEL_FAULT_TX_HEAD_BEYOND, "head beyond its ring", 0);
}

static void fault__rx_length_beyond_buffer(void **state)
{
	check_fault_detected(UDRV_E1000E_MODEL_FAULT_RX_LEN_TOO_BIG,
			     "a length beyond the buffer", 1);
}

/* --- a device that is gone --- */

static void gone__reported_counters_kept_and_recovered_after_return(void **state)
{
	struct udrv_net_link link;
	struct udrv_net_stats st;
	struct udrv_pkt *tx[4], *rx;
	unsigned took;
	struct ctx c;

	open_port(&c, NULL, NULL);
	loop_traffic(&c, 50, 10, 60);
	assert_int_equal(udrv_net_stats_get(c.port, &st), 0);
	assert_int_equal(st.hw_tx_packets, 50);
	assert_int_equal(udrv_e1000e_model_set_gone(c.dev, true), 0);
	assert_int_equal(udrv_net_status(c.port), -ENODEV);
	assert_non_null(strstr(udrv_last_error(), "the device is gone"));
	assert_int_equal(udrv_net_link_get(c.port, &link), -ENODEV);
	/* All-ones counters are not added up: the sums read before stay. */
	assert_int_equal(udrv_net_stats_get(c.port, &st), 0);
	assert_int_equal(st.hw_tx_packets, 50);
	assert_int_equal(st.hw_rx_packets, 50);
	assert_int_equal(st.hw_rx_missed + st.hw_rx_errors, 0);
	/* The data path neither crashes nor hands out anything. */
	for (unsigned i = 0; i < 4; i++)
		tx[i] = make_frame(c.pool, i, 60);
	took = udrv_net_tx_burst(c.txq, tx, 4);
	assert_int_equal(took, 0); /* status stopped the port */
	udrv_pkt_free_bulk(tx, 4);
	assert_int_equal(udrv_net_rx_burst(c.rxq, &rx, 1), 0);
	assert_int_equal(udrv_net_reset(c.port), -ENODEV);
	/* The device comes back (power-on state): reset brings the port back. */
	assert_int_equal(udrv_e1000e_model_set_gone(c.dev, false), 0);
	assert_int_equal(udrv_net_reset(c.port), 0);
	assert_int_equal(udrv_net_status(c.port), 0);
	loop_traffic(&c, 50, 10, 60);
	close_port(&c);
}

static void gone__close_returns_every_buffer(void **state)
{
	struct udrv_pkt *tx[8];
	unsigned took;
	struct ctx c;

	open_port(&c, NULL, NULL);
	loop_traffic(&c, 20, 10, 60);
	assert_int_equal(udrv_e1000e_model_set_gone(c.dev, true), 0);
	for (unsigned i = 0; i < 8; i++)
		tx[i] = make_frame(c.pool, i, 60);
	/* Nothing said it is gone yet: the driver takes them, and never gets
	 * them back from the device. */
	took = udrv_net_tx_burst(c.txq, tx, 8);
	assert_int_equal(took, 8);
	close_port(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open__mac_from_rah_link_up_rings_enabled),
		cmocka_unit_test(open__mac_read_through_eerd_when_rah_invalid),
		cmocka_unit_test(open__multicast_mac_in_eeprom_refused),
		cmocka_unit_test(mac_set__receive_filter_follows_the_new_address),
		cmocka_unit_test(link__down_loses_frames_and_up_recovers),
		cmocka_unit_test(tx_rx__loopback_wraps_rings_many_times),
		cmocka_unit_test(tx_rx__short_frame_padded_to_60_bytes),
		cmocka_unit_test(tx_rx__oversized_frame_refused_and_counted),
		cmocka_unit_test(tx_rx__chained_packet_sent_as_one_frame),
		cmocka_unit_test(tx_burst__takes_only_what_fits),
		cmocka_unit_test(batching__one_tail_write_per_burst),
		cmocka_unit_test(reclaim__tx_buffers_return_to_pool),
		cmocka_unit_test(counters__per_queue_port_and_device_clear_on_read),
		cmocka_unit_test(fault__rx_dd_in_descriptor_not_posted),
		cmocka_unit_test(fault__tx_dd_in_descriptor_not_posted),
		cmocka_unit_test(fault__rx_head_beyond_ring),
		cmocka_unit_test(fault__tx_head_beyond_ring),
		cmocka_unit_test(fault__rx_length_beyond_buffer),
		cmocka_unit_test(gone__reported_counters_kept_and_recovered_after_return),
		cmocka_unit_test(gone__close_returns_every_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
