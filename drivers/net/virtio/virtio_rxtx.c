/* SPDX-License-Identifier: MIT */
/*
 * virtio-net data path: rx and tx bursts over split virtqueues (virtio spec
 * 2.7.13 supplying buffers, 2.7.14 used buffers, 5.1.6 packet layout).
 *
 * A packet is one descriptor: the 12-byte virtio_net_hdr sits in the buffer's
 * headroom right in front of the frame (VERSION_1 implies ANY_LAYOUT, 2.7.4).
 * Each used entry is checked before it is believed: its id must be a
 * descriptor we posted and still consider in flight, its length within what
 * we posted. Descriptors are posted in ring order (see virtqueue.h).
 */
#include <errno.h>
#include <string.h>

#include "virtio_net.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define REFILL_BATCH 64

void udrvi_vnet_fail(struct vnet_port *vp, const struct udrvi_vq *vq, const char *what,
		     uint32_t id, uint32_t len)
{
	net_err(&vp->port, "virtqueue %u: the device returned %s (id %u, len %u, ring size %u, "
		"%u in flight); the port is stopped: call udrv_net_reset() to recover",
		vq->qidx, what, id, len, vq->size, vq->inflight);
	udrvi_net_port_fail(&vp->port);
}

/* Post fresh buffers in ring order (see virtqueue.h); one publish per call.
 * (Ring state is copied into locals: with -fno-strict-aliasing every store
 * into a ring would otherwise make the compiler reload it.) */
static void rx_refill(struct vnet_rxq *q)
{
	struct udrvi_vq *vq = &q->vq;
	const uint16_t old = vq->avail_idx;
	const unsigned mask = vq->mask;
	struct vring_desc *const desc = vq->desc;
	struct udrv_pkt **const bufs = vq->bufs;
	unsigned nfree = vq->nfree, aidx = old;
	void *fresh[REFILL_BATCH];

	while (nfree) {
		unsigned k = nfree < REFILL_BATCH ? nfree : REFILL_BATCH, i;

		while (k && udrv_pool_get_bulk(q->pool, fresh, k) != k)
			k >>= 1;
		if (!k) {
			/* The device holds fewer buffers; frames it cannot place
			 * are dropped by it. Count the shortfall once per burst. */
			udrvi_stat_add(&q->base.st.drops, 1);
			break;
		}
		for (i = 0; i < k; i++) {
			struct udrv_pkt *p = fresh[i];
			unsigned id = aidx & mask;

			if (unlikely(bufs[id] != NULL))
				break; /* completed out of order: wait for this one */
			/* len and flags were written at bring-up and do not change. */
			desc[id].addr = htole64(p->buf_iova + UDRV_PKT_HEADROOM - VNET_HDR_LEN);
			bufs[id] = p;
			aidx++;
		}
		nfree -= i;
		if (unlikely(i < k)) {
			udrv_pool_put_bulk(q->pool, fresh + i, k - i);
			break;
		}
	}
	vq->nfree = (uint16_t)nfree;
	vq->inflight = (uint16_t)(vq->inflight + (uint16_t)(aidx - old));
	vq->avail_idx = (uint16_t)aidx;
	if ((uint16_t)aidx != old)
		udrvi_vq_publish(vq, old);
}

int udrvi_vnet_rx_fill(struct vnet_rxq *q)
{
	struct udrvi_vq *vq = &q->vq;

	for (uint16_t id = 0; id < vq->size; id++) {
		vq->desc[id].len = htole32(q->buf_cap);
		vq->desc[id].flags = htole16(VRING_DESC_F_WRITE);
	}
	rx_refill(q);
	return vq->nfree ? -ENOMEM : 0;
}

