/* SPDX-License-Identifier: MIT */
/*
 * The hot path: request allocation, completion queue processing, poll and
 * flush. No allocation, lock or system call here; the slow cases (timeouts,
 * reset, failure) branch out to reset.c.
 */
#include <errno.h>
#include <limits.h>

#include "nvme_priv.h"

struct nvme_req *udrvi_nvme_req_get(struct udrv_nvme_qpair *qp)
{
	struct nvme_req *req = qp->free_list;

	if (unlikely(!req))
		return NULL;
	qp->free_list = req->next_free;
	/* New generation: a late completion for the previous use will not match. */
	req->cid = (uint16_t)(req->cid + (1u << NVME_CID_IDX_BITS));
	return req;
}

/* Requests on the free list are ready for a plain (unsplit) submission:
 * parent = self, pending = 1, status = 0. */
void udrvi_nvme_req_put(struct udrv_nvme_qpair *qp, struct nvme_req *req)
{
	req->parent = req;
	req->pending = 1;
	req->status = 0;
	req->state = NVME_REQ_FREE;
	req->next_free = qp->free_list;
	qp->free_list = req;
}

/* Complete one command of a request; the user's callback runs once, when
 * the last command of the request (several if it was split) completes. */
static inline __attribute__((always_inline)) void
nvme_complete(struct udrv_nvme_qpair *qp, struct nvme_req *req, uint16_t status, uint32_t dw0)
{
	struct nvme_req *p = req->parent;
	struct udrv_nvme_cpl cpl;
	udrv_nvme_cb cb;
	void *arg;

	if (likely(req == p && p->pending == 1)) {
		/* The common case: one command, one request; parent and status are
		 * already as a free request needs them. */
		cpl.status = status;
		cpl.cdw0 = dw0;
	} else {
		req->state = NVME_REQ_FREE;
		if (unlikely(status & 0x7ff) && !(p->status & 0x7ff))
			p->status = status;
		if (req == p)
			p->cdw0 = dw0;
		else
			udrvi_nvme_req_put(qp, req);
		if (--p->pending) {
			qp->parts_done++;
			return;
		}
		p->pending = 1;
		cpl.status = p->status;
		cpl.cdw0 = p->cdw0;
		p->status = 0;
	}
	cb = p->cb;
	arg = p->arg;
	cpl.sqid = qp->qid;
	p->state = NVME_REQ_FREE;
	p->next_free = qp->free_list;
	qp->free_list = p;
	qp->st.completed++;
	if (cb)
		cb(arg, &cpl);
}

/* A whole request (state INFLIGHT): one command, parent = self, pending = 1,
 * status 0 -- already as a free request needs them. cpl->sqid is set. */
static inline __attribute__((always_inline)) void
nvme_complete_whole(struct udrv_nvme_qpair *qp, struct nvme_req *req, uint16_t status, uint32_t dw0,
		    struct udrv_nvme_cpl *cpl)
{
	udrv_nvme_cb cb = req->cb;
	void *arg = req->arg;

	cpl->status = status;
	cpl->cdw0 = dw0;
	req->state = NVME_REQ_FREE;
	req->next_free = qp->free_list;
	qp->free_list = req;
	qp->st.completed++;
	if (cb)
		cb(arg, cpl);
}

void udrvi_nvme_complete(struct udrv_nvme_qpair *qp, struct nvme_req *req, uint16_t status,
			 uint32_t dw0)
{
	nvme_complete(qp, req, status, dw0);
}

static __attribute__((noinline, cold)) void nvme_bad_cpl(struct udrv_nvme_qpair *qp,
							 const char *what, uint16_t cid,
							 uint16_t sqid, uint16_t sqhd)
{
	qp->st.bad_cpls++;
	if (qp->misuse)
		NVME_LOG_ERR(qp->ctrl,
			     "queue %u: a completion with %s (cid 0x%04x sqid %u sqhd %u) ignored: "
			     "most likely a result of the qpair being used from two threads at "
			     "once or polled from its own callback (reported above), which "
			     "corrupts its state -- fix the application; the device is not to blame",
			     qp->qid, what, cid, sqid, sqhd);
	else
		NVME_LOG_ERR(qp->ctrl,
			     "queue %u: device posted a completion with %s (cid 0x%04x sqid %u "
			     "sqhd %u); ignored it -- the device or its firmware is misbehaving: "
			     "reset the controller if requests stall",
			     qp->qid, what, cid, sqid, sqhd);
}

/* Misuse of the qpair's one-thread rule, seen at poll or slow-path submit. */
static __attribute__((noinline, cold)) int nvme_misuse(struct udrv_nvme_qpair *qp,
						       const char *what, bool same_thread)
{
	qp->misuse++;
	if (same_thread) {
		NVME_LOG_ERR(qp->ctrl, "queue %u: %s from inside one of its own completion "
			     "callbacks: callbacks may submit, but must not poll; return from the "
			     "callback and poll again from the loop", qp->qid, what);
		return -EINVAL;
	}
	NVME_LOG_ERR(qp->ctrl, "queue %u: %s while another thread is polling it: a qpair "
		     "belongs to one thread at a time (create one qpair per thread, or "
		     "serialise every call on it)", qp->qid, what);
	return -EBUSY;
}

