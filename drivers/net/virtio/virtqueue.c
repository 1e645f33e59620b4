/* SPDX-License-Identifier: MIT */
/* Split virtqueue memory: rings in DMA memory, bookkeeping in private memory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <udrv/mem.h>

#include "virtqueue.h"

#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))

static uint64_t used_off(uint16_t size)
{
	/* 2.7: the used ring is 4-byte aligned; a cache line apart from the
	 * avail ring keeps the device's and the driver's writes apart. */
	return ALIGN_UP(vring_desc_bytes(size) + vring_avail_bytes(size), 64);
}

int udrvi_vq_alloc(struct udrvi_vq *vq, uint16_t qidx, uint16_t size)
{
	uint64_t bytes = used_off(size) + vring_used_bytes(size);
	int rc;

	memset(vq, 0, sizeof(*vq));
	if (size == 0 || (size & (size - 1)) || size > VRING_MAX_SIZE)
		return -EINVAL;
	vq->size = size;
	vq->mask = size - 1;
	vq->qidx = qidx;
	rc = udrv_dma_alloc(bytes, 4096, &vq->mem, &vq->mem_iova);
	if (rc)
		return rc;
	vq->bufs = calloc(size, sizeof(*vq->bufs));
	if (!vq->bufs) {
		udrvi_vq_free(vq);
		return -ENOMEM;
	}
	vq->desc = vq->mem;
	vq->avail = (struct vring_avail *)((uint8_t *)vq->mem + vring_desc_bytes(size));
	vq->used = (volatile struct vring_used *)((uint8_t *)vq->mem + used_off(size));
	vq->avail_event = (volatile uint16_t *)&vq->used->ring[size];
	vq->desc_iova = vq->mem_iova;
	vq->avail_iova = vq->mem_iova + vring_desc_bytes(size);
	vq->used_iova = vq->mem_iova + used_off(size);
	udrvi_vq_reinit(vq, false);
	return 0;
}

void udrvi_vq_reinit(struct udrvi_vq *vq, bool event_idx)
{
	memset(vq->mem, 0, used_off(vq->size) + vring_used_bytes(vq->size));
	memset(vq->bufs, 0, vq->size * sizeof(*vq->bufs));
	vq->avail_idx = 0;
	vq->last_used = 0;
	vq->inflight = 0;
	vq->ooo = false;
	vq->event_idx = event_idx;
	vq->notify = NULL;
	/* Slot s names descriptor s, for good (see virtqueue.h). */
	for (uint16_t i = 0; i < vq->size; i++)
		vq->avail->ring[i] = htole16(i);
	vq->nfree = vq->size;
	/* We poll: ask the device not to interrupt (2.7.7; with EVENT_IDX the
	 * used_event word is what counts, and we never move it past the ring). */
	vq->avail->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
}

void udrvi_vq_free(struct udrvi_vq *vq)
{
	udrv_dma_free(vq->mem);
	free(vq->bufs);
	memset(vq, 0, sizeof(*vq));
}