/* 5.1.6.4.1: what the device says about the L4 checksum (GUEST_CSUM only). */
static void rx_csum_flags(struct udrv_pkt **pkts, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct virtio_net_hdr *h = (const void *)(udrv_pkt_buf(pkts[i]) +
			UDRV_PKT_HEADROOM - VNET_HDR_LEN);

		if (h->flags & VIRTIO_NET_HDR_F_DATA_VALID)
			pkts[i]->ol_flags = UDRV_PKT_RX_L4_CSUM_GOOD;
		else if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			pkts[i]->ol_flags = UDRV_PKT_RX_L4_CSUM_NONE;
	}
}

uint16_t udrvi_vnet_rx_burst(struct udrv_net_rxq *bq, struct udrv_pkt **pkts, uint16_t n)
{
	struct vnet_rxq *q = container_of(bq, struct vnet_rxq, base);
	struct udrvi_vq *vq = &q->vq;
	const volatile struct vring_used_elem *const used = vq->used->ring;
	struct udrv_pkt **const bufs = vq->bufs;
	const uint32_t size = vq->size, cap = q->buf_cap;
	const unsigned mask = vq->mask;
	const uint16_t qid = bq->qid;
	unsigned got = 0, last = vq->last_used;
	uint64_t bytes = 0;
	int pending;

	if (unlikely(__atomic_load_n(&bq->stopped, __ATOMIC_RELAXED)))
		return 0;
	pending = udrvi_vq_used_pending(vq);
	if (unlikely(pending < 0)) {
		udrvi_vnet_fail(q->vp, vq, "a used index beyond the buffers in flight",
				le16toh(vq->used->idx), 0);
		udrvi_stat_add(&bq->st.errors, 1);
		return 0;
	}
	if (pending > n)
		pending = n;
	for (; got < (unsigned)pending; got++) {
		const volatile struct vring_used_elem *e = &used[last & mask];
		uint32_t id = le32toh(e->id), len = le32toh(e->len);
		struct udrv_pkt *p;

		/* Untrusted: the id must be ours and in flight, the length must
		 * cover a header and fit the buffer we posted. */
		if (unlikely(id >= size || !(p = bufs[id]) || len - (VNET_HDR_LEN + 1) >=
								cap - VNET_HDR_LEN)) {
			udrvi_vnet_fail(q->vp, vq, id >= size ? "an id out of range" :
					!bufs[id] ? "an id not in flight" :
					"a length outside the buffer", id, len);
			udrvi_stat_add(&bq->st.errors, 1);
			break;
		}
		bufs[id] = NULL;
		len -= VNET_HDR_LEN;
		p->next = NULL;
		p->pkt_len = len;
		p->data_off = UDRV_PKT_HEADROOM;
		p->data_len = (uint16_t)len;
		p->nb_segs = 1;
		p->rxq = qid;
		p->ol_flags = 0;
		bytes += len;
		pkts[got] = p;
		last++;
	}
	vq->last_used = (uint16_t)last;
	vq->nfree = (uint16_t)(vq->nfree + got);
	vq->inflight = (uint16_t)(vq->inflight - got);
	if (got) {
		if (unlikely(q->csum))
			rx_csum_flags(pkts, got);
		udrvi_stat_add(&bq->st.packets, got);
		udrvi_stat_add(&bq->st.bytes, bytes);
	}
	if (vq->nfree >= q->refill_min && !bq->stopped)
		rx_refill(q);
	return (uint16_t)got;
}

/* One pool and no chains (the usual case): straight back in bulk. */
static void free_done(struct udrv_pkt **done, unsigned k, struct udrv_pool *pool, bool mixed)
{
	if (!mixed)
		udrv_pool_put_bulk(pool, (void *const *)done, k);
	else
		udrvi_pkt_free_bulk(done, k);
}

/* Take back what the device has sent, checking every used entry, and free
 * the packets in bulk: the general case (completions out of ring order, mixed
 * pools, chains). */
