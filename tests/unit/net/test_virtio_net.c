/* SPDX-License-Identifier: MIT */
/* virtio-net driver against the virtio-net device model: bring-up, rings,
 * batching, reclaim, counters, and every kind of device lie. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <udrv/udrv.h>
#include <udrv/net.h>
#include <udrv/net_model.h>

#define POOL_COUNT 4096u

#include "port_ctx.h"

static void open_port(struct ctx *c, const struct udrv_net_model_opts *mo,
		      const struct udrv_net_port_opts *po)
{
	struct udrv_net_port_opts def = { .size = sizeof(def) };

	memset(c, 0, sizeof(*c));
	assert_int_equal(udrv_net_model_open(mo, &c->dev), 0);
	ctx_attach(c, po ? *po : def);
}

static void close_port(struct ctx *c)
{
	ctx_detach(c);
}

/* A 60-byte frame carrying seq. */
static struct udrv_pkt *make_frame(struct udrv_pool *pool, uint32_t seq, uint16_t len)
{
	struct udrv_pkt *p = udrv_pkt_alloc(pool);
	uint8_t *d;

	assert_non_null(p);
	d = udrv_pkt_data(p);
	memset(d, 0, len);
	memset(d, 0xff, 6);
	memcpy(d + 6, "\x52\x54\x00\x00\x00\x01", 6);
	d[12] = 0x88;
	d[13] = 0xb5; /* local experimental ethertype */
	memcpy(d + 14, &seq, 4);
	p->data_len = len;
	p->pkt_len = len;
	return p;
}

static uint32_t frame_seq(struct udrv_pkt *p)
{
	uint32_t seq;

	memcpy(&seq, (uint8_t *)udrv_pkt_data(p) + 14, 4);
	return seq;
}

/* Send count frames in bursts of burst, receive them, check order and content. */
static void loop_traffic(struct ctx *c, unsigned count, unsigned burst, uint16_t len)
{
	struct udrv_pkt *tx[64], *rx[64];
	unsigned sent = 0, recvd = 0;
	uint64_t deadline = now_ms() + 20000;
	struct udrv_net_info info;

	/* The model, like a NIC, drops what arrives while no rx buffer is
	 * posted: keep at most half an rx ring in flight so nothing is lost. */
	udrv_net_info(c->port, &info);
	assert_true(burst <= 64);
	while (recvd < count) {
		if (sent < count && sent - recvd + burst <= info.rx_ring_size / 2u) {
			unsigned n = count - sent < burst ? count - sent : burst, took;

			for (unsigned i = 0; i < n; i++)
				tx[i] = make_frame(c->pool, sent + i, len);
			took = udrv_net_tx_burst(c->txq, tx, (uint16_t)n);
			for (unsigned i = took; i < n; i++)
				udrv_pkt_free(tx[i]);
			sent += took;
		}
		unsigned got = udrv_net_rx_burst(c->rxq, rx, 64);

		for (unsigned i = 0; i < got; i++) {
			assert_int_equal(rx[i]->data_len, len);
			assert_int_equal(rx[i]->pkt_len, len);
			assert_int_equal(frame_seq(rx[i]), recvd + i);
		}
		udrv_pkt_free_bulk(rx, got);
		recvd += got;
		if (!got)
			sched_yield(); /* let the model's thread run on a busy machine */
		assert_true(now_ms() < deadline);
	}
}

/* --- bring-up --- */

static void open__model_negotiates_mac_and_link(void **state)
{
	struct udrv_net_model_opts mo = { .size = sizeof(mo), .mac = { 2, 0, 0, 0, 0, 7 } };
	struct udrv_net_link link;
	struct udrv_net_info info;
	uint8_t mac[6];
	struct ctx c;

	open_port(&c, &mo, NULL);
	assert_int_equal(udrv_net_mac_get(c.port, mac), 0);
	assert_memory_equal(mac, mo.mac, 6);
	assert_int_equal(udrv_net_link_get(c.port, &link), 0);
	assert_true(link.up);
	udrv_net_model_set_link(c.dev, false);
	assert_int_equal(udrv_net_link_get(c.port, &link), 0);
	assert_false(link.up);
	udrv_net_info(c.port, &info);
	assert_string_equal(info.driver, "virtio-net");
	assert_int_equal(info.rx_ring_size, 256);
	assert_int_equal(udrv_net_status(c.port), 0);
	close_port(&c);
}

static void open__ring_size_clamped_to_device(void **state)
{
	struct udrv_net_model_opts mo = { .size = sizeof(mo), .queue_size = 64 };
	struct udrv_net_port_opts po = { .size = sizeof(po), .rx_ring_size = 1024,
					 .tx_ring_size = 512 };
	struct udrv_net_info info;
	struct ctx c;

	open_port(&c, &mo, &po);
	udrv_net_info(c.port, &info);
	assert_int_equal(info.rx_ring_size, 64);
	assert_int_equal(info.tx_ring_size, 64);
	close_port(&c);
}

