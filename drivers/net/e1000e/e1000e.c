/* SPDX-License-Identifier: MIT */
/*
 * Intel 82574L bring-up and control (82574 datasheet 4.6 initialization,
 * 7.1/7.2 receive and transmit setup, 10.2 registers). One rx and one tx
 * queue, legacy descriptors, interrupts masked: the port is polled.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <udrv/mem.h>

#include "e1000e.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A device model that a fuzzer polls by hand (model_hook.h) moves only when
 * polled: poll it instead of sleeping. */
static void sleep_ms(struct e1000e_port *ep, unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	if (!udrvi_model_waiting(ep->port.dev))
		nanosleep(&ts, NULL);
}

static bool gone(struct e1000e_port *ep)
{
	return e1000e_rd(ep->bar, E1000_STATUS) == 0xffffffffu;
}

/* 4.6.1 / 4.6.2: mask interrupts, stop rx/tx, software reset, wait for it. */
static int hw_reset(struct e1000e_port *ep)
{
	volatile uint8_t *bar = ep->bar;
	uint64_t deadline;

	e1000e_wr(bar, E1000_IMC, 0xffffffffu);
	e1000e_wr(bar, E1000_RCTL, 0);
	e1000e_wr(bar, E1000_TCTL, E1000_TCTL_PSP);
	(void)e1000e_rd(bar, E1000_STATUS); /* flush posted writes */
	sleep_ms(ep, 10);                       /* let DMA in flight drain */
	/* 5.2.3.3 / 10.2.2.1: stop new master requests before the reset and wait
	 * (bounded) for the ones pending to finish. */
	e1000e_wr(bar, E1000_CTRL, e1000e_rd(bar, E1000_CTRL) | E1000_CTRL_GIO_MASTER_DISABLE);
	deadline = now_ns() + 800000000ull;
	while ((e1000e_rd(bar, E1000_STATUS) & E1000_STATUS_GIO_MASTER_EN) && !gone(ep) &&
	       now_ns() < deadline)
		sleep_ms(ep, 1);
	e1000e_wr(bar, E1000_CTRL, e1000e_rd(bar, E1000_CTRL) | E1000_CTRL_RST);
	sleep_ms(ep, 1);                        /* 4.6.1: wait before reading after RST */
	deadline = now_ns() + 1000000000ull;
	while (e1000e_rd(bar, E1000_CTRL) & E1000_CTRL_RST) {
		if (gone(ep) || now_ns() > deadline) {
			net_err(&ep->port, "82574L did not come out of reset in 1 s%s",
				gone(ep) ? " (registers read all ones: the device is gone)" : "");
			return gone(ep) ? -ENODEV : -ETIMEDOUT;
		}
		sleep_ms(ep, 1);
	}
	/* The EEPROM is read after reset (MAC address, defaults): wait for it. */
	deadline = now_ns() + 500000000ull;
	while (!(e1000e_rd(bar, E1000_EECD) & E1000_EECD_AUTO_RD) && now_ns() < deadline)
		sleep_ms(ep, 1);
	e1000e_wr(bar, E1000_IMC, 0xffffffffu); /* reset re-enabled nothing, but be sure */
	(void)e1000e_rd(bar, E1000_ICR);        /* clear pending causes */
	return 0;
}

static int eeprom_read(struct e1000e_port *ep, uint16_t word, uint16_t *v)
{
	uint64_t deadline = now_ns() + 100000000ull;
	uint32_t r;

	e1000e_wr(ep->bar, E1000_EERD, FIELD_SET(E1000_EERD_ADDR_MASK, word) | E1000_EERD_START);
	while (!((r = e1000e_rd(ep->bar, E1000_EERD)) & E1000_EERD_DONE)) {
		if (now_ns() > deadline)
			return -ETIMEDOUT;
		udrvi_model_waiting(ep->port.dev);
	}
	*v = (uint16_t)FIELD_GET(E1000_EERD_DATA_MASK, r);
	return 0;
}

