/* SPDX-License-Identifier: MIT */
/*
 * Private: split virtqueues (virtio spec 2.7) as the driver sees them. The
 * rings are in DMA memory and the device may write anything into the used
 * ring; what the driver relies on (which descriptor ids are in flight, the
 * buffer behind each) lives in private memory here.
 */
#ifndef UDRVI_VIRTQUEUE_H
#define UDRVI_VIRTQUEUE_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>

#include <udrv/mmio.h>
#include <udrv/net.h>

#include "virtio_regs.h"

struct udrvi_vq {
	/* hot, driver-private */
	uint16_t size, mask;
	uint16_t avail_idx;    /* next avail index to publish */
	uint16_t last_used;    /* next used entry to consume */
	uint16_t inflight;     /* descriptors the device holds */
	uint16_t nfree;        /* descriptors not in flight */
	uint16_t qidx;         /* virtqueue index (notify value) */
	bool event_idx;
	/* The device completed out of ring order since the queue was last
	 * empty: free descriptors may not follow avail_idx contiguously. */
	bool ooo;
	struct vring_desc *desc;
	struct vring_avail *avail;
	volatile struct vring_used *used;
	volatile uint16_t *avail_event; /* in the used ring: device -> driver */
	volatile uint16_t *notify;
	struct udrv_pkt **bufs;      /* by descriptor id: the packet in flight, NULL if none */
	uint64_t kicks;
	/* cold */
	void *mem;
	uint64_t mem_iova;
	uint64_t desc_iova, avail_iova, used_iova;
};

/*
 * Data queues post one descriptor per packet, in ring order: avail slot s
 * always names descriptor s & mask (the avail ring is written once, by
 * udrvi_vq_reinit), so a burst writes only descriptors. A device that
 * completes out of order (allowed, 2.7.14) makes the next descriptor in ring
 * order still busy; posting then stops there until it comes back (bufs[id]
 * tells). QEMU and vhost complete in order and never make it wait.
 */

/* Allocate the rings (one DMA allocation) and the private array. */
int udrvi_vq_alloc(struct udrvi_vq *vq, uint16_t qidx, uint16_t size);
void udrvi_vq_free(struct udrvi_vq *vq);
/* Zero the rings and the private state (after a device reset; the caller has
 * taken back the buffers in bufs[]). */
void udrvi_vq_reinit(struct udrvi_vq *vq, bool event_idx);

/* Publish avail_idx to the device and notify it if it asked (2.7.13). */
static inline void udrvi_vq_publish(struct udrvi_vq *vq, uint16_t old_idx)
{
	bool need;

	/* Descriptor and avail-ring stores must be visible before the index. */
	udrv_wmb();
	__atomic_store_n(&vq->avail->idx, htole16(vq->avail_idx), __ATOMIC_RELAXED);
	/* The index store must be visible before we read the device's
	 * notification suppression (else both sides may wait for the other). */
	udrv_mb();
	if (vq->event_idx)
		need = vring_need_event(le16toh(*vq->avail_event), vq->avail_idx, old_idx);
	else
		need = !(le16toh(vq->used->flags) & VRING_USED_F_NO_NOTIFY);
	if (need) {
		udrv_mmio_write16(vq->notify, 0, htole16(vq->qidx));
		vq->kicks++;
	}
}

/* Entries the device has returned, or -1 if its used index claims more than
 * are in flight (a device that lies). */
static inline int udrvi_vq_used_pending(struct udrvi_vq *vq)
{
	uint16_t idx = le16toh(__atomic_load_n(&vq->used->idx, __ATOMIC_RELAXED));
	uint16_t n = (uint16_t)(idx - vq->last_used);

	if (n > vq->inflight)
		return -1;
	/* Used entries are read after the index that covers them. */
	udrv_rmb();
	return n;
}

#endif