static void open__too_many_queues_without_mq_fails(void **state)
{
	struct udrv_net_port_opts po = { .size = sizeof(po), .nb_rxq = 2, .nb_txq = 2 };
	struct udrv_net_port *port;
	struct udrv_dev *dev;

	assert_int_equal(udrv_net_model_open(NULL, &dev), 0);
	assert_int_equal(udrv_net_open_dev(dev, &po, &port), -EINVAL);
	udrv_dev_close(dev);
}

/* A failure UDRV_VIRTIO_NET_FEATURES_OFF causes names it; a bad mask is refused. */
static void open__features_off_env_is_named_in_failures(void **state)
{
	struct udrv_net_model_opts mo = { .size = sizeof(mo), .max_pairs = 2 };
	struct udrv_net_port_opts po = { .size = sizeof(po), .nb_rxq = 2, .nb_txq = 2 };
	struct udrv_net_port *port;
	struct udrv_dev *dev;

	(void)state;
	setenv("UDRV_VIRTIO_NET_FEATURES_OFF", "0x400000", 1); /* VIRTIO_NET_F_MQ */
	assert_int_equal(udrv_net_model_open(&mo, &dev), 0);
	assert_int_equal(udrv_net_open_dev(dev, &po, &port), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "2 queue pairs asked for, the device offers 1"));
	assert_non_null(strstr(udrv_last_error(), "UDRV_VIRTIO_NET_FEATURES_OFF=0x400000 turned off "
					       "offered features 0x400000"));
	udrv_dev_close(dev);
	setenv("UDRV_VIRTIO_NET_FEATURES_OFF", "no-evidx", 1);
	assert_int_equal(udrv_net_model_open(&mo, &dev), 0);
	assert_int_equal(udrv_net_open_dev(dev, &po, &port), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "UDRV_VIRTIO_NET_FEATURES_OFF=no-evidx is not a "
					       "feature bit mask"));
	udrv_dev_close(dev);
	unsetenv("UDRV_VIRTIO_NET_FEATURES_OFF");
}

static void open__rejects_every_broken_capability_layout(void **state)
{
	static const enum udrv_net_model_cap_fault faults[] = {
		UDRV_NET_MODEL_CAP_COMMON_BEYOND_BAR, UDRV_NET_MODEL_CAP_NOTIFY_LEN_WRAPS,
		UDRV_NET_MODEL_CAP_DEVICE_BAD_BAR, UDRV_NET_MODEL_CAP_LIST_LOOP,
		UDRV_NET_MODEL_CAP_LEN_BEYOND_CONFIG, UDRV_NET_MODEL_CAP_NOTIFY_OFF_BEYOND,
	};

	for (unsigned i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		struct udrv_net_model_opts mo = { .size = sizeof(mo), .cap_fault = faults[i] };
		struct udrv_net_port *port = NULL;
		struct udrv_dev *dev;

		assert_int_equal(udrv_net_model_open(&mo, &dev), 0);
		assert_int_equal(udrv_net_open_dev(dev, NULL, &port), -EPROTO);
		assert_null(port);
		assert_int_equal(udrv_model_dma_faults(dev), 0);
		udrv_dev_close(dev);
	}
}

/* --- data path --- */

static void tx_rx__loopback_one_burst(void **state)
{
	struct ctx c;

	open_port(&c, NULL, NULL);
	loop_traffic(&c, 32, 32, 60);
	close_port(&c);
}

static void tx_rx__ring_wrap_past_16bit_indices(void **state)
{
	struct udrv_net_model_opts mo = { .size = sizeof(mo), .queue_size = 64 };
	struct ctx c;

	/* 70000 frames through 64-entry rings: the rings wrap over a thousand
	 * times and the 16-bit avail/used indices wrap once. */
	open_port(&c, &mo, NULL);
	loop_traffic(&c, 70000, 32, 64);
	close_port(&c);
}

static void tx_rx__odd_bursts_and_sizes(void **state)
{
	struct udrv_net_model_opts mo = { .size = sizeof(mo), .queue_size = 16 };
	struct ctx c;

	open_port(&c, &mo, NULL);
	loop_traffic(&c, 1000, 7, 1514);
	loop_traffic(&c, 1000, 1, 60);
	close_port(&c);
}

static void tx_rx__device_completing_out_of_order_loses_nothing(void **state)
{
	struct udrv_net_model_opts mo = { .size = sizeof(mo), .queue_size = 64,
					  .out_of_order = true };
	struct udrv_pkt *tx[32], *rx[64];
	unsigned sent = 0, recvd = 0, count = 3200;
	uint64_t seqsum = 0, deadline = now_ms() + 40000;
	struct ctx c;

	/* Completions come back reversed within each batch: posting in ring order
	 * has to wait for the oldest descriptor, and must not lose or reuse one. */
	open_port(&c, &mo, NULL);
	while (recvd < count) {
		if (sent < count && sent - recvd + 32 <= 32) {
			unsigned took;

			for (unsigned i = 0; i < 32; i++)
				tx[i] = make_frame(c.pool, sent + i, 60);
			took = udrv_net_tx_burst(c.txq, tx, 32);
			udrv_pkt_free_bulk(tx + took, 32 - took);
			sent += took;
		}
		/* small rx bursts: the newest completions are taken first */
		unsigned got = udrv_net_rx_burst(c.rxq, rx, 5);

		for (unsigned i = 0; i < got; i++)
			seqsum += frame_seq(rx[i]);
		udrv_pkt_free_bulk(rx, got);
		recvd += got;
		if (!got)
			sched_yield(); /* let the model's thread run on a busy machine */
		assert_true(now_ms() < deadline);
	}
	assert_int_equal(recvd, count);
	assert_int_equal(seqsum, (uint64_t)count * (count - 1) / 2);
	assert_int_equal(udrv_net_status(c.port), 0);
	close_port(&c);
}