/* The address the EEPROM loaded into RAL0/RAH0, else the EEPROM itself (5.6). */
static int read_mac(struct e1000e_port *ep)
{
	uint32_t ral = e1000e_rd(ep->bar, E1000_RAL0), rah = e1000e_rd(ep->bar, E1000_RAH0);
	uint8_t *mac = ep->port.mac;

	if (rah & E1000_RAH_AV) {
		for (int i = 0; i < 4; i++)
			mac[i] = (uint8_t)(ral >> (8 * i));
		mac[4] = (uint8_t)rah;
		mac[5] = (uint8_t)(rah >> 8);
	} else {
		for (uint16_t w = 0; w < 3; w++) {
			uint16_t v;

			if (eeprom_read(ep, w, &v)) {
				net_err(&ep->port, "no MAC address in RAL0/RAH0 and the EEPROM does "
					"not answer");
				return -EIO;
			}
			mac[2 * w] = (uint8_t)v;
			mac[2 * w + 1] = (uint8_t)(v >> 8);
		}
	}
	if ((mac[0] & 1) || !memcmp(mac, "\0\0\0\0\0\0", 6)) {
		net_err(&ep->port, "the device's MAC address is invalid");
		return -EIO;
	}
	return 0;
}

static void write_mac(struct e1000e_port *ep, const uint8_t *mac)
{
	uint32_t ral = (uint32_t)mac[0] | (uint32_t)mac[1] << 8 | (uint32_t)mac[2] << 16 |
		       (uint32_t)mac[3] << 24;
	uint32_t rah = (uint32_t)mac[4] | (uint32_t)mac[5] << 8 | E1000_RAH_AV;

	e1000e_wr(ep->bar, E1000_RAH0, 0); /* invalid while it changes */
	e1000e_wr(ep->bar, E1000_RAL0, ral);
	e1000e_wr(ep->bar, E1000_RAH0, rah);
}

/* 7.1.6 receive initialization with legacy descriptors. */
static int rx_init(struct e1000e_port *ep)
{
	struct e1000e_rxq *q = &ep->rxq;
	volatile uint8_t *bar = ep->bar;

	memset(q->ring, 0, (size_t)q->size * sizeof(*q->ring));
	for (uint16_t i = 0; i < q->size; i++) {
		struct udrv_pkt *p = q->bufs[i];

		if (!p) {
			p = udrv_pool_get(q->pool);
			if (!p) {
				net_err(&ep->port, "not enough packet buffers for the rx ring (%u)",
					q->size);
				return -ENOMEM;
			}
			q->bufs[i] = p;
		}
		q->ring[i].addr = htole64(p->buf_iova + UDRV_PKT_HEADROOM);
	}
	for (uint32_t i = 0; i < 128; i++)
		e1000e_wr(bar, E1000_MTA + 4 * i, 0);
	e1000e_wr(bar, E1000_RDBAL, (uint32_t)q->ring_iova);
	e1000e_wr(bar, E1000_RDBAH, (uint32_t)(q->ring_iova >> 32));
	e1000e_wr(bar, E1000_RDLEN, (uint32_t)q->size * sizeof(*q->ring));
	e1000e_wr(bar, E1000_RDH, 0);
	e1000e_wr(bar, E1000_RDTR, 0); /* no interrupt delay: we poll */
	e1000e_wr(bar, E1000_RADV, 0);
	e1000e_wr(bar, E1000_RXCSUM, q->csum ? E1000_RXCSUM_TUOFLD | E1000_RXCSUM_IPOFLD : 0);
	q->next = 0;
	q->discard = false;
	/* Buffers 2048 bytes (BSIZE 00, BSEX 0); strip the CRC; broadcasts in. */
	ep->rctl = E1000_RCTL_EN | E1000_RCTL_BAM | E1000_RCTL_SECRC |
		   (ep->cfg.promisc ? E1000_RCTL_UPE | E1000_RCTL_MPE : 0);
	e1000e_wr(bar, E1000_RCTL, ep->rctl);
	/* All but one descriptor to the device (head == tail means empty). */
	q->tail = q->size - 1;
	udrv_wmb();
	e1000e_wr(bar, E1000_RDT, q->tail);
	return 0;
}

