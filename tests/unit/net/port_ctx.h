/* SPDX-License-Identifier: MIT */
/*
 * What the NIC driver tests share: a port on a device model with its pool and
 * first queue pair, opened and closed with the checks every test ends with
 * (no DMA fault, every buffer back in the pool). Include after <cmocka.h>;
 * define POOL_COUNT first. Single-threaded test code.
 */
#ifndef UDRV_TEST_PORT_CTX_H
#define UDRV_TEST_PORT_CTX_H

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <udrv/model.h>
#include <udrv/net.h>

struct ctx {
	struct udrv_dev *dev;
	struct udrv_pool *pool;
	struct udrv_net_port *port;
	struct udrv_net_rxq *rxq;
	struct udrv_net_txq *txq;
};

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* c->dev is open: make a pool of POOL_COUNT buffers and open the port on it
 * with o (its pool replaced), and take queue pair 0. */
static inline void ctx_attach(struct ctx *c, struct udrv_net_port_opts o)
{
	struct udrv_net_pool_opts pl = { .size = sizeof(pl), .name = "test", .count = POOL_COUNT };

	assert_int_equal(udrv_net_pool_create(&pl, &c->pool), 0);
	o.pool = c->pool;
	assert_int_equal(udrv_net_open_dev(c->dev, &o, &c->port), 0);
	c->rxq = udrv_net_rxq(c->port, 0);
	c->txq = udrv_net_txq(c->port, 0);
	assert_non_null(c->rxq);
	assert_non_null(c->txq);
}

/* Close the port (unless the caller did and cleared c->port) and the device;
 * the model saw no DMA fault and every buffer came back (the port leaked none). */
static inline void ctx_detach(struct ctx *c)
{
	if (c->port)
		udrv_net_close(c->port);
	assert_int_equal(udrv_model_dma_faults(c->dev), 0);
	udrv_dev_close(c->dev);
	assert_int_equal(udrv_pool_available(c->pool), POOL_COUNT);
	udrv_pool_destroy(c->pool);
}

#endif