static void tx_burst__takes_only_what_fits(void **state)
{
	struct udrv_net_model_opts mo = { .size = sizeof(mo), .queue_size = 8 };
	struct udrv_pkt *tx[32], *rx[32];
	struct udrv_net_qstats qs;
	unsigned took, got = 0;
	uint64_t deadline = now_ms() + 5000;
	struct ctx c;

	open_port(&c, &mo, NULL);
	for (unsigned i = 0; i < 32; i++)
		tx[i] = make_frame(c.pool, i, 60);
	took = udrv_net_tx_burst(c.txq, tx, 32);
	assert_int_equal(took, 8); /* an 8-entry ring holds 8 */
	udrv_pkt_free_bulk(tx + took, 32 - took);
	while (got < 8 && now_ms() < deadline) {
		unsigned n = udrv_net_rx_burst(c.rxq, rx, 32);

		udrv_pkt_free_bulk(rx, n);
		got += n;
	}
	assert_int_equal(got, 8);
	assert_int_equal(udrv_net_txq_stats(c.port, 0, &qs), 0);
	assert_int_equal(qs.packets, 8);
	assert_int_equal(qs.drops, 24);
	close_port(&c);
}

static void tx_burst__kicks_at_most_once_per_burst(void **state)
{
	struct udrv_net_model_stats ms;
	struct ctx c;

	open_port(&c, NULL, NULL);
	loop_traffic(&c, 3200, 32, 60);
	assert_int_equal(udrv_net_model_stats(c.dev, &ms), 0);
	/* 100 tx bursts plus the rx refills: never more than one kick per publish. */
	assert_true(ms.kicks <= 100 + 3200 / 8 + 2);
	assert_int_equal(ms.tx_frames, 3200);
	assert_int_equal(ms.rx_frames, 3200);
	close_port(&c);
}

static void tx_rx__works_without_event_idx(void **state)
{
	struct udrv_net_model_opts mo = { .size = sizeof(mo),
					  .features_off = 1ull << 29 /* EVENT_IDX */ };
	struct ctx c;

	open_port(&c, &mo, NULL);
	loop_traffic(&c, 2000, 32, 60);
	close_port(&c);
}

static void tx__chained_packet_arrives_whole(void **state)
{
	struct udrv_pkt *rx[4], *p, *s;
	uint64_t deadline = now_ms() + 5000;
	unsigned got = 0;
	struct ctx c;

	open_port(&c, NULL, NULL);
	p = make_frame(c.pool, 77, 40);
	s = udrv_pkt_alloc(c.pool);
	memset(udrv_pkt_data(s), 0xab, 100);
	s->data_len = 100;
	p->next = s;
	p->nb_segs = 2;
	p->pkt_len = 140;
	assert_int_equal(udrv_net_tx_burst(c.txq, &p, 1), 1);
	while (!got && now_ms() < deadline)
		got = udrv_net_rx_burst(c.rxq, rx, 4);
	assert_int_equal(got, 1);
	assert_int_equal(rx[0]->data_len, 140);
	assert_int_equal(frame_seq(rx[0]), 77);
	assert_int_equal(((uint8_t *)udrv_pkt_data(rx[0]))[139], 0xab);
	udrv_pkt_free(rx[0]);
	close_port(&c);
}

/*
 * Issue 9: a sent chain is copied (tx_linearize) and freed; its head goes back
 * to the pool with its stale next still naming the old second segment. When
 * that head is next posted as an rx buffer and the port is reset, the driver
 * must give it back as the one buffer it posted, not as a chain: freeing it
 * with udrv_pkt_free() returned the old second segment a second time (one
 * buffer too many in the pool, the same buffer twice in the rx ring).
 * Queue size 8: rx refills after every received frame (refill_min 1).
 */