static unsigned tx_reclaim_slow(struct vnet_txq *q, unsigned pending)
{
	struct udrvi_vq *vq = &q->vq;
	const volatile struct vring_used_elem *const used = vq->used->ring;
	struct udrv_pkt **const bufs = vq->bufs;
	const uint32_t size = vq->size;
	const unsigned mask = vq->mask;
	unsigned last = vq->last_used, k = 0, total = 0, i;
	struct udrv_pkt *done[64];
	struct udrv_pool *pool = NULL;
	bool mixed = false;

	for (i = 0; i < pending; i++) {
		const volatile struct vring_used_elem *e = &used[last & mask];
		uint32_t id = le32toh(e->id), len = le32toh(e->len);
		struct udrv_pkt *p;

		/* The device writes nothing into tx buffers; a length beyond what
		 * we posted (the frame and its header) is a lie all the same. */
		if (unlikely(id >= size || !(p = bufs[id]) ||
			     len > (uint32_t)p->data_len + VNET_HDR_LEN)) {
			udrvi_vnet_fail(q->vp, vq, id >= size ? "an id out of range" :
					!bufs[id] ? "an id not in flight" :
					"a length outside the buffer", id, len);
			udrvi_stat_add(&q->base.st.errors, 1);
			break;
		}
		bufs[id] = NULL;
		vq->ooo |= id != (last & mask);
		last++;
		if (unlikely(p->pool != pool || p->next)) {
			mixed |= pool != NULL || p->next;
			pool = p->pool;
		}
		done[k++] = p;
		if (k == 64) {
			free_done(done, k, pool, mixed);
			total += k;
			k = 0;
			mixed = false;
			pool = NULL;
		}
	}
	vq->last_used = (uint16_t)last;
	vq->inflight = (uint16_t)(vq->inflight - i);
	vq->nfree = (uint16_t)(vq->nfree + i);
	if (vq->inflight == 0)
		vq->ooo = false; /* every descriptor is free: in order again */
	if (k)
		free_done(done, k, pool, mixed);
	return total + k;
}

/*
 * The usual case, and the fast path: the device completes in ring order
 * (QEMU, vhost and the model do). While it always has (!vq->ooo), the
 * descriptors in flight are exactly the ring slots from last_used on, each
 * with its packet in bufs[] at the same index as its used entry, and posted
 * packets are never chains (tx_burst linearizes them). Each used entry is
 * still checked: its id must be that slot, its length within what was
 * posted. QEMU, vhost and the model return tx buffers with length 0, so
 * "id == slot, len == 0" is the one test of the usual case. The checked run
 * goes back to its pool straight from bufs[] (one bulk put per ring wrap, no
 * copy); the pool's own membership check tells whether they all came from
 * that pool. Anything else (out of order, mixed pools, a lie) is left to
 * tx_reclaim_slow, which also reports a lie.
 */
static unsigned tx_reclaim(struct vnet_txq *q)
{
	struct udrvi_vq *vq = &q->vq;
	const volatile struct vring_used_elem *const used = vq->used->ring;
	struct udrv_pkt **const bufs = vq->bufs;
	const unsigned start = vq->last_used, mask = vq->mask, size = vq->size;
	int pending = udrvi_vq_used_pending(vq);
	unsigned done = 0;

	if (unlikely(pending < 0)) {
		udrvi_vnet_fail(q->vp, vq, "a used index beyond the buffers in flight",
				le16toh(vq->used->idx), 0);
		udrvi_stat_add(&q->base.st.errors, 1);
		return 0;
	}
	if (unlikely(vq->ooo))
		return tx_reclaim_slow(q, (unsigned)pending);
	while (done < (unsigned)pending) {
		const unsigned first = (start + done) & mask;
		const unsigned want = (unsigned)pending - done < size - first ?
				      (unsigned)pending - done : size - first;
		unsigned j;

		for (j = first; j < first + want; j++) {
			const uint32_t id = le32toh(used[j].id), len = le32toh(used[j].len);
			const struct udrv_pkt *p;

			if (unlikely((id ^ j) | len) &&
			    (id != j || !(p = bufs[j]) || len > (uint32_t)p->data_len + VNET_HDR_LEN))
				break;
		}
		/* (bufs[first] is in flight by the invariant above; checked all
		 * the same, as a NULL among the rest fails the pool's check.) */
		if (j == first || !bufs[first] ||
		    !udrvi_pool_put_bulk_all(bufs[first]->pool, (void *const *)&bufs[first],
					     j - first))
			break;
		memset(&bufs[first], 0, (j - first) * sizeof(bufs[0]));
		done += j - first;
		if (j < first + want)
			break;
	}
	vq->last_used = (uint16_t)(start + done);
	vq->inflight = (uint16_t)(vq->inflight - done);
	vq->nfree = (uint16_t)(vq->nfree + done);
	if (unlikely(done < (unsigned)pending))
		return done + tx_reclaim_slow(q, (unsigned)pending - done);
	return done;
}

