/* SPDX-License-Identifier: MIT */
/* Private: the 82574L driver's structs, shared by bring-up and the data path. */
#ifndef UDRVI_E1000E_H
#define UDRVI_E1000E_H

#include <endian.h>

#include <udrv/mmio.h>

#include "../port.h"
#include "e1000e_regs.h"
#include "model_hook.h" /* udrvi_model_waiting */

struct e1000e_port;

struct e1000e_rxq {
	struct udrv_net_rxq base;
	struct e1000e_port *ep;
	struct e1000_rx_desc *ring;   /* DMA */
	uint64_t ring_iova;
	struct udrv_pkt **bufs;       /* by descriptor: its buffer (private) */
	uint16_t size, mask;
	uint16_t next;                /* next descriptor to look at */
	uint16_t tail;                /* last value written to RDT */
	uint16_t buf_size;            /* bytes the device may write: 2048 */
	bool discard;                 /* dropping the rest of a multi-descriptor frame */
	bool csum;
	struct udrv_pool *pool;
	volatile uint8_t *bar;
};

struct e1000e_txq {
	struct udrv_net_txq base;
	struct e1000e_port *ep;
	struct e1000_tx_desc *ring;   /* DMA */
	uint64_t ring_iova;
	struct udrv_pkt **bufs;       /* by descriptor: packet whose last segment it holds */
	uint16_t size, mask;
	uint16_t tail;                /* next descriptor to fill (= TDT) */
	uint16_t clean;               /* next descriptor to reclaim */
	uint16_t nfree;
	uint16_t free_thresh;
	volatile uint8_t *bar;
};

struct e1000e_port {
	struct udrv_net_port port;
	volatile uint8_t *bar;
	size_t bar_len;
	bool model;                   /* in-process model: BAR0 is plain memory */
	struct udrvi_net_cfg cfg;
	uint32_t rctl;
	struct e1000e_rxq rxq;
	struct e1000e_txq txq;
	/* accumulated read-to-clear statistics registers */
	uint64_t mpc, rx_errs, gprc, gptc;
};

uint16_t udrvi_e1000e_rx_burst(struct udrv_net_rxq *q, struct udrv_pkt **pkts, uint16_t n);
uint16_t udrvi_e1000e_tx_burst(struct udrv_net_txq *q, struct udrv_pkt **pkts, uint16_t n);
unsigned udrvi_e1000e_tx_reclaim(struct udrv_net_txq *q);
/* Log what the device got wrong and stop the port (bursts return 0). */
void udrvi_e1000e_lie(struct e1000e_port *ep, const char *queue, const char *what,
		      uint16_t desc, uint32_t len, uint16_t size, uint16_t tail);

static inline uint32_t e1000e_rd(volatile uint8_t *bar, uint32_t reg)
{
	return le32toh(udrv_mmio_read32(bar, reg));
}

static inline void e1000e_wr(volatile uint8_t *bar, uint32_t reg, uint32_t v)
{
	udrv_mmio_write32(bar, reg, htole32(v));
}

#endif