static void tx__copied_chain_head_freed_once_after_reset(void **state)
{
	struct udrv_net_model_opts mo = { .size = sizeof(mo), .queue_size = 8 };
	struct udrv_pkt *rx[4], *p, *s, *held;
	uint64_t deadline = now_ms() + 5000;
	struct udrv_net_info info;
	unsigned got = 0;
	struct ctx c;

	open_port(&c, &mo, NULL);
	udrv_net_info(c.port, &info);
	p = make_frame(c.pool, 78, 40);
	s = udrv_pkt_alloc(c.pool);
	memset(udrv_pkt_data(s), 0xcd, 20);
	s->data_len = 20;
	p->next = s;
	p->nb_segs = 2;
	p->pkt_len = 60;
	assert_int_equal(udrv_net_tx_burst(c.txq, &p, 1), 1);
	/* The chain went back to this thread's pool cache, s on top of p: keep
	 * s aside, so that the rx refill after the frame arrives posts p. */
	held = udrv_pool_get(c.pool);
	assert_ptr_equal(held, s);
	while (!got && now_ms() < deadline)
		got = udrv_net_rx_burst(c.rxq, rx, 4);
	assert_int_equal(got, 1);
	assert_int_equal(rx[0]->data_len, 60);
	udrv_pool_put(c.pool, held);
	udrv_pkt_free(rx[0]);
	/* The rx ring and the copy in the tx ring hold buffers. */
	assert_int_equal(udrv_pool_available(c.pool), POOL_COUNT - info.rx_ring_size - 1);

	assert_int_equal(udrv_net_reset(c.port), 0);
	/* Only the rx ring holds buffers: every one posted once. */
	assert_int_equal(udrv_pool_available(c.pool), POOL_COUNT - info.rx_ring_size);
	loop_traffic(&c, 64, 2, 60);
	close_port(&c);
}

static void tx__packet_without_headroom_is_copied_and_sent(void **state)
{
	struct udrv_pkt *rx[4], *p;
	uint64_t deadline = now_ms() + 5000;
	unsigned got = 0;
	uint32_t seq = 4242;
	struct ctx c;

	open_port(&c, NULL, NULL);
	p = make_frame(c.pool, seq, 60);
	/* Move the frame to the very start of the buffer: no room for the header. */
	memmove(udrv_pkt_buf(p), udrv_pkt_data(p), 60);
	p->data_off = 0;
	assert_int_equal(udrv_net_tx_burst(c.txq, &p, 1), 1);
	while (!got && now_ms() < deadline)
		got = udrv_net_rx_burst(c.rxq, rx, 4);
	assert_int_equal(got, 1);
	assert_int_equal(rx[0]->data_len, 60);
	assert_int_equal(frame_seq(rx[0]), seq);
	udrv_pkt_free(rx[0]);
	close_port(&c);
}

/* A reused buffer's headroom may hold anything, e.g. an old device header
 * asking for a checksum at offset 0; the driver must send a zero header for a
 * packet that asks for no offload, or the device would write into the frame. */
static void tx__stale_header_in_headroom_is_cleared(void **state)
{
	struct udrv_net_port_opts po = { .size = sizeof(po), .offloads = UDRV_NET_OFF_TX_CSUM };
	struct udrv_pkt *rx[4], *p;
	uint64_t deadline = now_ms() + 5000;
	uint8_t want[60], *h;
	unsigned got = 0;
	struct ctx c;

	open_port(&c, NULL, &po);
	p = make_frame(c.pool, 99, 60);
	memcpy(want, udrv_pkt_data(p), sizeof(want));
	h = (uint8_t *)udrv_pkt_data(p) - 12; /* struct virtio_net_hdr, VERSION_1 */
	memset(h, 0, 12);
	h[0] = 1; /* VIRTIO_NET_HDR_F_NEEDS_CSUM, csum_start 0, csum_offset 0 */
	assert_int_equal(udrv_net_tx_burst(c.txq, &p, 1), 1);
	while (!got && now_ms() < deadline)
		got = udrv_net_rx_burst(c.rxq, rx, 4);
	assert_int_equal(got, 1);
	assert_int_equal(rx[0]->data_len, 60);
	assert_memory_equal(udrv_pkt_data(rx[0]), want, sizeof(want));
	udrv_pkt_free(rx[0]);
	close_port(&c);
}

static void tx__chain_larger_than_a_buffer_is_dropped_and_counted(void **state)
{
	struct udrv_net_qstats qs;
	struct udrv_pkt *p, *s;
	struct ctx c;

	open_port(&c, NULL, NULL);
	p = make_frame(c.pool, 1, 1500);
	s = make_frame(c.pool, 2, 1500);
	p->next = s;
	p->nb_segs = 2;
	p->pkt_len = 3000;
	assert_int_equal(udrv_net_tx_burst(c.txq, &p, 1), 1); /* taken ... */
	assert_int_equal(udrv_net_txq_stats(c.port, 0, &qs), 0);
	assert_int_equal(qs.errors, 1);                         /* ... and dropped */
	assert_int_equal(qs.packets, 0);
	close_port(&c);
}