unsigned udrvi_vnet_tx_reclaim(struct udrv_net_txq *bq)
{
	if (bq->stopped)
		return 0;
	return tx_reclaim(container_of(bq, struct vnet_txq, base));
}

/* 5.1.6.2: ask the device to checksum [csum_start, end) into csum_offset. */
static void tx_csum_hdr(struct virtio_net_hdr *h, const struct udrv_pkt *p)
{
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = htole16((uint16_t)(p->l2_len + p->l3_len));
	h->csum_offset = htole16(p->ol_flags & UDRV_PKT_TX_TCP_CSUM ? 16 : 6);
}

/*
 * A chained packet is copied into one fresh buffer from the first segment's
 * pool, so that every packet is one descriptor and descriptors stay in ring
 * order (see virtqueue.h). Chains are the exception on transmit; the copy
 * keeps the fast path free of them. NULL if it does not fit or the pool is
 * empty; the chain is freed once copied.
 */
static struct udrv_pkt *tx_linearize(struct udrv_pkt *p)
{
	struct udrv_pkt *lin = udrv_pkt_alloc(p->pool), *s;
	uint32_t off = 0;

	if (!lin)
		return NULL;
	for (s = p; s; s = s->next) {
		if (s->data_len > udrv_pkt_tailroom(lin) - off) {
			udrv_pkt_free(lin);
			return NULL;
		}
		memcpy((uint8_t *)udrv_pkt_data(lin) + off, udrv_pkt_data(s), s->data_len);
		off += s->data_len;
	}
	lin->data_len = (uint16_t)off;
	lin->pkt_len = off;
	lin->ol_flags = p->ol_flags;
	lin->l2_len = p->l2_len;
	lin->l3_len = p->l3_len;
	udrv_pkt_free(p);
	return lin;
}

/* The unusual packet, out of line: a chain or too little headroom (copied
 * into one buffer), checksum offload. Returns the packet to post, or NULL if
 * it was taken and dropped. */
static struct udrv_pkt *tx_prepare_slow(struct vnet_txq *q, struct udrv_pkt *p)
{
	struct virtio_net_hdr *h;

	if (p->next != NULL || p->data_off < VNET_HDR_LEN) {
		struct udrv_pkt *lin = tx_linearize(p);

		if (!lin) {
			/* Does not fit one buffer, or no buffer to copy it into. */
			udrv_pkt_free(p);
			return NULL;
		}
		p = lin;
	}
	p->nb_segs = 1;
	h = (struct virtio_net_hdr *)((uint8_t *)udrv_pkt_data(p) - VNET_HDR_LEN);
	memset(h, 0, sizeof(*h));
	if ((p->ol_flags & (UDRV_PKT_TX_UDP_CSUM | UDRV_PKT_TX_TCP_CSUM)) && q->csum)
		tx_csum_hdr(h, p);
	return p;
}

/*
 * Zero a device header in the headroom, but only if it is not zero already.
 * Buffers are reused, and their header is nearly always zero from the last
 * time: left alone, it stays a clean cache line that the device (emulated or
 * vhost, polling from another core) reads from its own cache, instead of one
 * it must take from ours for every frame.
 */
