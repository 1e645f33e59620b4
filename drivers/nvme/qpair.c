/* SPDX-License-Identifier: MIT */
/*
 * Queue pair memory and life cycle: rings, requests with their preallocated
 * PRP/SGL lists, creation on the device (one I/O qpair per thread), and
 * completing everything outstanding when the queues go away.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_priv.h"

static uint32_t pow2_at_least(uint32_t x)
{
	uint32_t p = 1;

	while (p < x)
		p <<= 1;
	return p;
}

void udrvi_nvme_qpair_reset_rings(struct udrv_nvme_qpair *qp)
{
	memset(qp->cq_mem, 0, (size_t)qp->qsize * sizeof(struct nvme_cqe));
	qp->sq_tail = qp->sq_head = qp->sq_db_last = 0;
	qp->cq_head = qp->cq_db_last = 0;
	qp->cq_next = qp->cq;
	/* The tail restarts at 0: the slots the countdown still had to cover
	 * are no longer the next ones. */
	qp->sq_dirty = qp->qsize;
	qp->idle_polls = qp->model_inline ? 1 : NVME_IDLE_POLLS;
	qp->cq_phase = 1; /* the first pass of the CQ posts entries with phase 1 */
	if (qp->shadow_sq) {
		/* Called before the queues are created, when the device owns
		 * none of this qid's slots: clear the shadow doorbells and the
		 * EventIdx values an earlier queue with this id left (as the
		 * whole pages are cleared at Doorbell Buffer Config). A stale
		 * EventIdx ahead of the new tail would tell the driver not to
		 * ring, and a controller that sleeps on EventIdx (QEMU's) would
		 * never fetch the commands. */
		*qp->shadow_sq = 0;
		*qp->shadow_cq = 0;
		*(volatile uint32_t *)qp->ei_sq = 0;
		*(volatile uint32_t *)qp->ei_cq = 0;
	}
}