/* 7.2.9 transmit initialization. */
static void tx_init(struct e1000e_port *ep)
{
	struct e1000e_txq *q = &ep->txq;
	volatile uint8_t *bar = ep->bar;

	memset(q->ring, 0, (size_t)q->size * sizeof(*q->ring));
	q->tail = q->clean = 0;
	q->nfree = q->size;
	e1000e_wr(bar, E1000_TDBAL, (uint32_t)q->ring_iova);
	e1000e_wr(bar, E1000_TDBAH, (uint32_t)(q->ring_iova >> 32));
	e1000e_wr(bar, E1000_TDLEN, (uint32_t)q->size * sizeof(*q->ring));
	e1000e_wr(bar, E1000_TDH, 0);
	e1000e_wr(bar, E1000_TDT, 0);
	e1000e_wr(bar, E1000_TIDV, 0);
	e1000e_wr(bar, E1000_TADV, 0);
	/* Write back DD one descriptor at a time, thresholds in descriptors. */
	e1000e_wr(bar, E1000_TXDCTL, E1000_XDCTL_GRAN | FIELD_SET(E1000_TXDCTL_WTHRESH_MASK, 1));
	e1000e_wr(bar, E1000_TIPG, E1000_TIPG_DEFAULT);
	/* Collision threshold 15, collision distance 63 (full duplex), pad short frames. */
	e1000e_wr(bar, E1000_TCTL, E1000_TCTL_EN | E1000_TCTL_PSP |
		  FIELD_SET(E1000_TCTL_CT_MASK, 0x0f) | FIELD_SET(E1000_TCTL_COLD_MASK, 0x3f));
}

static void free_bufs(struct e1000e_port *ep)
{
	for (uint16_t i = 0; i < ep->rxq.size; i++) {
		if (ep->rxq.bufs[i]) {
			udrv_pool_put(ep->rxq.pool, ep->rxq.bufs[i]);
			ep->rxq.bufs[i] = NULL;
		}
	}
	for (uint16_t i = 0; i < ep->txq.size; i++) {
		if (ep->txq.bufs[i]) {
			udrv_pkt_free(ep->txq.bufs[i]);
			ep->txq.bufs[i] = NULL;
		}
	}
}

static int start(struct e1000e_port *ep)
{
	int rc;

	rc = hw_reset(ep);
	if (rc)
		return rc;
	/* 4.6.3 / 14.x: let the MAC follow the PHY's negotiated speed, link up. */
	e1000e_wr(ep->bar, E1000_CTRL, (e1000e_rd(ep->bar, E1000_CTRL) &
					~(E1000_CTRL_PHY_RST | E1000_CTRL_GIO_MASTER_DISABLE)) |
		  E1000_CTRL_SLU | E1000_CTRL_ASDE);
	write_mac(ep, ep->port.mac);
	rc = udrv_dev_set_bus_master(ep->port.dev, true);
	if (rc)
		return rc;
	tx_init(ep);
	return rx_init(ep);
}

static void e1000e_close(struct udrv_net_port *port)
{
	struct e1000e_port *ep = container_of(port, struct e1000e_port, port);

	if (ep->bar && !gone(ep))
		hw_reset(ep);
	udrv_dev_set_bus_master(port->dev, false);
	free_bufs(ep);
	udrv_dma_free(ep->rxq.ring);
	udrv_dma_free(ep->txq.ring);
	free(ep->rxq.bufs);
	free(ep->txq.bufs);
	udrvi_net_port_fini(port);
	free(ep);
}

static int e1000e_reset(struct udrv_net_port *port)
{
	struct e1000e_port *ep = container_of(port, struct e1000e_port, port);
	int rc;

	hw_reset(ep);
	for (uint16_t i = 0; i < ep->txq.size; i++) {
		if (ep->txq.bufs[i]) {
			udrv_pkt_free(ep->txq.bufs[i]);
			ep->txq.bufs[i] = NULL;
		}
	}
	rc = start(ep);
	if (rc)
		return rc;
	port->rxq[0]->stopped = false;
	port->txq[0]->stopped = false;
	return 0;
}

static int e1000e_status(struct udrv_net_port *port)
{
	struct e1000e_port *ep = container_of(port, struct e1000e_port, port);
	uint32_t rdh, tdh;

	if (gone(ep)) {
		net_err(port, "registers read all ones: the device is gone");
		udrvi_net_port_fail(port);
		return -ENODEV;
	}
	/* The heads are the device's: 10.2.5.5 / 10.2.6.5 keep them inside the
	 * ring. One beyond it means the device is lost in memory. */
	rdh = e1000e_rd(ep->bar, E1000_RDH);
	tdh = e1000e_rd(ep->bar, E1000_TDH);
	if (rdh >= ep->rxq.size || tdh >= ep->txq.size) {
		if (!__atomic_load_n(&port->failed, __ATOMIC_RELAXED))
			net_err(port, "the device reports a head beyond its ring (RDH %u of %u, "
				"TDH %u of %u descriptors); the port is stopped: call "
				"udrv_net_reset() to recover", rdh, ep->rxq.size, tdh, ep->txq.size);
		udrvi_net_port_fail(port);
		return -EIO;
	}
	return 0;
}

