/* SPDX-License-Identifier: MIT */
/* The generic port layer: open by PCI id, pools, queue handles, counters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <udrv/mem.h>

#include "port.h"

#define DEFAULT_RING 256
#define MAX_RING 4096

int udrv_net_pool_create(const struct udrv_net_pool_opts *opts, struct udrv_pool **out)
{
	struct udrv_net_pool_opts o = { 0 };
	struct udrv_pool_opts po = { 0 };
	struct udrv_pool *pool;
	size_t room;
	int rc;

	if (!opts || !out || opts->size < offsetof(struct udrv_net_pool_opts, cache_size)) {
		udrv_log(UDRV_LOG_ERROR, NULL, "udrv_net_pool_create: opts or out is NULL, or "
			 "opts->size is not set to sizeof(struct udrv_net_pool_opts)");
		return -EINVAL;
	}
	memcpy(&o, opts, opts->size < sizeof(o) ? opts->size : sizeof(o));
	if (!o.data_room)
		o.data_room = UDRV_PKT_DEFAULT_BUF;
	room = (size_t)UDRV_PKT_HEADROOM + o.data_room;
	if (room > UINT16_MAX || o.count == 0) {
		udrv_log(UDRV_LOG_ERROR, o.name, "packet pool: count must be > 0 and data_room at "
			 "most %u bytes (got count %u, data_room %u)",
			 UINT16_MAX - UDRV_PKT_HEADROOM, o.count, o.data_room);
		return -EINVAL;
	}
	po.size = sizeof(po);
	po.name = o.name ? o.name : "pkt";
	po.elem_size = sizeof(struct udrv_pkt) + room;
	po.count = o.count;
	po.align = 64;
	po.cache_size = o.cache_size;
	rc = udrv_pool_create(&po, &pool);
	if (rc)
		return rc;
	/* The fixed fields are written once here; alloc resets only the rest. */
	for (uint32_t i = 0; i < o.count; i++) {
		struct udrv_pkt *p = udrv_pool_elem(pool, i);
		uint64_t iova = udrv_virt_to_iova(udrv_pkt_buf(p));

		if (iova == UDRV_IOVA_INVALID) {
			udrv_log(UDRV_LOG_ERROR, po.name, "packet pool element %u has no IOVA: "
				 "the pool is not in DMA memory", i);
			udrv_pool_destroy(pool);
			return -EFAULT;
		}
		memset(p, 0, sizeof(*p));
		p->buf_iova = iova;
		p->pool = pool;
		p->buf_len = (uint16_t)room;
		udrv_pkt_reset(p);
	}
	*out = pool;
	return 0;
}

void udrvi_pkt_free_bulk(struct udrv_pkt *const *pkts, unsigned n)
{
	void *batch[64];
	struct udrv_pool *pool = NULL;
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		struct udrv_pkt *p = pkts[i];

		while (p) {
			struct udrv_pkt *next = p->next;

			if (p->pool != pool || k == 64) {
				if (k)
					udrv_pool_put_bulk(pool, batch, k);
				pool = p->pool;
				k = 0;
			}
			batch[k++] = p;
			p = next;
		}
	}
	if (k)
		udrv_pool_put_bulk(pool, batch, k);
}

void udrv_pkt_free_bulk(struct udrv_pkt *const *pkts, unsigned n)
{
	udrvi_pkt_free_bulk(pkts, n);
}

int udrv_net_mac_parse(const char *s, uint8_t mac[UDRV_NET_ETH_ALEN])
{
	unsigned v[6];
	char end;

	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4],
			 &v[5], &end) != 6 || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

/* --- ports --- */