int udrvi_nvme_check_owner(struct udrv_nvme_qpair *qp, const char *what)
{
	return nvme_misuse(qp, what, false);
}

static __attribute__((noinline, cold)) void nvme_bad_req(struct udrv_nvme_qpair *qp,
							 const struct nvme_req *req, uint16_t cid,
							 uint16_t sqid, uint16_t sqhd)
{
	nvme_bad_cpl(qp,
		     (cid & NVME_CID_IDX_MASK) >= qp->nreq ? "an out-of-range command id" :
		     req->state == NVME_REQ_FREE ? "a command id not in flight (duplicate?)" :
		     req->cid != cid ? "a stale command id generation" :
		     sqhd >= qp->qsize ? "an SQ head outside the queue" : "the wrong SQ id",
		     cid, sqid, sqhd);
}

/* A completion that is not for a whole request in flight: a command of a
 * split, one an Abort was sent for, or a bad one (reported, and false). */
static __attribute__((noinline)) bool nvme_cpl_other(struct udrv_nvme_qpair *qp,
						     struct nvme_req *req, uint64_t w1, uint32_t dw0,
						     uint32_t key)
{
	uint16_t cid = (uint16_t)(w1 >> 32);

	if (req->state != NVME_REQ_FREE && req->cid == cid && key < qp->qsize) {
		qp->sq_head = (uint16_t)w1;
		nvme_complete(qp, req, (uint16_t)(w1 >> 49), dw0);
		return true;
	}
	nvme_bad_req(qp, req, cid, (uint16_t)(w1 >> 16), (uint16_t)w1);
	return false;
}

/* Reap up to max completions (0: no limit). Every field the device wrote is
 * checked before it indexes anything. Callbacks may submit, but must not
 * poll the same qpair (the CQ head is kept in a register meanwhile). */
int udrvi_nvme_process_cq(struct udrv_nvme_qpair *qp, unsigned max)
{
	const volatile struct nvme_cqe *cqe = &qp->cq[qp->cq_head];
	uint32_t phase = qp->cq_phase;
	const uint64_t qmask = qp->qmask;
	const uint32_t sq_key = (uint32_t)qp->qid << 16, qsize = qp->qsize;
	unsigned budget = max ? max : UINT_MAX, left = budget;
	/* One completion record for the whole batch: callbacks get it const. */
	struct udrv_nvme_cpl cpl = { .sqid = qp->qid };
	uint16_t head;

	qp->reaping = true;
	for (;;) {
		uint64_t w1, cid;
		uint32_t dw0, key;
		struct nvme_req *req;

		if ((cqe->status & 1u) != phase)
			break;
		/* The phase tag must be seen before the rest of the entry is read. */
		udrv_dma_rmb();
		w1 = *(const volatile uint64_t *)&cqe->sqhd; /* sqhd, sqid, cid, status */
		dw0 = cqe->dw0;
		if (unlikely(++cqe == qp->cq_end)) {
			cqe = qp->cq;
			phase ^= 1u;
		}
		cid = (w1 >> 32) & 0xffffu;
		/* sqhd | sqid << 16, minus our sqid: equals sqhd when the SQ id is
		 * ours, else 65536 or more; so one compare with the queue size
		 * checks both. */
		key = (uint32_t)w1 - sq_key;
		/* Masked into reqs[] (qsize entries); an index beyond the requests
		 * lands on one whose cid cannot match, and is reported. */
		req = &qp->reqs[cid & qmask];
		if (likely(req->cid_state == NVME_CID_STATE(cid, NVME_REQ_INFLIGHT) && key < qsize)) {
			qp->sq_head = (uint16_t)w1;
			nvme_complete_whole(qp, req, (uint16_t)(w1 >> 49), dw0, &cpl);
		} else if (!nvme_cpl_other(qp, req, w1, dw0, key)) {
			continue;
		}
		if (unlikely(--left == 0))
			break;
	}
	qp->reaping = false;
	head = (uint16_t)(cqe - qp->cq);
	qp->cq_head = head;
	qp->cq_next = cqe;
	qp->cq_phase = (uint16_t)phase;
	/* The CQ head doorbell is deferred: written once a quarter of the queue
	 * was consumed, or after a run of empty polls. The controller only needs
	 * it to find free CQ slots, and it is never starved: either the host
	 * finds completions (and soon passes the quarter) or it polls empty. */
	if (((head - qp->cq_db_last) & qp->qmask) >= (qp->qsize >> 2u))
		nvme_ring_cq(qp);
	return (int)(budget - left);
}

