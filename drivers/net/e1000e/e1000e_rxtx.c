/* SPDX-License-Identifier: MIT */
/*
 * 82574L data path with legacy descriptors (82574 datasheet 7.1 receive,
 * 7.2 transmit). Descriptor-done polling; RDT/TDT written once per burst.
 *
 * The device writes status, errors and length into receive descriptors and
 * DD into transmit descriptors; nothing it writes is used as an index. The
 * length is checked against the buffer before a packet is handed out. A
 * length beyond the buffer, or DD in the one descriptor the driver keeps
 * (rx: at RDT; tx: at TDT once every posted one is back), is a lie: the port
 * stops (udrvi_e1000e_lie).
 */
#include <string.h>

#include "e1000e.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define RX_BATCH 64

uint16_t udrvi_e1000e_rx_burst(struct udrv_net_rxq *bq, struct udrv_pkt **pkts, uint16_t n)
{
	struct e1000e_rxq *q = container_of(bq, struct e1000e_rxq, base);
	struct udrv_pkt *fresh[RX_BATCH];
	uint64_t bytes = 0, errors = 0;
	uint16_t got = 0, idx = q->next, ready = 0;

	if (unlikely(__atomic_load_n(&bq->stopped, __ATOMIC_RELAXED)))
		return 0;
	if (n > RX_BATCH)
		n = RX_BATCH;
	/* Count completed descriptors, never past the one RDT keeps for us. */
	while (ready < n && (uint16_t)((idx + ready) & q->mask) != q->tail &&
	       (__atomic_load_n(&q->ring[(idx + ready) & q->mask].status, __ATOMIC_RELAXED) &
		E1000_RXD_STAT_DD))
		ready++;
	if (!ready)
		return 0;
	/* The tail is about to move past the descriptor at RDT, which was never
	 * the device's: DD there would be taken for a frame next time round. */
	if (unlikely(__atomic_load_n(&q->ring[q->tail].status, __ATOMIC_RELAXED) &
		     E1000_RXD_STAT_DD)) {
		udrvi_e1000e_lie(q->ep, "rx", "DD in a descriptor it does not own", q->tail,
				 le16toh(q->ring[q->tail].length), q->size, q->tail);
		udrvi_stat_add(&bq->st.errors, 1);
		return 0;
	}
	/* Each descriptor handed back needs a fresh buffer in its place. */
	while (ready && udrv_pool_get_bulk(q->pool, (void **)fresh, ready) != ready)
		ready >>= 1;
	if (!ready) {
		udrvi_stat_add(&bq->st.drops, 1);
		return 0;
	}
	/* Descriptor fields are read after DD was seen set. */
	udrv_rmb();
	for (uint16_t i = 0; i < ready; i++) {
		struct e1000_rx_desc *d = &q->ring[idx];
		struct udrv_pkt *p = q->bufs[idx];
		uint8_t status = d->status, err = d->errors;
		uint16_t len = le16toh(d->length);
		struct udrv_pkt *nb = fresh[i];

		if (unlikely(len > q->buf_size)) {
			/* It may have written past the buffer: stop believing it. */
			udrvi_e1000e_lie(q->ep, "rx", "a length beyond the buffer", idx, len,
					 q->size, q->tail);
			udrv_pool_put_bulk(q->pool, (void *const *)(fresh + i), ready - i);
			errors++;
			break;
		}
		if (unlikely(!(status & E1000_RXD_STAT_EOP) || q->discard || (err & E1000_RXD_ERR_FRAME) ||
			     len == 0)) {
			/* Frames larger than one buffer cannot happen with LPE off;
			 * a device that sends one is refused frame by frame. */
			q->discard = !(status & E1000_RXD_STAT_EOP);
			errors++;
			udrv_pool_put(q->pool, nb); /* keep the old buffer posted */
			nb = p;
		} else {
			p->next = NULL;
			p->pkt_len = len;
			p->data_off = UDRV_PKT_HEADROOM;
			p->data_len = len;
			p->nb_segs = 1;
			p->rxq = bq->qid;
			p->ol_flags = 0;
			if (q->csum && (status & E1000_RXD_STAT_TCPCS) && !(status & E1000_RXD_STAT_IXSM))
				p->ol_flags = err & E1000_RXD_ERR_TCPE ? 0 : UDRV_PKT_RX_L4_CSUM_GOOD;
			pkts[got++] = p;
			bytes += len;
		}
		q->bufs[idx] = nb;
		d->addr = htole64(nb->buf_iova + UDRV_PKT_HEADROOM);
		d->status = 0; /* 7.1.4: software clears DD before returning the descriptor */
		idx = (idx + 1) & q->mask;
	}
	if (unlikely(idx == q->next)) /* the first one lied: nothing to hand back */
		goto count;
	q->next = idx;
	/* The refilled descriptors must be visible before the tail moves past them.
	 * RDT = last refilled: the device stops one short of it. */
	q->tail = (uint16_t)((idx - 1) & q->mask);
	udrv_wmb();
	if (likely(!__atomic_load_n(&bq->stopped, __ATOMIC_RELAXED)))
		e1000e_wr(q->bar, E1000_RDT, q->tail);
count:
	if (got) {
		udrvi_stat_add(&bq->st.packets, got);
		udrvi_stat_add(&bq->st.bytes, bytes);
	}
	if (errors)
		udrvi_stat_add(&bq->st.errors, errors);
	return got;
}