static uint32_t sum16(const uint8_t *b, unsigned len, uint32_t sum)
{
	for (unsigned i = 0; i < len; i += 2)
		sum += (uint32_t)b[i] << 8 | (i + 1 < len ? b[i + 1] : 0);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void offload__udp_checksum_computed_by_device_and_rx_marked_good(void **state)
{
	struct udrv_net_port_opts po = { .size = sizeof(po),
					 .offloads = UDRV_NET_OFF_RX_CSUM | UDRV_NET_OFF_TX_CSUM };
	const uint8_t ipsrc[4] = { 169, 254, 0, 1 }, ipdst[4] = { 169, 254, 0, 2 };
	struct udrv_pkt *p, *rx[4];
	struct udrv_net_info info;
	uint64_t deadline = now_ms() + 5000;
	unsigned got = 0, udp_len = 8 + 32;
	uint8_t *d, *udp;
	uint32_t ps;
	struct ctx c;

	open_port(&c, NULL, &po);
	udrv_net_info(c.port, &info);
	assert_int_equal(info.offloads, UDRV_NET_OFF_RX_CSUM | UDRV_NET_OFF_TX_CSUM);
	assert_int_equal(info.offload_capa & info.offloads, info.offloads);
	p = make_frame(c.pool, 0, 14 + 20 + 40);
	d = udrv_pkt_data(p);
	d[12] = 0x08;
	d[13] = 0x00;
	memset(d + 14, 0, 20);
	d[14] = 0x45;
	d[17] = 20 + 40;
	d[22] = 64;
	d[23] = 17;
	memcpy(d + 26, ipsrc, 4);
	memcpy(d + 30, ipdst, 4);
	udp = d + 34;
	memset(udp, 0, udp_len);
	udp[1] = 9;
	udp[3] = 9;
	udp[5] = (uint8_t)udp_len;
	memcpy(udp + 8, "checksum offload through virtio!", 32);
	/* The device wants the pseudo-header sum in the checksum field. */
	ps = fold(sum16(ipsrc, 4, sum16(ipdst, 4, 17 + udp_len)));
	udp[6] = (uint8_t)(ps >> 8);
	udp[7] = (uint8_t)ps;
	p->ol_flags = UDRV_PKT_TX_UDP_CSUM;
	p->l2_len = 14;
	p->l3_len = 20;
	assert_int_equal(udrv_net_tx_burst(c.txq, &p, 1), 1);
	while (!got && now_ms() < deadline)
		got = udrv_net_rx_burst(c.rxq, rx, 4);
	assert_int_equal(got, 1);
	assert_true(rx[0]->ol_flags & UDRV_PKT_RX_L4_CSUM_GOOD);
	d = udrv_pkt_data(rx[0]);
	/* A correct UDP checksum sums (with the pseudo header) to 0xffff. */
	assert_int_equal(fold(sum16(d + 34, udp_len, sum16(ipsrc, 4, sum16(ipdst, 4,
							17 + udp_len)))), 0xffff);
	assert_true(d[40] || d[41]);
	udrv_pkt_free(rx[0]);
	close_port(&c);
}

static void reclaim__every_tx_buffer_returns_to_pool(void **state)
{
	struct ctx c;
	struct udrv_net_info info;
	uint64_t deadline = now_ms() + 5000;
	unsigned reclaimed = 0;

	open_port(&c, NULL, NULL);
	udrv_net_info(c.port, &info);
	loop_traffic(&c, 500, 32, 60);
	/* tx buffers are reclaimed lazily, in batches: some are still held. */
	while (now_ms() < deadline) {
		unsigned r = udrv_net_tx_reclaim(c.txq);

		reclaimed += r;
		if (!r && POOL_COUNT - udrv_pool_available(c.pool) <= info.rx_ring_size)
			break;
	}
	assert_true(reclaimed > 0);
	/* Only posted rx buffers are out now. */
	assert_true(POOL_COUNT - udrv_pool_available(c.pool) <= info.rx_ring_size);
	assert_true(POOL_COUNT - udrv_pool_available(c.pool) + 32u > info.rx_ring_size);
	close_port(&c);
}

/* tx reclaim frees a run of completions straight from its bookkeeping when
 * they come from one pool; packets of two pools, interleaved in runs of odd
 * lengths across many ring wraps, must each go back to their own pool. */
static void reclaim__packets_of_two_pools_return_to_their_own(void **state)
{
	struct udrv_net_pool_opts pl = { .size = sizeof(pl), .name = "other", .count = 512 };
	struct udrv_pkt *tx[32], *rx[64];
	struct udrv_pool *other;
	unsigned sent = 0, recvd = 0, run = 0;
	uint64_t deadline = now_ms() + 20000;
	struct ctx c;

	(void)state;
	open_port(&c, NULL, NULL);
	assert_int_equal(udrv_net_pool_create(&pl, &other), 0);
	while (recvd < 3000) {
		if (sent < 3000 && sent - recvd + 32 <= 128) {
			for (unsigned i = 0; i < 32; i++, run++) {
				/* runs of 1, 2, ... 6 packets from each pool in turn */
				struct udrv_pool *from = (run / 7) % 2 ? other : c.pool;

				tx[i] = make_frame(from, sent + i, 60);
			}
			assert_int_equal(udrv_net_tx_burst(c.txq, tx, 32), 32);
			sent += 32;
		}
		unsigned got = udrv_net_rx_burst(c.rxq, rx, 64);

		for (unsigned i = 0; i < got; i++)
			assert_int_equal(frame_seq(rx[i]), recvd + i);
		udrv_pkt_free_bulk(rx, got);
		recvd += got;
		if (!got)
			sched_yield();
		assert_true(now_ms() < deadline);
	}
	while (udrv_net_tx_reclaim(c.txq) || udrv_pool_available(other) != 512) {
		assert_true(now_ms() < deadline);
		sched_yield();
	}
	assert_int_equal(udrv_pool_available(other), 512);
	udrv_pool_destroy(other);
	close_port(&c);
}

static void counters__match_traffic_and_reset(void **state)
{
	struct udrv_net_qstats rq, tq;
	struct udrv_net_stats st;
	struct ctx c;

	open_port(&c, NULL, NULL);
	loop_traffic(&c, 100, 10, 100);
	assert_int_equal(udrv_net_rxq_stats(c.port, 0, &rq), 0);
	assert_int_equal(udrv_net_txq_stats(c.port, 0, &tq), 0);
	assert_int_equal(rq.packets, 100);
	assert_int_equal(rq.bytes, 100 * 100);
	assert_int_equal(tq.packets, 100);
	assert_int_equal(tq.bytes, 100 * 100);
	assert_int_equal(rq.errors + tq.errors + tq.drops, 0);
	assert_int_equal(udrv_net_stats_get(c.port, &st), 0);
	assert_int_equal(st.rx.packets, 100);
	assert_int_equal(st.tx.bytes, 100 * 100);
	assert_int_equal(udrv_net_rxq_stats(c.port, 1, &rq), -EINVAL);
	udrv_net_stats_reset(c.port);
	assert_int_equal(udrv_net_stats_get(c.port, &st), 0);
	assert_int_equal(st.rx.packets + st.tx.packets + st.rx.bytes, 0);
	close_port(&c);
}

/* --- device lies --- */

/* Inject fault f on virtqueue vq, push traffic until the driver notices;
 * then check the port is stopped, reset it and check it works again. */
static void check_fault_detected(uint16_t vq, enum udrv_net_model_fault f)
{
	struct udrv_pkt *tx[32], *rx[64];
	struct udrv_net_stats st;
	uint64_t deadline = now_ms() + 10000;
	struct ctx c;

	open_port(&c, NULL, NULL);
	loop_traffic(&c, 64, 32, 60); /* ids in use, so a stale one exists */
	assert_int_equal(udrv_net_model_inject(c.dev, vq, f), 0);
	while (udrv_net_status(c.port) == 0) {
		unsigned took, got;

		for (unsigned i = 0; i < 32; i++)
			tx[i] = make_frame(c.pool, i, 60);
		took = udrv_net_tx_burst(c.txq, tx, 32);
		udrv_pkt_free_bulk(tx + took, 32 - took);
		got = udrv_net_rx_burst(c.rxq, rx, 64);
		udrv_pkt_free_bulk(rx, got);
		/* tx completions are otherwise read only when the ring runs low */
		udrv_net_tx_reclaim(c.txq);
		assert_true(now_ms() < deadline);
	}
	assert_int_equal(udrv_net_status(c.port), -EIO);
	assert_int_equal(udrv_net_stats_get(c.port, &st), 0);
	assert_int_equal(st.rx.errors + st.tx.errors, 1);
	/* Stopped: bursts take and return nothing. */
	tx[0] = make_frame(c.pool, 0, 60);
	assert_int_equal(udrv_net_tx_burst(c.txq, tx, 1), 0);
	udrv_pkt_free(tx[0]);
	assert_int_equal(udrv_net_rx_burst(c.rxq, rx, 64), 0);
	/* And it recovers. */
	assert_int_equal(udrv_net_reset(c.port), 0);
	assert_int_equal(udrv_net_status(c.port), 0);
	loop_traffic(&c, 100, 32, 60);
	close_port(&c);
}

static void bad_used__rx_id_out_of_range(void **state)
{
	check_fault_detected(0, UDRV_NET_MODEL_FAULT_ID_RANGE);
}

static void bad_used__rx_id_not_in_flight(void **state)
{
	check_fault_detected(0, UDRV_NET_MODEL_FAULT_ID_NOT_INFLIGHT);
}

static void bad_used__rx_len_beyond_buffer(void **state)
{
	check_fault_detected(0, UDRV_NET_MODEL_FAULT_LEN_TOO_BIG);
}

static void bad_used__rx_idx_runs_ahead(void **state)
{
	check_fault_detected(0, UDRV_NET_MODEL_FAULT_IDX_JUMP);
}

static void bad_used__tx_id_out_of_range(void **state)
{
	check_fault_detected(1, UDRV_NET_MODEL_FAULT_ID_RANGE);
}

static void bad_used__tx_id_not_in_flight(void **state)
{
	check_fault_detected(1, UDRV_NET_MODEL_FAULT_ID_NOT_INFLIGHT);
}

static void bad_used__tx_len_beyond_buffer(void **state)
{
	check_fault_detected(1, UDRV_NET_MODEL_FAULT_LEN_TOO_BIG);
}

static void bad_used__tx_idx_runs_ahead(void **state)
{
	check_fault_detected(1, UDRV_NET_MODEL_FAULT_IDX_JUMP);
}

static void status__device_needs_reset_detected_and_recovered(void **state)
{
	uint64_t deadline = now_ms() + 5000;
	struct ctx c;

	open_port(&c, NULL, NULL);
	loop_traffic(&c, 64, 32, 60);
	assert_int_equal(udrv_net_model_needs_reset(c.dev), 0);
	while (udrv_net_status(c.port) == 0)
		assert_true(now_ms() < deadline);
	assert_int_equal(udrv_net_status(c.port), -EIO);
	assert_int_equal(udrv_net_rx_burst(c.rxq, NULL, 0), 0);
	assert_int_equal(udrv_net_reset(c.port), 0);
	assert_int_equal(udrv_net_status(c.port), 0);
	loop_traffic(&c, 64, 32, 60);
	close_port(&c);
}

/* --- control queue --- */

static void control__promisc_mac_and_pairs_reach_device(void **state)
{
	struct udrv_net_model_opts mo = { .size = sizeof(mo), .max_pairs = 2 };
	struct udrv_net_port_opts po = { .size = sizeof(po), .nb_rxq = 2, .nb_txq = 2,
					 .promisc = true };
	const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	struct udrv_net_model_stats ms;
	uint8_t got[6];
	struct ctx c;

	open_port(&c, &mo, &po);
	assert_int_equal(udrv_net_model_stats(c.dev, &ms), 0);
	assert_true(ms.promisc);
	assert_int_equal(ms.pairs, 2);
	assert_int_equal(udrv_net_promisc_set(c.port, false), 0);
	assert_int_equal(udrv_net_mac_set(c.port, mac), 0);
	assert_int_equal(udrv_net_mac_set(c.port, mcast), -EINVAL);
	assert_int_equal(udrv_net_model_stats(c.dev, &ms), 0);
	assert_false(ms.promisc);
	assert_memory_equal(ms.mac, mac, 6);
	assert_int_equal(udrv_net_mac_get(c.port, got), 0);
	assert_memory_equal(got, mac, 6);
	close_port(&c);
}

static void mq__second_pair_loops_back_on_its_own(void **state)
{
	struct udrv_net_model_opts mo = { .size = sizeof(mo), .max_pairs = 4 };
	struct udrv_net_port_opts po = { .size = sizeof(po), .nb_rxq = 2, .nb_txq = 2 };
	struct udrv_net_qstats q0, q1;
	struct ctx c;

	open_port(&c, &mo, &po);
	c.rxq = udrv_net_rxq(c.port, 1);
	c.txq = udrv_net_txq(c.port, 1);
	loop_traffic(&c, 300, 32, 60);
	assert_int_equal(udrv_net_rxq_stats(c.port, 0, &q0), 0);
	assert_int_equal(udrv_net_rxq_stats(c.port, 1, &q1), 0);
	assert_int_equal(q0.packets, 0);
	assert_int_equal(q1.packets, 300);
	assert_null(udrv_net_rxq(c.port, 2));
	close_port(&c);
}

struct pair_job {
	struct udrv_net_rxq *rxq;
	struct udrv_net_txq *txq;
	struct udrv_pool *pool;
	unsigned count;
	int result; /* 0: every frame back, in order */
};

/* loop_traffic without cmocka asserts (they cannot fire on another thread). */
static void *pair_worker(void *arg)
{
	struct pair_job *j = arg;
	struct udrv_pkt *tx[32], *rx[64];
	unsigned sent = 0, recvd = 0;
	uint64_t deadline = now_ms() + 30000;

	j->result = -1;
	while (recvd < j->count) {
		if (sent < j->count && sent - recvd + 32 <= 64) {
			unsigned took;

			if (udrv_pkt_alloc_bulk(j->pool, tx, 32) != 32)
				return NULL;
			for (unsigned i = 0; i < 32; i++) {
				uint32_t seq = sent + i;

				memcpy((uint8_t *)udrv_pkt_data(tx[i]) + 14, &seq, 4);
				tx[i]->data_len = tx[i]->pkt_len = 60;
			}
			took = udrv_net_tx_burst(j->txq, tx, 32);
			udrv_pkt_free_bulk(tx + took, 32 - took);
			sent += took;
		}
		unsigned got = udrv_net_rx_burst(j->rxq, rx, 64);

		for (unsigned i = 0; i < got; i++)
			if (frame_seq(rx[i]) != recvd + i)
				return NULL;
		udrv_pkt_free_bulk(rx, got);
		recvd += got;
		if (!got)
			sched_yield();
		if (now_ms() > deadline)
			return NULL;
	}
	j->result = 0;
	return NULL;
}

static void mq__two_threads_drive_two_pairs_at_once(void **state)
{
	struct udrv_net_model_opts mo = { .size = sizeof(mo), .max_pairs = 2 };
	struct udrv_net_port_opts po = { .size = sizeof(po), .nb_rxq = 2, .nb_txq = 2 };
	struct udrv_net_qstats q0, q1;
	struct pair_job jobs[2];
	pthread_t th[2];
	struct ctx c;

	open_port(&c, &mo, &po);
	for (int i = 0; i < 2; i++) {
		jobs[i] = (struct pair_job){ udrv_net_rxq(c.port, (uint16_t)i),
					     udrv_net_txq(c.port, (uint16_t)i), c.pool, 20000, -1 };
		assert_int_equal(pthread_create(&th[i], NULL, pair_worker, &jobs[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(jobs[i].result, 0);
	}
	assert_int_equal(udrv_net_rxq_stats(c.port, 0, &q0), 0);
	assert_int_equal(udrv_net_rxq_stats(c.port, 1, &q1), 0);
	assert_int_equal(q0.packets, 20000);
	assert_int_equal(q1.packets, 20000);
	close_port(&c);
}

static void pool__buffers_have_iova_distinct_from_va(void **state)
{
	struct udrv_net_pool_opts pl = { .size = sizeof(pl), .count = 64 };
	struct udrv_pool *pool;
	struct udrv_pkt *p;

	assert_int_equal(udrv_net_pool_create(&pl, &pool), 0);
	p = udrv_pkt_alloc(pool);
	assert_non_null(p);
	assert_int_equal(p->data_off, UDRV_PKT_HEADROOM);
	assert_int_equal(p->buf_len, UDRV_PKT_HEADROOM + UDRV_PKT_DEFAULT_BUF);
	assert_int_equal(p->buf_iova, udrv_virt_to_iova(udrv_pkt_buf(p)));
	assert_true(p->buf_iova != (uint64_t)(uintptr_t)udrv_pkt_buf(p));
	assert_ptr_equal(p->pool, pool);
	udrv_pkt_free(p);
	assert_int_equal(udrv_pool_available(pool), 64);
	udrv_pool_destroy(pool);
}

static void mac_parse__accepts_colon_form_only(void **state)
{
	uint8_t mac[6];

	assert_int_equal(udrv_net_mac_parse("52:54:00:ab:CD:ef", mac), 0);
	assert_int_equal(mac[3], 0xab);
	assert_int_equal(mac[5], 0xef);
	assert_int_equal(udrv_net_mac_parse("52:54:00:ab:cd", mac), -EINVAL);
	assert_int_equal(udrv_net_mac_parse("52:54:00:ab:cd:ef:00", mac), -EINVAL);
	assert_int_equal(udrv_net_mac_parse("5254.00ab.cdef", mac), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open__model_negotiates_mac_and_link),
		cmocka_unit_test(open__ring_size_clamped_to_device),
		cmocka_unit_test(open__too_many_queues_without_mq_fails),
		cmocka_unit_test(open__features_off_env_is_named_in_failures),
		cmocka_unit_test(open__rejects_every_broken_capability_layout),
		cmocka_unit_test(tx_rx__loopback_one_burst),
		cmocka_unit_test(tx_rx__ring_wrap_past_16bit_indices),
		cmocka_unit_test(tx_rx__odd_bursts_and_sizes),
		cmocka_unit_test(tx_rx__device_completing_out_of_order_loses_nothing),
		cmocka_unit_test(tx_burst__takes_only_what_fits),
		cmocka_unit_test(tx_burst__kicks_at_most_once_per_burst),
		cmocka_unit_test(tx_rx__works_without_event_idx),
		cmocka_unit_test(tx__chained_packet_arrives_whole),
		cmocka_unit_test(tx__copied_chain_head_freed_once_after_reset),
		cmocka_unit_test(tx__packet_without_headroom_is_copied_and_sent),
		cmocka_unit_test(tx__stale_header_in_headroom_is_cleared),
		cmocka_unit_test(tx__chain_larger_than_a_buffer_is_dropped_and_counted),
		cmocka_unit_test(offload__udp_checksum_computed_by_device_and_rx_marked_good),
		cmocka_unit_test(reclaim__every_tx_buffer_returns_to_pool),
		cmocka_unit_test(reclaim__packets_of_two_pools_return_to_their_own),
		cmocka_unit_test(counters__match_traffic_and_reset),
		cmocka_unit_test(bad_used__rx_id_out_of_range),
		cmocka_unit_test(bad_used__rx_id_not_in_flight),
		cmocka_unit_test(bad_used__rx_len_beyond_buffer),
		cmocka_unit_test(bad_used__rx_idx_runs_ahead),
		cmocka_unit_test(bad_used__tx_id_out_of_range),
		cmocka_unit_test(bad_used__tx_id_not_in_flight),
		cmocka_unit_test(bad_used__tx_len_beyond_buffer),
		cmocka_unit_test(bad_used__tx_idx_runs_ahead),
		cmocka_unit_test(status__device_needs_reset_detected_and_recovered),
		cmocka_unit_test(control__promisc_mac_and_pairs_reach_device),
		cmocka_unit_test(mq__second_pair_loops_back_on_its_own),
		cmocka_unit_test(mq__two_threads_drive_two_pairs_at_once),
		cmocka_unit_test(pool__buffers_have_iova_distinct_from_va),
		cmocka_unit_test(mac_parse__accepts_colon_form_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