static inline void hdr_clear(uint8_t *h)
{
	uint64_t a;
	uint32_t b;

	memcpy(&a, h, sizeof(a));
	memcpy(&b, h + sizeof(a), sizeof(b));
	if (a | b)
		memset(h, 0, VNET_HDR_LEN);
}

#define TX_SLOW_FLAGS (UDRV_PKT_TX_UDP_CSUM | UDRV_PKT_TX_TCP_CSUM)

/* Post up to n packets from descriptor aidx on, in ring order. With busy
 * (the device completed out of order) each descriptor is checked to be free;
 * without it the caller has bounded n by the free count, which then are the
 * next n in ring order. Returns how many of pkts were taken. */
static inline __attribute__((always_inline)) unsigned
tx_post(struct vnet_txq *q, struct udrv_pkt **pkts, unsigned n, unsigned *aidxp, uint64_t *bytesp,
	uint64_t *errorsp, const bool busy)
{
	struct udrvi_vq *vq = &q->vq;
	const unsigned mask = vq->mask;
	struct vring_desc *const desc = vq->desc;
	struct udrv_pkt **const bufs = vq->bufs;
	unsigned i, aidx = *aidxp;
	uint64_t bytes = 0;

	for (i = 0; i < n; i++) {
		struct udrv_pkt *p = pkts[i];
		const unsigned id = aidx & mask;
		uint8_t *h;

		if (busy && unlikely(bufs[id] != NULL))
			break; /* the device holds this one (completed out of order): wait */
		if (unlikely(p->next != NULL || p->data_off < VNET_HDR_LEN ||
			     (p->ol_flags & TX_SLOW_FLAGS))) {
			p = tx_prepare_slow(q, p);
			if (!p) {
				(*errorsp)++;
				continue;
			}
			pkts[i] = p;
		} else {
			/* The device header goes into the headroom: one descriptor. */
			h = (uint8_t *)udrv_pkt_data(p) - VNET_HDR_LEN;
			hdr_clear(h);
		}
		/* flags stay 0 and the avail slot already names this descriptor. */
		desc[id].addr = htole64(udrv_pkt_data_iova(p) - VNET_HDR_LEN);
		desc[id].len = htole32((uint32_t)p->data_len + VNET_HDR_LEN);
		bufs[id] = p;
		bytes += p->data_len;
		aidx++;
	}
	*aidxp = aidx;
	*bytesp = bytes;
	return i;
}

uint16_t udrvi_vnet_tx_burst(struct udrv_net_txq *bq, struct udrv_pkt **pkts, uint16_t n)
{
	struct vnet_txq *q = container_of(bq, struct vnet_txq, base);
	struct udrvi_vq *vq = &q->vq;
	const uint16_t old = vq->avail_idx;
	uint64_t bytes = 0, errors = 0;
	unsigned i, aidx = old;

	if (unlikely(__atomic_load_n(&bq->stopped, __ATOMIC_RELAXED)))
		return 0;
	if (vq->nfree < q->free_thresh || vq->nfree < n)
		tx_reclaim(q);
	if (likely(!vq->ooo)) {
		/* In order: the free descriptors are the next nfree in ring order. */
		i = tx_post(q, pkts, n < vq->nfree ? n : vq->nfree, &aidx, &bytes, &errors, false);
	} else {
		i = tx_post(q, pkts, n, &aidx, &bytes, &errors, true);
	}
	if ((uint16_t)aidx != old) {
		uint16_t sent = (uint16_t)(aidx - old);

		vq->avail_idx = (uint16_t)aidx;
		vq->inflight = (uint16_t)(vq->inflight + sent);
		vq->nfree = (uint16_t)(vq->nfree - sent);
		udrvi_vq_publish(vq, old);
		udrvi_stat_add(&bq->st.packets, sent);
		udrvi_stat_add(&bq->st.bytes, bytes);
	}
	if (unlikely(errors))
		udrvi_stat_add(&bq->st.errors, errors);
	if (i < n)
		udrvi_stat_add(&bq->st.drops, (uint64_t)(n - i));
	return (uint16_t)i;
}