static int cfg_from_opts(const struct udrv_net_port_opts *opts, struct udrvi_net_cfg *cfg)
{
	struct udrv_net_port_opts o = { 0 };

	if (opts) {
		if (opts->size < offsetof(struct udrv_net_port_opts, pool)) {
			udrv_log(UDRV_LOG_ERROR, NULL, "udrv_net_open: opts->size must be set to "
				 "sizeof(struct udrv_net_port_opts)");
			return -EINVAL;
		}
		memcpy(&o, opts, opts->size < sizeof(o) ? opts->size : sizeof(o));
	}
	cfg->nb_rxq = o.nb_rxq ? o.nb_rxq : 1;
	cfg->nb_txq = o.nb_txq ? o.nb_txq : 1;
	cfg->rx_ring_size = o.rx_ring_size ? o.rx_ring_size : DEFAULT_RING;
	cfg->tx_ring_size = o.tx_ring_size ? o.tx_ring_size : DEFAULT_RING;
	cfg->pool = o.pool;
	cfg->pool_count = o.pool_count;
	cfg->offloads = o.offloads;
	cfg->promisc = o.promisc;
	if (cfg->nb_rxq > UDRVI_NET_MAX_QUEUES || cfg->nb_txq > UDRVI_NET_MAX_QUEUES) {
		udrv_log(UDRV_LOG_ERROR, NULL, "udrv_net_open: at most %d queues per direction "
			 "(asked for %u rx, %u tx)", UDRVI_NET_MAX_QUEUES, cfg->nb_rxq, cfg->nb_txq);
		return -EINVAL;
	}
	if (cfg->rx_ring_size > MAX_RING || cfg->tx_ring_size > MAX_RING ||
	    (cfg->rx_ring_size & (cfg->rx_ring_size - 1)) ||
	    (cfg->tx_ring_size & (cfg->tx_ring_size - 1)) || cfg->rx_ring_size < 8 ||
	    cfg->tx_ring_size < 8) {
		udrv_log(UDRV_LOG_ERROR, NULL, "udrv_net_open: ring sizes must be powers of two "
			 "from 8 to %d (asked for rx %u, tx %u)", MAX_RING, cfg->rx_ring_size,
			 cfg->tx_ring_size);
		return -EINVAL;
	}
	if (cfg->pool && udrv_pool_elem_size(cfg->pool) <
			 sizeof(struct udrv_pkt) + UDRV_PKT_HEADROOM + 1536) {
		udrv_log(UDRV_LOG_ERROR, NULL, "udrv_net_open: the pool's buffers are too small "
			 "for a 1514-byte frame: create it with udrv_net_pool_create");
		return -EINVAL;
	}
	return 0;
}

int udrv_net_open_dev(struct udrv_dev *dev, const struct udrv_net_port_opts *opts,
		      struct udrv_net_port **out)
{
	struct udrvi_net_cfg cfg;
	uint16_t vendor, device;
	int rc;

	if (!dev || !out)
		return -EINVAL;
	rc = cfg_from_opts(opts, &cfg);
	if (rc)
		return rc;
	rc = udrv_dev_ids(dev, &vendor, &device);
	if (rc) {
		udrv_log(UDRV_LOG_ERROR, udrv_dev_name(dev), "cannot read the PCI ids: %s",
			 strerror(-rc));
		return rc;
	}
	if ((vendor == 0x1af4 && device == 0x1041) || (vendor == 0x8086 && device == 0x10d3)) {
		/* One driver per device: a second port on it would share its rings. */
		rc = udrv_dev_claim(dev, "a network port: close it with udrv_net_close first",
				    NULL, NULL);
		if (rc)
			return rc;
		rc = vendor == 0x1af4 ? udrvi_virtio_net_open(dev, &cfg, out)
				      : udrvi_e1000e_open(dev, &cfg, out);
		if (rc)
			udrv_dev_unclaim(dev);
		return rc;
	}
	if (vendor == 0x1af4 && device == 0x1000)
		udrv_log(UDRV_LOG_ERROR, udrv_dev_name(dev), "transitional virtio-net (1af4:1000) "
			 "is not supported: start QEMU with disable-legacy=on for a modern 1af4:1041");
	else
		udrv_log(UDRV_LOG_ERROR, udrv_dev_name(dev), "PCI id %04x:%04x is not a NIC udrv "
			 "drives (virtio-net 1af4:1041, 82574L 8086:10d3)", vendor, device);
	return -ENOTSUP;
}

int udrv_net_open(const char *bdf, const struct udrv_net_port_opts *opts,
		  struct udrv_net_port **out)
{
	struct udrv_dev *dev;
	int rc;

	if (!out)
		return -EINVAL;
	rc = udrvi_net_model_open_spec(bdf, &dev);
	if (rc == 0)
		rc = udrv_dev_open(bdf, &dev);
	if (rc < 0)
		return rc;
	rc = udrv_net_open_dev(dev, opts, out);
	if (rc) {
		udrv_dev_close(dev);
		return rc;
	}
	(*out)->own_dev = true;
	return 0;
}

int udrvi_net_port_init(struct udrv_net_port *port, const struct udrvi_net_ops *ops,
			struct udrv_dev *dev, const struct udrvi_net_cfg *cfg)
{
	port->ops = ops;
	port->dev = dev;
	port->name = udrv_dev_name(dev);
	pthread_mutex_init(&port->lock, NULL);
	port->info.driver = ops->driver;
	port->info.name = port->name;
	port->info.nb_rxq = cfg->nb_rxq;
	port->info.nb_txq = cfg->nb_txq;
	port->pool = cfg->pool;
	return 0;
}