uint64_t udrvi_nvme_iova_miss(struct udrv_nvme_qpair *qp, const void *va)
{
	uintptr_t base = (uintptr_t)va & ~(NVME_XL_SPAN - 1);
	uint64_t iova = udrv_virt_to_iova(va);
	uint64_t b0 = udrv_virt_to_iova((const void *)base);
	uint64_t b1 = udrv_virt_to_iova((const void *)(base + NVME_XL_SPAN - 1));

	/* Cache the aligned 2 MiB around va if it is all DMA memory and linear in
	 * IOVA space (two linear slots with consistent ends are one linear range). */
	if (iova != UDRV_IOVA_INVALID && b0 != UDRV_IOVA_INVALID && b1 != UDRV_IOVA_INVALID &&
	    b1 - b0 == NVME_XL_SPAN - 1 && iova - b0 == (uintptr_t)va - base) {
		qp->xl_va = base;
		qp->xl_iova = b0;
	}
	return iova;
}

void udrv_nvme_qpair_ring_doorbell(struct udrv_nvme_qpair *qp)
{
	if (qp->sq_tail != qp->sq_db_last)
		nvme_ring_sq(qp);
}

/* An inline model (model_hook.h): let it execute everything submitted so far
 * on this thread; true when a completion is now at the head. */
static __attribute__((noinline)) bool nvme_model_run(struct udrv_nvme_qpair *qp)
{
	while (udrvi_model_poll(qp->ctrl->dev))
		;
	return (qp->cq[qp->cq_head].status & 1u) == qp->cq_phase;
}

/* Everything a poll does but peek: the qpair is marked as being polled (a
 * second thread or a callback that polls it meanwhile is reported), the
 * deferred doorbells are written, completions reaped, and the timeout clock
 * read. */
static __attribute__((noinline)) int nvme_poll_full(struct udrv_nvme_qpair *qp, unsigned max)
{
	uintptr_t self = nvme_thread_id();
	uintptr_t other = __atomic_load_n(&qp->in_poll, __ATOMIC_RELAXED);
	int rc;

	if (unlikely(other))
		return nvme_misuse(qp, "udrv_nvme_qpair_poll called", other == self);
	__atomic_store_n(&qp->in_poll, self, __ATOMIC_RELAXED);
	/* An inline model runs in the full poll: no peek passes over it. */
	qp->idle_polls = likely(!qp->model_inline) ? NVME_IDLE_POLLS : 1;
	if (unlikely(nvme_gate_closed(qp))) {
		rc = udrvi_nvme_qpair_slow(qp);
		if (rc < 0)
			goto out;
	}
	if (qp->sq_tail != qp->sq_db_last)
		nvme_ring_sq(qp);
	/* An inline model (instruction counting) executes what was queued now. */
	if ((qp->cq[qp->cq_head].status & 1u) != qp->cq_phase &&
	    (likely(!qp->model_inline) || !nvme_model_run(qp))) {
		/* NVME_IDLE_POLLS empty polls in a row: give the device the
		 * lagging CQ head (see process_cq). */
		rc = 0;
		if (qp->cq_head != qp->cq_db_last)
			nvme_ring_cq(qp);
	} else {
		rc = udrvi_nvme_process_cq(qp, max);
	}
	if (unlikely(udrvi_nvme_ticks() >= qp->next_check))
		udrvi_nvme_check_timeouts(qp);
out:
	/* Another thread that entered meanwhile overwrote the marker. */
	if (unlikely(__atomic_load_n(&qp->in_poll, __ATOMIC_RELAXED) != self))
		nvme_misuse(qp, "udrv_nvme_qpair_poll called", false);
	__atomic_store_n(&qp->in_poll, 0, __ATOMIC_RELAXED);
	return rc;
}

/* Most polls of a busy-polling thread find nothing: they only peek -- not
 * being polled already (else the full poll reports the misuse), no reset or
 * failure, no doorbell pending, no new phase bit at the CQ head -- and count
 * down. Every NVME_IDLE_POLLS-th empty poll takes the full path, which writes
 * a lagging CQ head doorbell and reads the timeout clock. A peek changes
 * nothing but that countdown, so two threads peeking at once (a misuse)
 * cannot corrupt the qpair; the first that finds work marks the qpair and
 * the other is reported. */
int udrv_nvme_qpair_poll(struct udrv_nvme_qpair *qp, unsigned max)
{
	if (likely(!__atomic_load_n(&qp->in_poll, __ATOMIC_RELAXED) && !nvme_gate_closed(qp) &&
		   qp->sq_tail == qp->sq_db_last &&
		   (qp->cq_next->status & 1u) != qp->cq_phase && --qp->idle_polls != 0))
		return 0;
	return nvme_poll_full(qp, max);
}

unsigned udrv_nvme_qpair_outstanding(const struct udrv_nvme_qpair *qp)
{
	return nvme_outstanding(qp);
}

unsigned udrv_nvme_qpair_depth(const struct udrv_nvme_qpair *qp)
{
	return qp->nreq;
}

uint16_t udrv_nvme_qpair_id(const struct udrv_nvme_qpair *qp)
{
	return qp->qid;
}

void udrv_nvme_qpair_stats(const struct udrv_nvme_qpair *qp, struct udrv_nvme_qpair_stats *st)
{
	*st = qp->st;
}