int udrvi_nvme_qpair_alloc(struct udrv_nvme_ctrl *ctrl, uint16_t qid, uint32_t qsize,
			   uint32_t timeout_ms, struct udrv_nvme_qpair **out)
{
	struct udrv_nvme_qpair *qp;
	uint32_t i, entries, check_ms;
	int rc;

	if (qsize & (qsize - 1))
		return -EINVAL; /* callers round queue sizes down to a power of two */
	qp = calloc(1, sizeof(*qp));
	if (!qp)
		return -ENOMEM;
	qp->ctrl = ctrl;
	qp->qid = qid;
	qp->qsize = (uint16_t)qsize;
	qp->nreq = qsize - 1;
	qp->is_admin = qid == 0;
	qp->max_xfer = ctrl->info.max_xfer_bytes ? ctrl->info.max_xfer_bytes : NVME_PAGE_SIZE;
	/* PRP list: one entry per page of the largest transfer; also the SGL
	 * list and the DSM range list. A power of two up to a page, so a slot
	 * never crosses a page boundary. */
	entries = qp->max_xfer / NVME_PAGE_SIZE + 1;
	qp->list_slot = pow2_at_least(entries * 8);
	if (qp->list_slot < NVME_LIST_SLOT_MIN)
		qp->list_slot = NVME_LIST_SLOT_MIN;
	if (qp->list_slot > NVME_PAGE_SIZE)
		qp->list_slot = NVME_PAGE_SIZE;
	qp->qmask = (uint16_t)(qsize - 1u);
	check_ms = timeout_ms / 4;
	if (check_ms > 100)
		check_ms = 100;
	if (check_ms < 1)
		check_ms = 1;
	qp->check_ticks = (uint64_t)check_ms * udrvi_nvme_ticks_per_ms;
	qp->timeout_intervals = (timeout_ms + check_ms - 1) / check_ms + 1;
	qp->next_check = udrvi_nvme_ticks() + qp->check_ticks;
	qp->tick = 1; /* request stamps are never 0 once set */
	qp->sq_dirty = qsize;

	rc = udrv_dma_alloc((size_t)qsize * sizeof(struct nvme_sqe), NVME_PAGE_SIZE, &qp->sq_mem,
			    &qp->sq_iova);
	if (rc < 0)
		goto free_qp;
	rc = udrv_dma_alloc((size_t)qsize * sizeof(struct nvme_cqe), NVME_PAGE_SIZE, &qp->cq_mem,
			    &qp->cq_iova);
	if (rc < 0)
		goto free_sq;
	rc = udrv_dma_alloc((size_t)qp->nreq * qp->list_slot, NVME_PAGE_SIZE, &qp->list_mem,
			    &qp->list_iova);
	if (rc < 0)
		goto free_cq;
	rc = -ENOMEM;
	qp->reqs = calloc(qsize, sizeof(*qp->reqs));
	if (!qp->reqs)
		goto free_lists;
	qp->snap = calloc(qp->nreq, sizeof(*qp->snap));
	if (!qp->snap)
		goto free_reqs;
	/* reqs[nreq] is never used: a cid masked onto it finds it free. */
	qp->reqs[qp->nreq].cid = (uint16_t)qp->nreq;
	qp->reqs[qp->nreq].parent = &qp->reqs[qp->nreq];
	qp->xl_va = (uintptr_t)0 - NVME_XL_SPAN; /* matches no user address */
	for (i = qp->nreq; i-- > 0;) {
		struct nvme_req *req = &qp->reqs[i];

		req->cid = (uint16_t)i;
		req->list = (uint8_t *)qp->list_mem + (size_t)i * qp->list_slot;
		req->list_iova = udrv_virt_to_iova(req->list);
		udrvi_nvme_req_put(qp, req);
	}
	qp->sq = qp->sq_mem;
	qp->cq = qp->cq_mem;
	qp->cq_end = qp->cq + qsize;
	qp->sq_db = (volatile uint32_t *)(ctrl->bar + nvme_sq_db_off(qid, ctrl->dstrd));
	qp->cq_db = (volatile uint32_t *)(ctrl->bar + nvme_cq_db_off(qid, ctrl->dstrd));
	if (qid && ctrl->dbbuf) {
		/* Shadow doorbell and EventIdx slots mirror the MMIO doorbell layout. */
		uint32_t sq_i = 2u * qid * (1u << ctrl->dstrd), cq_i = sq_i + (1u << ctrl->dstrd);

		qp->shadow_sq = (uint32_t *)ctrl->dbbuf + sq_i;
		qp->shadow_cq = (uint32_t *)ctrl->dbbuf + cq_i;
		qp->ei_sq = (uint32_t *)ctrl->eibuf + sq_i;
		qp->ei_cq = (uint32_t *)ctrl->eibuf + cq_i;
	}
	qp->ns = ctrl->ns_tab;
	qp->epoch_ptr = &ctrl->epoch;
	qp->nns = ctrl->nn_tab;
	qp->sgl_ok = ctrl->info.sgl_used;
	udrvi_nvme_qpair_reset_rings(qp);
	*out = qp;
	return 0;

free_reqs:
	free(qp->reqs);
free_lists:
	udrv_dma_free(qp->list_mem);
free_cq:
	udrv_dma_free(qp->cq_mem);
free_sq:
	udrv_dma_free(qp->sq_mem);
free_qp:
	NVME_LOG_ERR(ctrl, "cannot allocate queue %u (%u entries): %s; lower the queue size or "
		     "give udrv more DMA memory", qid, qsize, strerror(-rc));
	free(qp);
	return rc;
}

void udrvi_nvme_qpair_free(struct udrv_nvme_qpair *qp)
{
	if (!qp)
		return;
	free(qp->snap);
	free(qp->reqs);
	if (!qp->ctrl->revoked) { /* else udrv_fini freed all DMA memory */
		udrv_dma_free(qp->list_mem);
		udrv_dma_free(qp->cq_mem);
		udrv_dma_free(qp->sq_mem);
	}
	free(qp);
}

/* Complete every request in flight with status, exactly once. Callbacks may
 * submit new requests: they take other (or just freed) requests with a new
 * generation, so the snapshot's cid check leaves them alone. */
void udrvi_nvme_qpair_abort_all(struct udrv_nvme_qpair *qp, uint16_t status)
{
	uint32_t i, n = 0;
	uint16_t cids[NVME_MAX_QUEUE_SIZE];

	for (i = 0; i < qp->nreq; i++) {
		if (qp->reqs[i].state != NVME_REQ_FREE) {
			cids[n] = qp->reqs[i].cid;
			qp->snap[n++] = &qp->reqs[i];
		}
	}
	for (i = 0; i < n; i++) {
		struct nvme_req *req = qp->snap[i];

		if (req->state != NVME_REQ_FREE && req->cid == cids[i])
			udrvi_nvme_complete(qp, req, status, 0);
	}
}