int udrvi_net_port_pool_setup(struct udrv_net_port *port, const struct udrvi_net_cfg *cfg,
			      uint32_t ring_bufs)
{
	struct udrv_net_pool_opts po = { .size = sizeof(po) };
	int rc;

	if (cfg->pool) {
		port->pool = cfg->pool;
		return 0;
	}
	po.name = port->name;
	po.count = cfg->pool_count ? cfg->pool_count : ring_bufs + 8192;
	rc = udrv_net_pool_create(&po, &port->pool);
	if (rc) {
		net_err(port, "cannot create the packet pool (%u buffers): %s", po.count,
			strerror(-rc));
		return rc;
	}
	port->own_pool = true;
	port->own_pool_count = po.count;
	return 0;
}

void udrvi_net_port_fini(struct udrv_net_port *port)
{
	if (port->own_pool && port->pool) {
		uint32_t avail = udrv_pool_available(port->pool);
		uint32_t count = port->own_pool_count;

		/* udrv_pool_destroy requires every element back; leak it (with a
		 * warning) rather than corrupt buffers the application still holds. */
		if (avail != count)
			net_warn(port, "closing with %u packet buffers still held by the "
				 "application: their pool is leaked", count - avail);
		else
			udrv_pool_destroy(port->pool);
		port->pool = NULL;
	}
	pthread_mutex_destroy(&port->lock);
}

void udrvi_net_port_fail(struct udrv_net_port *port)
{
	for (unsigned i = 0; i < port->info.nb_rxq; i++)
		if (port->rxq[i])
			__atomic_store_n(&port->rxq[i]->stopped, true, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < port->info.nb_txq; i++)
		if (port->txq[i])
			__atomic_store_n(&port->txq[i]->stopped, true, __ATOMIC_RELAXED);
	__atomic_store_n(&port->failed, true, __ATOMIC_RELAXED);
	udrv_dev_raise_event(port->dev, UDRV_DEV_EV_FAILED);
}

void udrv_net_close(struct udrv_net_port *port)
{
	struct udrv_dev *dev;
	bool own;

	if (!port)
		return;
	dev = port->dev;
	own = port->own_dev;
	port->ops->close(port); /* frees the port, calls udrvi_net_port_fini */
	udrv_dev_unclaim(dev);
	if (own)
		udrv_dev_close(dev);
}

void udrv_net_info(const struct udrv_net_port *port, struct udrv_net_info *info)
{
	*info = port->info;
}

struct udrv_pool *udrv_net_port_pool(const struct udrv_net_port *port)
{
	return port->pool;
}

struct udrv_dev *udrv_net_port_dev(const struct udrv_net_port *port)
{
	return port->dev;
}

struct udrv_net_rxq *udrv_net_rxq(struct udrv_net_port *port, uint16_t qid)
{
	return port && qid < port->info.nb_rxq ? port->rxq[qid] : NULL;
}

struct udrv_net_txq *udrv_net_txq(struct udrv_net_port *port, uint16_t qid)
{
	return port && qid < port->info.nb_txq ? port->txq[qid] : NULL;
}

uint16_t udrv_net_rx_burst(struct udrv_net_rxq *q, struct udrv_pkt **pkts, uint16_t n)
{
	return q->burst(q, pkts, n);
}

uint16_t udrv_net_tx_burst(struct udrv_net_txq *q, struct udrv_pkt **pkts, uint16_t n)
{
	return q->burst(q, pkts, n);
}

unsigned udrv_net_tx_reclaim(struct udrv_net_txq *q)
{
	return q->reclaim(q);
}

int udrv_net_mac_get(struct udrv_net_port *port, uint8_t mac[UDRV_NET_ETH_ALEN])
{
	pthread_mutex_lock(&port->lock);
	memcpy(mac, port->mac, UDRV_NET_ETH_ALEN);
	pthread_mutex_unlock(&port->lock);
	return 0;
}

int udrv_net_mac_set(struct udrv_net_port *port, const uint8_t mac[UDRV_NET_ETH_ALEN])
{
	int rc;

	if (mac[0] & 1) {
		net_err(port, "cannot set a multicast address as the port's MAC");
		return -EINVAL;
	}
	pthread_mutex_lock(&port->lock);
	rc = port->ops->mac_set ? port->ops->mac_set(port, mac) : -ENOTSUP;
	if (!rc)
		memcpy(port->mac, mac, UDRV_NET_ETH_ALEN);
	pthread_mutex_unlock(&port->lock);
	return rc;
}