static unsigned tx_reclaim(struct e1000e_txq *q)
{
	struct udrv_pkt *done[64];
	unsigned k = 0, total = 0;
	uint16_t c = q->clean;

	/* 7.2.3: DD is written back for descriptors with RS (all of ours). */
	while (c != q->tail &&
	       (__atomic_load_n(&q->ring[c].status, __ATOMIC_RELAXED) & E1000_TXD_STAT_DD)) {
		struct udrv_pkt *p = q->bufs[c];

		q->ring[c].status = 0;
		if (p) {
			q->bufs[c] = NULL;
			done[k++] = p;
			if (k == 64) {
				udrvi_pkt_free_bulk(done, k);
				total += k;
				k = 0;
			}
		}
		c = (c + 1) & q->mask;
		q->nfree++;
	}
	q->clean = c;
	if (k)
		udrvi_pkt_free_bulk(done, k);
	/* Every posted descriptor is back; the one at the tail was never posted
	 * (tx_burst clears it when it does post it). */
	if (unlikely(c == q->tail && (__atomic_load_n(&q->ring[c].status, __ATOMIC_RELAXED) &
				      E1000_TXD_STAT_DD))) {
		udrvi_e1000e_lie(q->ep, "tx", "DD in a descriptor it was not given", c,
				 le16toh(q->ring[c].length), q->size, q->tail);
		udrvi_stat_add(&q->base.st.errors, 1);
	}
	return total + k;
}

unsigned udrvi_e1000e_tx_reclaim(struct udrv_net_txq *bq)
{
	return tx_reclaim(container_of(bq, struct e1000e_txq, base));
}

uint16_t udrvi_e1000e_tx_burst(struct udrv_net_txq *bq, struct udrv_pkt **pkts, uint16_t n)
{
	struct e1000e_txq *q = container_of(bq, struct e1000e_txq, base);
	uint16_t t = q->tail, i;
	uint64_t bytes = 0, errors = 0;

	if (unlikely(__atomic_load_n(&bq->stopped, __ATOMIC_RELAXED)))
		return 0;
	/* n packets need n descriptors plus the one kept free (below). */
	if (q->nfree < q->free_thresh || q->nfree <= n)
		tx_reclaim(q);
	for (i = 0; i < n; i++) {
		struct udrv_pkt *p = pkts[i], *s = p;
		uint16_t nseg = p->nb_segs;

		if (unlikely(nseg == 0 || nseg >= q->size - 1)) {
			udrv_pkt_free(p); /* taken and dropped: can never fit */
			errors++;
			continue;
		}
		/* One descriptor per segment; keep one free so tail never meets clean. */
		if (unlikely((uint32_t)nseg + 1 > q->nfree))
			break;
		for (uint16_t sg = 0; sg < nseg && s; sg++, s = s->next) {
			struct e1000_tx_desc *d = &q->ring[t];
			bool last = sg + 1 == nseg || !s->next;

			d->addr = htole64(udrv_pkt_data_iova(s));
			d->length = htole16(s->data_len);
			d->cso = 0;
			d->css = 0;
			d->special = 0;
			d->status = 0;
			/* RS on every descriptor: DD is written back only where RS
			 * is set (7.2.3), and reclaim walks descriptor by descriptor. */
			d->cmd = E1000_TXD_CMD_IFCS | E1000_TXD_CMD_RS | (last ? E1000_TXD_CMD_EOP : 0);
			q->bufs[t] = last ? p : NULL;
			t = (t + 1) & q->mask;
			q->nfree--;
		}
		bytes += nseg == 1 ? p->data_len : p->pkt_len;
	}
	if (t != q->tail) {
		/* Descriptor stores must be visible before the tail moves. */
		udrv_wmb();
		e1000e_wr(q->bar, E1000_TDT, t);
		udrvi_stat_add(&bq->st.packets, i - errors);
		udrvi_stat_add(&bq->st.bytes, bytes);
		q->tail = t;
	}
	if (errors)
		udrvi_stat_add(&bq->st.errors, errors);
	if (i < n)
		udrvi_stat_add(&bq->st.drops, (uint64_t)(n - i));
	return i;
}