int udrv_nvme_qpair_create(struct udrv_nvme_ctrl *ctrl, const struct udrv_nvme_qpair_opts *opts,
			   struct udrv_nvme_qpair **out)
{
	struct udrv_nvme_qpair_opts o = { 0 };
	struct udrv_nvme_qpair *qp;
	uint32_t qsize, timeout, limit;
	uint16_t qid;
	int rc;

	if (!ctrl || !out)
		return -EINVAL;
	if (opts) {
		if (opts->size == 0) {
			NVME_LOG_ERR(ctrl, "udrv_nvme_qpair_opts.size is 0: set it to sizeof(struct "
				     "udrv_nvme_qpair_opts)");
			return -EINVAL;
		}
		memcpy(&o, opts, opts->size < sizeof(o) ? opts->size : sizeof(o));
	}
	/* Powers of two, so ring indices wrap with a mask: round the request
	 * up, and the limit (CAP.MQES + 1, 4096) down. */
	qsize = pow2_at_least(o.queue_size ? o.queue_size : NVME_DEFAULT_IO_QSIZE);
	limit = ctrl->info.max_queue_entries < NVME_MAX_QUEUE_SIZE ? ctrl->info.max_queue_entries
								     : NVME_MAX_QUEUE_SIZE;
	while (limit & (limit - 1))
		limit &= limit - 1;
	if (qsize > limit)
		qsize = limit;
	if (qsize < 2) {
		NVME_LOG_ERR(ctrl, "queue size %u is too small: use at least 2 entries", qsize);
		return -EINVAL;
	}
	timeout = o.timeout_ms ? o.timeout_ms : NVME_DEFAULT_TIMEOUT_MS;

	pthread_mutex_lock(&ctrl->lock);
	if (atomic_load(&ctrl->failed)) {
		rc = -ENODEV;
		goto unlock;
	}
	for (qid = 1; qid <= ctrl->info.io_queues; qid++)
		if (!ctrl->qid_used[qid])
			break;
	if (qid > ctrl->info.io_queues) {
		NVME_LOG_ERR(ctrl, "all %u I/O queue pairs the controller granted are in use: "
			     "destroy one first, or ask for more with io_queues",
			     ctrl->info.io_queues);
		rc = -EBUSY;
		goto unlock;
	}
	rc = udrvi_nvme_qpair_alloc(ctrl, qid, qsize, timeout, &qp);
	if (rc < 0)
		goto unlock;
	qp->use_sgl = qp->sgl_ok && (o.flags & UDRV_NVME_QPAIR_PREFER_SGL);
	qp->model_inline = udrvi_model_inline(ctrl->dev);
	qp->idle_polls = qp->model_inline ? 1 : NVME_IDLE_POLLS; /* no peek skips the model */
	qp->fast_max = qp->use_sgl ? 0 : NVME_PAGE_SIZE;
	rc = udrvi_nvme_create_queues(ctrl, qp);
	if (rc < 0) {
		udrvi_nvme_qpair_free(qp);
		goto unlock;
	}
	qp->epoch = atomic_load(&ctrl->epoch);
	ctrl->qid_used[qid] = 1;
	qp->next = ctrl->qpairs;
	ctrl->qpairs = qp;
	*out = qp;
unlock:
	pthread_mutex_unlock(&ctrl->lock);
	return rc;
}

void udrv_nvme_qpair_destroy(struct udrv_nvme_qpair *qp)
{
	struct udrv_nvme_ctrl *ctrl;
	struct udrv_nvme_qpair **pp;

	if (!qp)
		return;
	ctrl = qp->ctrl;
	pthread_mutex_lock(&ctrl->lock);
	if (qp->created && !atomic_load(&ctrl->failed) &&
	    qp->epoch == atomic_load(&ctrl->epoch))
		udrvi_nvme_delete_queues(ctrl, qp);
	for (pp = &ctrl->qpairs; *pp; pp = &(*pp)->next) {
		if (*pp == qp) {
			*pp = qp->next;
			break;
		}
	}
	ctrl->qid_used[qp->qid] = 0;
	pthread_mutex_unlock(&ctrl->lock);
	/* The device no longer has the queues (or is gone): nothing can
	 * complete now, so finish what is left, outside the lock. */
	udrvi_nvme_qpair_abort_all(qp, UDRV_NVME_STATUS_ABORTED);
	udrvi_nvme_qpair_free(qp);
}
