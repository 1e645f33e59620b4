/* SPDX-License-Identifier: MIT */
/*
 * Private: what every NIC driver shares. A driver embeds struct udrv_net_port
 * (and the queue bases) in its own structs and gets back to them with
 * container_of; the generic layer (port.c) calls it through the ops table.
 */
#ifndef UDRVI_NET_PORT_H
#define UDRVI_NET_PORT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <udrv/dev.h>
#include <udrv/log.h>
#include <udrv/net.h>
#include "pool_internal.h"

#ifndef container_of
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

#define UDRVI_NET_MAX_QUEUES 16

#define net_err(port, ...) udrv_log(UDRV_LOG_ERROR, (port)->name, __VA_ARGS__)
#define net_warn(port, ...) udrv_log(UDRV_LOG_WARN, (port)->name, __VA_ARGS__)
#define net_info(port, ...) udrv_log(UDRV_LOG_INFO, (port)->name, __VA_ARGS__)

struct udrv_net_port;

typedef uint16_t (*udrvi_rx_burst_fn)(struct udrv_net_rxq *q, struct udrv_pkt **pkts, uint16_t n);
typedef uint16_t (*udrvi_tx_burst_fn)(struct udrv_net_txq *q, struct udrv_pkt **pkts, uint16_t n);

/* Counters written only by the queue's thread, once per burst, with relaxed
 * atomic stores so another thread may read them without a data race. */
struct udrvi_qstats {
	uint64_t packets, bytes, drops, errors;
};

static inline void udrvi_stat_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

struct udrv_net_rxq {
	udrvi_rx_burst_fn burst;
	struct udrv_net_port *port;
	uint16_t qid;
	bool stopped;            /* device misbehaved: bursts return 0 */
	struct udrvi_qstats st;
};

struct udrv_net_txq {
	udrvi_tx_burst_fn burst;
	unsigned (*reclaim)(struct udrv_net_txq *q);
	struct udrv_net_port *port;
	uint16_t qid;
	bool stopped;
	struct udrvi_qstats st;
};

struct udrvi_net_ops {
	const char *driver;
	/* Control path; called with port->lock held (close, reset: no bursts run). */
	void (*close)(struct udrv_net_port *port);
	int (*reset)(struct udrv_net_port *port);
	int (*status)(struct udrv_net_port *port);
	int (*mac_set)(struct udrv_net_port *port, const uint8_t mac[6]);
	int (*promisc_set)(struct udrv_net_port *port, bool on);
	int (*link_get)(struct udrv_net_port *port, struct udrv_net_link *link);
	/* Add the device's own counters into st (may be NULL). */
	void (*hw_stats)(struct udrv_net_port *port, struct udrv_net_stats *st);
};

struct udrv_net_port {
	const struct udrvi_net_ops *ops;
	struct udrv_dev *dev;
	const char *name;           /* udrv_dev_name(dev) */
	bool own_dev;               /* opened by udrv_net_open: close it */
	bool own_pool;
	uint32_t own_pool_count;
	bool failed;                /* a queue stopped on a device error */
	pthread_mutex_t lock;
	struct udrv_pool *pool;
	uint8_t mac[UDRV_NET_ETH_ALEN];
	struct udrv_net_info info;
	struct udrv_net_rxq *rxq[UDRVI_NET_MAX_QUEUES];
	struct udrv_net_txq *txq[UDRVI_NET_MAX_QUEUES];
};

/* Validated, defaults filled in (nb queues >= 1, ring sizes). */
struct udrvi_net_cfg {
	uint16_t nb_rxq, nb_txq;
	uint16_t rx_ring_size, tx_ring_size;
	struct udrv_pool *pool;
	uint32_t pool_count;
	uint32_t offloads;
	bool promisc;
};

/* Driver probe entry points: build the port on dev or return -errno. */
int udrvi_virtio_net_open(struct udrv_dev *dev, const struct udrvi_net_cfg *cfg,
			  struct udrv_net_port **out);
int udrvi_e1000e_open(struct udrv_dev *dev, const struct udrvi_net_cfg *cfg,
		      struct udrv_net_port **out);

/* Common helpers for drivers. */
int udrvi_net_port_init(struct udrv_net_port *port, const struct udrvi_net_ops *ops,
			struct udrv_dev *dev, const struct udrvi_net_cfg *cfg);
/* Create the port's pool when cfg->pool is NULL (count from the ring sizes). */
int udrvi_net_port_pool_setup(struct udrv_net_port *port, const struct udrvi_net_cfg *cfg,
			      uint32_t ring_bufs);
void udrvi_net_port_fini(struct udrv_net_port *port);
/* Stop every queue and declare the device failed (logged by the caller). */
void udrvi_net_port_fail(struct udrv_net_port *port);

/* Free n packets with chains; groups consecutive packets of one pool. */
void udrvi_pkt_free_bulk(struct udrv_pkt *const *pkts, unsigned n);

/* "model", "model:virtio[,queues=N,qsize=N]", "model:e1000e": opens that device
 * model and returns 1; 0 when name is not a model name (a BDF); -EINVAL (logged)
 * for a bad model name, or the model's open error. */
int udrvi_net_model_open_spec(const char *name, struct udrv_dev **dev);

#endif