int udrv_net_promisc_set(struct udrv_net_port *port, bool on)
{
	int rc;

	pthread_mutex_lock(&port->lock);
	rc = port->ops->promisc_set ? port->ops->promisc_set(port, on) : -ENOTSUP;
	pthread_mutex_unlock(&port->lock);
	return rc;
}

int udrv_net_link_get(struct udrv_net_port *port, struct udrv_net_link *link)
{
	int rc;

	memset(link, 0, sizeof(*link));
	pthread_mutex_lock(&port->lock);
	rc = port->ops->link_get(port, link);
	pthread_mutex_unlock(&port->lock);
	return rc;
}

static void qstats_read(const struct udrvi_qstats *s, struct udrv_net_qstats *d)
{
	d->packets = __atomic_load_n(&s->packets, __ATOMIC_RELAXED);
	d->bytes = __atomic_load_n(&s->bytes, __ATOMIC_RELAXED);
	d->drops = __atomic_load_n(&s->drops, __ATOMIC_RELAXED);
	d->errors = __atomic_load_n(&s->errors, __ATOMIC_RELAXED);
}

static void qstats_sum(struct udrv_net_qstats *sum, const struct udrv_net_qstats *q)
{
	sum->packets += q->packets;
	sum->bytes += q->bytes;
	sum->drops += q->drops;
	sum->errors += q->errors;
}

int udrv_net_rxq_stats(struct udrv_net_port *port, uint16_t qid, struct udrv_net_qstats *st)
{
	if (qid >= port->info.nb_rxq)
		return -EINVAL;
	qstats_read(&port->rxq[qid]->st, st);
	return 0;
}

int udrv_net_txq_stats(struct udrv_net_port *port, uint16_t qid, struct udrv_net_qstats *st)
{
	if (qid >= port->info.nb_txq)
		return -EINVAL;
	qstats_read(&port->txq[qid]->st, st);
	return 0;
}

int udrv_net_stats_get(struct udrv_net_port *port, struct udrv_net_stats *st)
{
	struct udrv_net_qstats q;

	memset(st, 0, sizeof(*st));
	for (uint16_t i = 0; i < port->info.nb_rxq; i++) {
		qstats_read(&port->rxq[i]->st, &q);
		qstats_sum(&st->rx, &q);
	}
	for (uint16_t i = 0; i < port->info.nb_txq; i++) {
		qstats_read(&port->txq[i]->st, &q);
		qstats_sum(&st->tx, &q);
	}
	pthread_mutex_lock(&port->lock);
	if (port->ops->hw_stats)
		port->ops->hw_stats(port, st);
	pthread_mutex_unlock(&port->lock);
	return 0;
}

/* Not atomic with respect to running bursts: call it between runs. */
void udrv_net_stats_reset(struct udrv_net_port *port)
{
	pthread_mutex_lock(&port->lock);
	for (uint16_t i = 0; i < port->info.nb_rxq; i++)
		memset(&port->rxq[i]->st, 0, sizeof(port->rxq[i]->st));
	for (uint16_t i = 0; i < port->info.nb_txq; i++)
		memset(&port->txq[i]->st, 0, sizeof(port->txq[i]->st));
	if (port->ops->hw_stats)
		port->ops->hw_stats(port, NULL); /* read-to-clear counters */
	pthread_mutex_unlock(&port->lock);
}

int udrv_net_status(struct udrv_net_port *port)
{
	uint32_t ev = __atomic_load_n(udrv_dev_events(port->dev), __ATOMIC_RELAXED);
	int rc;

	if (ev & UDRV_DEV_EV_REMOVE)
		return -ENODEV;
	pthread_mutex_lock(&port->lock);
	rc = port->ops->status ? port->ops->status(port) : 0;
	if (!rc && __atomic_load_n(&port->failed, __ATOMIC_RELAXED))
		rc = -EIO;
	pthread_mutex_unlock(&port->lock);
	return rc;
}

int udrv_net_reset(struct udrv_net_port *port)
{
	int rc;

	pthread_mutex_lock(&port->lock);
	rc = port->ops->reset(port);
	if (!rc)
		port->failed = false;
	pthread_mutex_unlock(&port->lock);
	return rc;
}