void udrvi_e1000e_lie(struct e1000e_port *ep, const char *queue, const char *what,
		      uint16_t desc, uint32_t len, uint16_t size, uint16_t tail)
{
	net_err(&ep->port, "%s queue 0: the device wrote %s (descriptor %u, length %u, ring "
		"size %u, tail %u); the port is stopped: call udrv_net_reset() to recover",
		queue, what, desc, len, size, tail);
	udrvi_net_port_fail(&ep->port);
}

static int e1000e_mac_set(struct udrv_net_port *port, const uint8_t mac[6])
{
	write_mac(container_of(port, struct e1000e_port, port), mac);
	return 0;
}

static int e1000e_promisc_set(struct udrv_net_port *port, bool on)
{
	struct e1000e_port *ep = container_of(port, struct e1000e_port, port);

	if (on)
		ep->rctl |= E1000_RCTL_UPE | E1000_RCTL_MPE;
	else
		ep->rctl &= ~(E1000_RCTL_UPE | E1000_RCTL_MPE);
	ep->cfg.promisc = on;
	e1000e_wr(ep->bar, E1000_RCTL, ep->rctl);
	return 0;
}

static int e1000e_link_get(struct udrv_net_port *port, struct udrv_net_link *link)
{
	struct e1000e_port *ep = container_of(port, struct e1000e_port, port);
	uint32_t st = e1000e_rd(ep->bar, E1000_STATUS);
	static const uint32_t speeds[4] = { 10, 100, 1000, 1000 };

	if (st == 0xffffffffu)
		return -ENODEV;
	link->up = st & E1000_STATUS_LU;
	link->full_duplex = st & E1000_STATUS_FD;
	link->speed_mbps = link->up ? speeds[FIELD_GET(E1000_STATUS_SPEED_MASK, st)] : 0;
	return 0;
}

/* Statistics registers clear on read (10.2.7). A model's BAR is plain memory,
 * which a load cannot clear: there the read is an atomic exchange with 0. */
static uint32_t stat_rd(struct e1000e_port *ep, uint32_t reg)
{
	if (ep->model)
		return le32toh(__atomic_exchange_n((volatile uint32_t *)(ep->bar + reg), 0,
						   __ATOMIC_SEQ_CST));
	return e1000e_rd(ep->bar, reg);
}

/* Accumulate the read-to-clear counters; a device that is gone reads all ones
 * in each of them, which would add 2^32 - 1 per read: keep the last sums. */
static void e1000e_hw_stats(struct udrv_net_port *port, struct udrv_net_stats *st)
{
	struct e1000e_port *ep = container_of(port, struct e1000e_port, port);

	if (!gone(ep)) {
		ep->mpc += stat_rd(ep, E1000_MPC);
		ep->rx_errs += (uint64_t)stat_rd(ep, E1000_CRCERRS) + stat_rd(ep, E1000_RXERRC) +
			       stat_rd(ep, E1000_RLEC);
		ep->gprc += stat_rd(ep, E1000_GPRC);
		ep->gptc += stat_rd(ep, E1000_GPTC);
	}
	if (!st) {
		ep->mpc = ep->rx_errs = ep->gprc = ep->gptc = 0;
		return;
	}
	st->hw_rx_missed = ep->mpc;
	st->hw_rx_errors = ep->rx_errs;
	st->hw_rx_packets = ep->gprc;
	st->hw_tx_packets = ep->gptc;
}

static const struct udrvi_net_ops e1000e_ops = {
	.driver = "e1000e",
	.close = e1000e_close,
	.reset = e1000e_reset,
	.status = e1000e_status,
	.mac_set = e1000e_mac_set,
	.promisc_set = e1000e_promisc_set,
	.link_get = e1000e_link_get,
	.hw_stats = e1000e_hw_stats,
};

static int alloc_rings(struct e1000e_port *ep)
{
	struct e1000e_rxq *rq = &ep->rxq;
	struct e1000e_txq *tq = &ep->txq;
	int rc;

	rq->size = ep->cfg.rx_ring_size;
	tq->size = ep->cfg.tx_ring_size;
	rq->mask = rq->size - 1;
	tq->mask = tq->size - 1;
	/* 7.1.6: ring base 16-byte aligned, length a multiple of 128 bytes
	 * (ring sizes are powers of two >= 8). */
	rc = udrv_dma_alloc((size_t)rq->size * sizeof(*rq->ring), 4096, (void **)&rq->ring,
			    &rq->ring_iova);
	if (rc)
		return rc;
	rc = udrv_dma_alloc((size_t)tq->size * sizeof(*tq->ring), 4096, (void **)&tq->ring,
			    &tq->ring_iova);
	if (rc)
		return rc;
	rq->bufs = calloc(rq->size, sizeof(*rq->bufs));
	tq->bufs = calloc(tq->size, sizeof(*tq->bufs));
	return rq->bufs && tq->bufs ? 0 : -ENOMEM;
}

int udrvi_e1000e_open(struct udrv_dev *dev, const struct udrvi_net_cfg *cfg,
		      struct udrv_net_port **out)
{
	struct e1000e_port *ep;
	struct udrv_net_port *port;
	void *bar;
	size_t len;
	int rc;

	if (cfg->nb_rxq > 1 || cfg->nb_txq > 1) {
		udrv_log(UDRV_LOG_ERROR, udrv_dev_name(dev), "the e1000e driver drives one rx and "
			 "one tx queue (asked for %u and %u)", cfg->nb_rxq, cfg->nb_txq);
		return -EINVAL;
	}
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	port = &ep->port;
	udrvi_net_port_init(port, &e1000e_ops, dev, cfg);
	ep->cfg = *cfg;
	rc = udrv_dev_map_bar(dev, 0, &bar, &len);
	if (rc) {
		net_err(port, "cannot map BAR 0: %s", strerror(-rc));
		goto free_port;
	}
	if (len < E1000E_BAR0_MIN) {
		net_err(port, "BAR 0 is %zu bytes; the 82574L's is 128 KiB", len);
		rc = -EPROTO;
		goto free_port;
	}
	ep->bar = bar;
	ep->bar_len = len;
	ep->model = udrv_dev_is_model(dev);
	rc = hw_reset(ep);
	if (rc)
		goto free_port;
	rc = read_mac(ep);
	if (rc)
		goto free_port;
	rc = alloc_rings(ep);
	if (rc)
		goto free_rings;
	rc = udrvi_net_port_pool_setup(port, cfg, ep->rxq.size + ep->txq.size);
	if (rc)
		goto free_rings;
	ep->rxq.pool = port->pool;
	ep->rxq.bar = ep->txq.bar = ep->bar;
	ep->rxq.ep = ep->txq.ep = ep;
	ep->rxq.buf_size = 2048;
	if (udrv_pool_elem_size(port->pool) < sizeof(struct udrv_pkt) + UDRV_PKT_HEADROOM + 2048) {
		net_err(port, "the pool's buffers hold less than the 2048 bytes the device writes");
		rc = -EINVAL;
		goto free_rings;
	}
	ep->rxq.csum = cfg->offloads & UDRV_NET_OFF_RX_CSUM;
	ep->rxq.base.burst = udrvi_e1000e_rx_burst;
	ep->rxq.base.port = port;
	ep->txq.base.burst = udrvi_e1000e_tx_burst;
	ep->txq.base.reclaim = udrvi_e1000e_tx_reclaim;
	ep->txq.base.port = port;
	ep->txq.free_thresh = ep->txq.size / 4;
	port->rxq[0] = &ep->rxq.base;
	port->txq[0] = &ep->txq.base;
	port->info.max_rxq = port->info.max_txq = 1;
	port->info.rx_ring_size = ep->rxq.size;
	port->info.tx_ring_size = ep->txq.size;
	port->info.offload_capa = UDRV_NET_OFF_RX_CSUM;
	port->info.offloads = ep->rxq.csum ? UDRV_NET_OFF_RX_CSUM : 0;
	port->info.mtu = 1500;
	port->info.max_frame = 2048 - 4;
	rc = start(ep);
	if (rc)
		goto stop;
	net_info(port, "82574L: rings rx %u tx %u", ep->rxq.size, ep->txq.size);
	*out = port;
	return 0;

stop:
	hw_reset(ep);
	udrv_dev_set_bus_master(dev, false);
	free_bufs(ep);
free_rings:
	udrv_dma_free(ep->rxq.ring);
	udrv_dma_free(ep->txq.ring);
	free(ep->rxq.bufs);
	free(ep->txq.bufs);
free_port:
	udrvi_net_port_fini(port);
	free(ep);
	return rc;
}
