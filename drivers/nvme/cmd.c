/* SPDX-License-Identifier: MIT */
/*
 * I/O command submission: read, write, compare (contiguous or vectored,
 * split at the transfer limit), flush, write zeroes, deallocate, passthrough.
 * Submission only queues: the doorbell is written by flush or poll.
 */
#include <errno.h>
#include <string.h>

#include "nvme_priv.h"

static inline int nvme_enter(struct udrv_nvme_qpair *qp)
{
	int rc = nvme_owner_ok(qp, "a command was submitted to it");

	if (rc < 0)
		return rc;
	if (unlikely(nvme_gate_closed(qp)))
		return udrvi_nvme_qpair_slow(qp);
	return 0;
}

static inline uint32_t nvme_sq_free(const struct udrv_nvme_qpair *qp)
{
	return (uint32_t)((qp->sq_head - qp->sq_tail - 1u) & qp->qmask);
}

static __attribute__((noinline, cold)) int nvme_ns_error(struct udrv_nvme_qpair *qp, uint32_t nsid,
							 uint64_t lba, uint64_t nlb,
							 uint32_t io_flags)
{
	if (nsid - 1u >= qp->nns || !qp->ns[nsid - 1].lba_shift) {
		udrv_log(UDRV_LOG_ERROR, qp->ctrl->name,
			 "namespace %u is not an active namespace of this controller; "
			 "list them with udrv-nvme identify", nsid);
		return -EINVAL;
	}
	if (io_flags & ~UDRV_NVME_IO_FUA) {
		udrv_log(UDRV_LOG_ERROR, qp->ctrl->name,
			 "io_flags 0x%x has bits udrv does not know: the only valid flag is "
			 "UDRV_NVME_IO_FUA (0x%x)", io_flags, UDRV_NVME_IO_FUA);
		return -EINVAL;
	}
	if (nlb == 0) {
		udrv_log(UDRV_LOG_ERROR, qp->ctrl->name,
			 "a request of 0 blocks: nlb counts logical blocks and must be at least 1");
		return -EINVAL;
	}
	udrv_log(UDRV_LOG_ERROR, qp->ctrl->name,
		 "blocks %llu..%llu lie outside namespace %u, which has %llu blocks (0..%llu)",
		 (unsigned long long)lba, (unsigned long long)(lba + nlb - 1u), nsid,
		 (unsigned long long)qp->ns[nsid - 1].blocks,
		 (unsigned long long)qp->ns[nsid - 1].blocks - 1u);
	return -ERANGE;
}

/* The namespace, if nsid is active, [lba, lba + nlb) lies inside it and
 * io_flags are known. Inactive table entries have blocks = 0, so one range
 * test covers both. */
static inline const struct nvme_ns *nvme_ns_check(struct udrv_nvme_qpair *qp, uint32_t nsid,
						  uint64_t lba, uint64_t nlb, uint32_t io_flags,
						  int *rc)
{
	const struct nvme_ns *ns;

	if (unlikely(nsid - 1u >= qp->nns))
		goto bad;
	ns = &qp->ns[nsid - 1];
	if (unlikely(lba >= ns->blocks || nlb - 1u >= ns->blocks - lba ||
		     (io_flags & ~UDRV_NVME_IO_FUA)))
		goto bad;
	return ns;
bad:
	*rc = nvme_ns_error(qp, nsid, lba, nlb, io_flags);
	return NULL;
}

/* Why the data of a request cannot be mapped, in the caller's terms: which
 * element breaks which rule (base spec 4.3: PRP entries). Cold: only after
 * mapping failed. */
static __attribute__((noinline, cold)) int nvme_bad_iov(struct udrv_nvme_qpair *qp,
							 const struct iovec *iov, int iovcnt)
{
	const char *dev = qp->ctrl->name;
	int i;

	for (i = 0; i < iovcnt; i++) {
		const uint8_t *va = iov[i].iov_base;
		size_t len = iov[i].iov_len;

		if (len == 0) {
			udrv_log(UDRV_LOG_ERROR, dev, "iovec element %d is empty: drop it", i);
			return -EINVAL;
		}
		for (size_t off = 0; off < len; off += NVME_PAGE_SIZE) {
			if (udrv_virt_to_iova(va + off) == UDRV_IOVA_INVALID ||
			    udrv_virt_to_iova(va + len - 1) == UDRV_IOVA_INVALID) {
				udrv_log(UDRV_LOG_ERROR, dev, "data buffer %p (iovec element %d) is not "
					 "udrv DMA memory: allocate it with udrv_dma_alloc or a udrv "
					 "pool", (const void *)va, i);
				return -EINVAL;
			}
		}
	}
	if ((uintptr_t)iov[0].iov_base & 3u) {
		udrv_log(UDRV_LOG_ERROR, dev, "data buffer %p does not start on a 4-byte boundary: "
			 "NVMe needs dword-aligned data (PRP offsets, base spec 4.3.1)%s",
			 iov[0].iov_base, qp->sgl_ok && iovcnt == 1 ?
			 "; a vectored request may use an unaligned start on this controller" : "");
		return -EINVAL;
	}
	for (i = 0; i < iovcnt; i++) {
		uintptr_t start = (uintptr_t)iov[i].iov_base, end = start + iov[i].iov_len;

		if (i > 0 && (start & (NVME_PAGE_SIZE - 1))) {
			udrv_log(UDRV_LOG_ERROR, dev, "iovec element %d starts at %p, inside a 4 KiB "
				 "page: without SGL (this controller%s) every element but the first "
				 "must start on a page boundary (PRP rule, base spec 4.3.1)", i,
				 iov[i].iov_base, qp->sgl_ok ? "'s qpair uses PRPs" : " has none");
			return -EINVAL;
		}
		if (i + 1 < iovcnt && (end & (NVME_PAGE_SIZE - 1))) {
			udrv_log(UDRV_LOG_ERROR, dev, "iovec element %d ends inside a 4 KiB page: "
				 "without SGL (this controller%s) every element but the last must "
				 "end on a page boundary (PRP rule, base spec 4.3.1)", i,
				 qp->sgl_ok ? "'s qpair uses PRPs" : " has none");
			return -EINVAL;
		}
	}
	udrv_log(UDRV_LOG_ERROR, dev, "the request's %d iovec elements need more PRP/SGL entries "
		 "than its list holds (%u bytes): use fewer, larger elements", iovcnt,
		 qp->list_slot);
	return -EINVAL;
}

static __attribute__((noinline, cold)) int nvme_bad_buf(struct udrv_nvme_qpair *qp,
							 const void *buf, size_t len)
{
	struct iovec one = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len ? len : 1 };

	return nvme_bad_iov(qp, &one, 1);
}

/* Data pointer for one contiguous buffer of bytes (<= max_xfer). */
static inline int nvme_map_buf(struct udrv_nvme_qpair *qp, struct nvme_req *req,
			       struct nvme_sqe *sqe, const void *buf, uint32_t bytes)
{
	uint64_t iova = udrv_virt_to_iova(buf);
	uint32_t off = (uint32_t)(iova & (NVME_PAGE_SIZE - 1));
	struct iovec iov;

	/* Contiguous data must be dword aligned, SGL or not (documented rule). */
	if (unlikely(iova == UDRV_IOVA_INVALID || (iova & 3u)))
		return -EINVAL;
	if (!qp->use_sgl) {
		sqe->prp1 = iova;
		if (likely(off + bytes <= NVME_PAGE_SIZE)) {
			sqe->prp2 = 0;
			return 0;
		}
	}
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = bytes;
	if (qp->use_sgl)
		return udrvi_nvme_sgl_build(&iov, 1, sqe, req->list, req->list_iova,
					    qp->list_slot / sizeof(struct nvme_sgl_desc));
	return udrvi_nvme_prp_build(&iov, 1, &sqe->prp1, &sqe->prp2, req->list, req->list_iova,
				    qp->list_slot / 8);
}

static inline void nvme_rw_sqe(struct nvme_sqe *sqe, uint8_t opc, uint32_t nsid, uint64_t lba,
			       uint32_t nlb, uint32_t io_flags, bool sgl)
{
	sqe->opcode = opc;
	sqe->flags = sgl ? (uint8_t)NVME_SET(SQE_PSDT, NVME_PSDT_SGL_MPTR_CONTIG) : 0;
	sqe->nsid = nsid;
	sqe->cdw2 = 0;
	sqe->cdw3 = 0;
	sqe->mptr = 0;
	sqe->cdw10 = (uint32_t)lba;
	sqe->cdw11 = (uint32_t)(lba >> 32);
	sqe->cdw12 = (uint32_t)NVME_SET(RW_NLB, nlb - 1u) |
		     (uint32_t)NVME_SET(RW_FUA, io_flags & UDRV_NVME_IO_FUA ? 1 : 0);
	sqe->cdw13 = 0;
	sqe->cdw14 = 0;
	sqe->cdw15 = 0;
}

#define NVME_SPLIT_MAX UDRV_NVME_MAX_SPLIT /* commands per split request */
#define NVME_SPLIT_IOV_MAX 256 /* iovec elements per command of a split */

/* The next len bytes of an iovec array, from the cursor (*i, *off), as at
 * most max elements in out[] (the first and last may be parts of an
 * element). Returns the count, or -EINVAL if the iovecs end too early or
 * more than max elements are needed. */
static int nvme_iov_slice(const struct iovec *iov, int iovcnt, int *i, size_t *off,
			  uint64_t len, struct iovec *out, int max)
{
	int n = 0;

	while (len) {
		size_t take;

		if (*i >= iovcnt || n >= max)
			return -EINVAL;
		take = iov[*i].iov_len - *off;
		if (take > len)
			take = (size_t)len;
		out[n].iov_base = (uint8_t *)iov[*i].iov_base + *off;
		out[n].iov_len = take;
		n++;
		len -= take;
		*off += take;
		if (*off == iov[*i].iov_len) {
			(*i)++;
			*off = 0;
		}
	}
	return n;
}

/* Data pointer of one command from iovecs: SGL when the controller has it
 * and the qpair prefers it, there are several elements, or the data does
 * not start on a dword (SGL has no alignment rules); else PRP, whose rules
 * the elements must follow (4.3: dword-aligned start, pages in between). */
static int nvme_map_iov(struct udrv_nvme_qpair *qp, struct nvme_req *req, struct nvme_sqe *sqe,
			const struct iovec *iov, int iovcnt)
{
	bool sgl = qp->sgl_ok &&
		   (qp->use_sgl || iovcnt > 1 || ((uintptr_t)iov[0].iov_base & 3u));

	sqe->flags = sgl ? (uint8_t)NVME_SET(SQE_PSDT, NVME_PSDT_SGL_MPTR_CONTIG) : 0;
	if (sgl)
		return udrvi_nvme_sgl_build(iov, iovcnt, sqe, req->list, req->list_iova,
					    qp->list_slot / sizeof(struct nvme_sgl_desc));
	return udrvi_nvme_prp_build(iov, iovcnt, &sqe->prp1, &sqe->prp2, req->list,
				    req->list_iova, qp->list_slot / 8);
}

/* A read/write/compare larger than the transfer limit, contiguous or
 * vectored, as several commands of at most max_xfer bytes (whole blocks)
 * that complete as one request: one callback, the first error status. A
 * cut may fall inside an iovec element; each piece keeps the PRP rules if
 * the whole did (the cut lies at the same page offset as the start). All
 * or nothing: -EAGAIN if the queue cannot take every piece now. */
static intptr_t nvme_split(struct udrv_nvme_qpair *qp, uint8_t opc, const struct nvme_ns *ns,
			   const struct iovec *iov, int iovcnt, uint64_t lba, uint32_t nlb,
			   uint32_t io_flags)
{
	uint32_t chunk = qp->max_xfer >> ns->lba_shift;
	uint32_t k, i, got = 0;
	struct nvme_req *reqs[NVME_SPLIT_MAX] = { 0 };
	struct nvme_sqe sqes[NVME_SPLIT_MAX];
	struct iovec sub[NVME_SPLIT_IOV_MAX];
	size_t off = 0;
	uint64_t now;
	int rc = 0, cur = 0, n;

	if (chunk > 65536)
		chunk = 65536;
	if (chunk == 0)
		return -EINVAL;
	k = (nlb + chunk - 1) / chunk;
	if (k > NVME_SPLIT_MAX) {
		udrv_log(UDRV_LOG_ERROR, qp->ctrl->name,
			 "request of %u blocks needs %u commands of at most %u bytes (the transfer "
			 "limit); the driver splits a request into at most %u: submit at most %llu bytes",
			 nlb, k, qp->max_xfer, NVME_SPLIT_MAX,
			 (unsigned long long)NVME_SPLIT_MAX * ((uint64_t)chunk << ns->lba_shift));
		return -EINVAL;
	}
	if (k > qp->nreq) {
		udrv_log(UDRV_LOG_ERROR, qp->ctrl->name,
			 "request of %u blocks needs %u commands of at most %u bytes (the transfer "
			 "limit) but the queue pair holds %u: create it with queue_size above %u or "
			 "submit at most %llu bytes", nlb, k, qp->max_xfer, qp->nreq, k,
			 (unsigned long long)qp->nreq * ((uint64_t)chunk << ns->lba_shift));
		return -EINVAL;
	}
	if (k > nvme_sq_free(qp))
		return -EAGAIN;
	for (got = 0; got < k; got++) {
		reqs[got] = udrvi_nvme_req_get(qp);
		if (!reqs[got]) {
			rc = -EAGAIN;
			goto put_reqs;
		}
	}
	for (i = 0; i < k; i++) {
		uint32_t nb = nlb - i * chunk < chunk ? nlb - i * chunk : chunk;
		const void *first = cur < iovcnt ? (const uint8_t *)iov[cur].iov_base + off : NULL;

		nvme_rw_sqe(&sqes[i], opc, ns->nsid, lba + (uint64_t)i * chunk, nb, io_flags, false);
		n = nvme_iov_slice(iov, iovcnt, &cur, &off, (uint64_t)nb << ns->lba_shift, sub,
				   NVME_SPLIT_IOV_MAX);
		rc = n < 0 ? n : nvme_map_iov(qp, reqs[i], &sqes[i], sub, n);
		if (rc < 0) {
			rc = n < 0 ? nvme_bad_buf(qp, first, 0) : nvme_bad_iov(qp, sub, n);
			goto put_reqs;
		}
	}
	reqs[0]->pending = (uint16_t)k;
	now = udrvi_nvme_ticks();
	for (i = 0; i < k; i++) {
		reqs[i]->parent = reqs[0];
		nvme_commit(qp, reqs[i], &sqes[i], now);
	}
	return (intptr_t)reqs[0];

put_reqs:
	while (got-- > 0)
		udrvi_nvme_req_put(qp, reqs[got]);
	return rc;
}

static inline uintptr_t nvme_rotr2(uintptr_t x)
{
	return x >> 2 | x << (sizeof(x) * 8 - 2);
}

static intptr_t nvme_rw_slow(struct udrv_nvme_qpair *qp, uint8_t opc, uint32_t nsid,
			     const void *buf, uint64_t lba, uint32_t nlb, uint32_t io_flags);

/* The hot path: checks, one request, the SQE written in place at the tail
 * (the device cannot see it before the doorbell), no doorbell. Returns the
 * request, for the caller to set its callback, or NULL when the general path
 * must take the command (nothing was changed then). */
static inline __attribute__((always_inline)) struct nvme_req *
nvme_rw_fast(struct udrv_nvme_qpair *qp, uint8_t opc, uint32_t nsid, const void *buf,
	     uint64_t lba, uint32_t nlb, uint32_t io_flags)
{
	const struct nvme_ns *ns;
	struct nvme_req *req;
	uint64_t iova, bytes, end, *q;
	uintptr_t xoff;
	uint32_t cs;
	uint16_t tail;

	if (unlikely(nvme_gate_closed(qp) || nsid - 1u >= qp->nns))
		return NULL;
	ns = &qp->ns[nsid - 1];
	end = lba + nlb;
	bytes = (uint64_t)nlb << ns->lba_shift;
	xoff = (uintptr_t)buf - qp->xl_va; /* translation cache; a miss goes slow */
	req = qp->free_list;
	/* Anything unusual -- range (end <= lba: nlb 0 or wrap), size beyond one
	 * page, SGL (fast_max 0), no free request, not DMA memory or not dword
	 * aligned, unknown io_flags -- takes the general path, which sorts it
	 * out. xoff rotated right by 2 is below SPAN / 4 only if xoff < SPAN
	 * and its low 2 bits (those of buf: xl_va is 2 MiB aligned) are 0; the
	 * page offset of buf is that of its IOVA (xl_iova is page aligned).
	 *
	 * No SQ-full test: a free request implies a free SQ slot. Every slot
	 * between the SQ head (from the last CQE reaped) and the tail holds a
	 * command not yet reaped -- a reaped command's slot lies behind the SQ
	 * head of its CQE, and SQ heads only advance -- so at most nreq - 1 of
	 * the qsize - 1 usable slots are taken while a request is free. A device
	 * posting wrong SQ heads can only lose its own commands that way; they
	 * time out and are aborted like any lost command. */
	if (unlikely(end > ns->blocks || end <= lba || nvme_rotr2(xoff) >= NVME_XL_SPAN / 4 ||
		     io_flags > UDRV_NVME_IO_FUA ||
		     (xoff & (NVME_PAGE_SIZE - 1)) + bytes > qp->fast_max || !req))
		return NULL;
	iova = qp->xl_iova + xoff;
	qp->free_list = req->next_free;
	/* A free request holds its last cid, state FREE (0): the next
	 * generation (the 32-bit add wraps it as 16 bits would), in flight,
	 * stamp 0 (for the timeout scan), in one store. cs is also the SQE's
	 * first dword without the opcode. */
	cs = req->cid_state + (1u << (16 + NVME_CID_IDX_BITS));
	req->cid_state_stamp = cs | NVME_REQ_INFLIGHT;
	/* The SQE as eight quadwords: opcode/flags/cid/nsid, cdw2-3, mptr,
	 * prp1, prp2, slba, cdw12-13, cdw14-15. */
	tail = qp->sq_tail;
	q = (uint64_t *)&qp->sq[tail];
	q[0] = (cs | opc) | (uint64_t)nsid << 32;
	q[3] = iova;
	q[5] = lba;
	q[6] = (uint32_t)((nlb - 1u) | io_flags << NVME_RW_FUA_SHIFT); /* 0 or FUA */
	if (unlikely(qp->sq_dirty)) {
		qp->sq_dirty--;
		q[1] = 0;
		q[2] = 0;
		q[4] = 0;
		q[7] = 0;
	}
	qp->sq_tail = (tail + 1u) & qp->qmask;
	qp->st.submitted++;
	return req;
}

/* The fast path, or the general one; either gives the request (the parent
 * of a split) whose callback to set. */
#define NVME_RW(name, opc, ...)                                                             \
	static __attribute__((noinline, cold)) intptr_t name##_slow(                        \
		struct udrv_nvme_qpair *qp, uint32_t nsid, const void *buf, uint64_t lba,   \
		uint32_t nlb, uint32_t io_flags)                                            \
	{                                                                                   \
		return nvme_rw_slow(qp, opc, nsid, buf, lba, nlb, io_flags);                \
	}                                                                                   \
	int name(struct udrv_nvme_qpair *qp, uint32_t nsid, __VA_ARGS__ buf, uint64_t lba,  \
		 uint32_t nlb, uint32_t io_flags, udrv_nvme_cb cb, void *arg)               \
	{                                                                                   \
		struct nvme_req *req;                                                       \
                                                                                            \
		if (opc == NVME_CMD_COMPARE && !(qp->ctrl->info.oncs & NVME_ONCS_COMPARE))  \
			return -EOPNOTSUPP;                                                 \
		req = nvme_rw_fast(qp, opc, nsid, buf, lba, nlb, io_flags);                 \
		if (unlikely(!req)) {                                                       \
			intptr_t r = name##_slow(qp, nsid, buf, lba, nlb, io_flags);        \
                                                                                            \
			if (r < 0)                                                          \
				return (int)r;                                              \
			req = (struct nvme_req *)r;                                         \
		}                                                                           \
		req->cb = cb;                                                               \
		req->arg = arg;                                                             \
		return 0;                                                                   \
	}

/* Everything nvme_rw's fast path does not handle: recovery, errors,
 * splitting, SGL, PRP2 and PRP lists, a full queue. Returns the request
 * (the parent of a split), queued, for the caller to set its callback (the
 * device cannot complete it before the next doorbell), or -errno. */
static intptr_t nvme_rw_slow(struct udrv_nvme_qpair *qp, uint8_t opc, uint32_t nsid,
			     const void *buf, uint64_t lba, uint32_t nlb, uint32_t io_flags)
{
	const struct nvme_ns *ns;
	struct nvme_req *req;
	struct nvme_sqe sqe;
	uint64_t bytes;
	int rc;

	rc = nvme_enter(qp);
	if (rc < 0)
		return rc;
	ns = nvme_ns_check(qp, nsid, lba, nlb, io_flags, &rc);
	if (!ns)
		return rc;
	bytes = (uint64_t)nlb << ns->lba_shift;
	nvme_iova(qp, buf); /* prime the translation cache for the fast path */
	if ((uintptr_t)buf & 3u)
		return nvme_bad_buf(qp, buf, bytes);
	if (bytes > qp->max_xfer) {
		struct iovec one = { .iov_base = (void *)(uintptr_t)buf, .iov_len = bytes };

		return nvme_split(qp, opc, ns, &one, 1, lba, nlb, io_flags);
	}
	if (nvme_sq_free(qp) == 0)
		return -EAGAIN;
	req = udrvi_nvme_req_get(qp);
	if (!req)
		return -EAGAIN;
	nvme_rw_sqe(&sqe, opc, nsid, lba, nlb, io_flags, qp->use_sgl);
	rc = nvme_map_buf(qp, req, &sqe, buf, (uint32_t)bytes);
	if (rc < 0) {
		udrvi_nvme_req_put(qp, req);
		return nvme_bad_buf(qp, buf, bytes);
	}
	nvme_commit(qp, req, &sqe, udrvi_nvme_ticks());
	return (intptr_t)req;
}

NVME_RW(udrv_nvme_read, NVME_CMD_READ, void *)
NVME_RW(udrv_nvme_write, NVME_CMD_WRITE, const void *)
NVME_RW(udrv_nvme_compare, NVME_CMD_COMPARE, const void *)

static int nvme_rwv(struct udrv_nvme_qpair *qp, uint8_t opc, uint32_t nsid, const struct iovec *iov,
		    int iovcnt, uint64_t lba, uint32_t nlb, uint32_t io_flags, udrv_nvme_cb cb,
		    void *arg)
{
	const struct nvme_ns *ns;
	struct nvme_req *req;
	struct nvme_sqe sqe;
	uint64_t bytes, total = 0;
	int rc, i;

	rc = nvme_enter(qp);
	if (rc < 0)
		return rc;
	ns = nvme_ns_check(qp, nsid, lba, nlb, io_flags, &rc);
	if (!ns)
		return rc;
	if (iovcnt <= 0 || !iov) {
		udrv_log(UDRV_LOG_ERROR, qp->ctrl->name, "vectored request with %s: pass at least "
			 "one iovec element", iov ? "iovcnt <= 0" : "iov NULL");
		return -EINVAL;
	}
	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	bytes = (uint64_t)nlb << ns->lba_shift;
	if (total != bytes) {
		udrv_log(UDRV_LOG_ERROR, qp->ctrl->name,
			 "vectored request: the iovecs hold %llu bytes, %u blocks are %llu bytes: "
			 "make them agree", (unsigned long long)total, nlb, (unsigned long long)bytes);
		return -EINVAL;
	}
	if (bytes > qp->max_xfer) {
		intptr_t r = nvme_split(qp, opc, ns, iov, iovcnt, lba, nlb, io_flags);

		if (r < 0)
			return (int)r;
		req = (struct nvme_req *)r;
		req->cb = cb;
		req->arg = arg;
		return 0;
	}
	if (nvme_sq_free(qp) == 0)
		return -EAGAIN;
	req = udrvi_nvme_req_get(qp);
	if (!req)
		return -EAGAIN;
	nvme_rw_sqe(&sqe, opc, nsid, lba, nlb, io_flags, false);
	rc = nvme_map_iov(qp, req, &sqe, iov, iovcnt);
	if (rc < 0) {
		udrvi_nvme_req_put(qp, req);
		return nvme_bad_iov(qp, iov, iovcnt);
	}
	req->cb = cb;
	req->arg = arg;
	nvme_commit(qp, req, &sqe, udrvi_nvme_ticks());
	return 0;
}

int udrv_nvme_readv(struct udrv_nvme_qpair *qp, uint32_t nsid, const struct iovec *iov, int iovcnt,
		    uint64_t lba, uint32_t nlb, uint32_t io_flags, udrv_nvme_cb cb, void *arg)
{
	return nvme_rwv(qp, NVME_CMD_READ, nsid, iov, iovcnt, lba, nlb, io_flags, cb, arg);
}

int udrv_nvme_writev(struct udrv_nvme_qpair *qp, uint32_t nsid, const struct iovec *iov,
		     int iovcnt, uint64_t lba, uint32_t nlb, uint32_t io_flags, udrv_nvme_cb cb,
		     void *arg)
{
	return nvme_rwv(qp, NVME_CMD_WRITE, nsid, iov, iovcnt, lba, nlb, io_flags, cb, arg);
}

/* A command without data (or with data in the request's own list). */
static int nvme_submit_nodata(struct udrv_nvme_qpair *qp, struct nvme_sqe *sqe,
			      struct nvme_req *req, udrv_nvme_cb cb, void *arg)
{
	req->cb = cb;
	req->arg = arg;
	nvme_commit(qp, req, sqe, udrvi_nvme_ticks());
	return 0;
}

static int nvme_get_slot(struct udrv_nvme_qpair *qp, struct nvme_req **req)
{
	int rc = nvme_enter(qp);

	if (rc < 0)
		return rc;
	if (nvme_sq_free(qp) == 0)
		return -EAGAIN;
	*req = udrvi_nvme_req_get(qp);
	return *req ? 0 : -EAGAIN;
}

int udrv_nvme_flush(struct udrv_nvme_qpair *qp, uint32_t nsid, udrv_nvme_cb cb, void *arg)
{
	struct nvme_sqe sqe;
	struct nvme_req *req;
	int rc = nvme_get_slot(qp, &req);

	if (rc < 0)
		return rc;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = NVME_CMD_FLUSH;
	sqe.nsid = nsid;
	return nvme_submit_nodata(qp, &sqe, req, cb, arg);
}

int udrv_nvme_write_zeroes(struct udrv_nvme_qpair *qp, uint32_t nsid, uint64_t lba, uint32_t nlb,
			   uint32_t io_flags, udrv_nvme_cb cb, void *arg)
{
	struct nvme_sqe sqe;
	struct nvme_req *req;
	int rc;

	if (!(qp->ctrl->info.oncs & NVME_ONCS_WRITE_ZEROES))
		return -EOPNOTSUPP;
	if (nlb > 65536) {
		udrv_log(UDRV_LOG_ERROR, qp->ctrl->name, "Write Zeroes of %u blocks: one command "
			 "covers at most 65536 (NLB is 16 bits); split the range", nlb);
		return -EINVAL;
	}
	if (!nvme_ns_check(qp, nsid, lba, nlb, io_flags, &rc))
		return rc;
	rc = nvme_get_slot(qp, &req);
	if (rc < 0)
		return rc;
	nvme_rw_sqe(&sqe, NVME_CMD_WRITE_ZEROES, nsid, lba, nlb, io_flags, false);
	sqe.prp1 = 0;
	sqe.prp2 = 0;
	return nvme_submit_nodata(qp, &sqe, req, cb, arg);
}

unsigned udrv_nvme_qpair_max_dsm_ranges(const struct udrv_nvme_qpair *qp)
{
	unsigned n = qp->list_slot / sizeof(struct nvme_dsm_range);

	return n > 256 ? 256 : n;
}

int udrv_nvme_deallocate(struct udrv_nvme_qpair *qp, uint32_t nsid,
			 const struct udrv_nvme_range *ranges, unsigned n, udrv_nvme_cb cb, void *arg)
{
	struct nvme_dsm_range *r;
	struct nvme_sqe sqe;
	struct nvme_req *req;
	unsigned i;
	int rc;

	if (!(qp->ctrl->info.oncs & NVME_ONCS_DSM))
		return -EOPNOTSUPP;
	if (n == 0 || n > udrv_nvme_qpair_max_dsm_ranges(qp) || !ranges) {
		udrv_log(UDRV_LOG_ERROR, qp->ctrl->name, "deallocate of %u ranges: pass 1 to %u "
			 "(udrv_nvme_qpair_max_dsm_ranges)", n, udrv_nvme_qpair_max_dsm_ranges(qp));
		return -EINVAL;
	}
	for (i = 0; i < n; i++)
		if (!nvme_ns_check(qp, nsid, ranges[i].lba, ranges[i].nlb, 0, &rc))
			return rc;
	rc = nvme_get_slot(qp, &req);
	if (rc < 0)
		return rc;
	r = req->list;
	for (i = 0; i < n; i++) {
		r[i].cattr = 0;
		r[i].nlb = ranges[i].nlb;
		r[i].slba = ranges[i].lba;
	}
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = NVME_CMD_DSM;
	sqe.nsid = nsid;
	/* The range list is one slot inside a page: one PRP entry covers it. */
	sqe.prp1 = req->list_iova;
	sqe.cdw10 = (n - 1u) & NVME_DSM_NR_MASK;
	sqe.cdw11 = NVME_DSM_AD;
	return nvme_submit_nodata(qp, &sqe, req, cb, arg);
}

int udrv_nvme_io_raw(struct udrv_nvme_qpair *qp, const struct udrv_nvme_cmd *cmd, void *buf,
		     size_t len, udrv_nvme_cb cb, void *arg)
{
	struct nvme_sqe sqe;
	struct nvme_req *req;
	int rc;

	if (len > qp->max_xfer || (len && !buf) || !cmd) {
		udrv_log(UDRV_LOG_ERROR, qp->ctrl->name, "I/O passthrough: %s",
			 !cmd ? "cmd is NULL" : len && !buf ? "len without a buffer" :
			 "len is above the transfer limit (udrv_nvme_ctrl_info.max_xfer_bytes)");
		return -EINVAL;
	}
	rc = nvme_get_slot(qp, &req);
	if (rc < 0)
		return rc;
	udrvi_nvme_sqe_from_cmd(&sqe, cmd);
	if (len) {
		struct iovec iov = { .iov_base = buf, .iov_len = len };

		rc = udrvi_nvme_prp_build(&iov, 1, &sqe.prp1, &sqe.prp2, req->list, req->list_iova,
					  qp->list_slot / 8);
		if (rc < 0) {
			udrvi_nvme_req_put(qp, req);
			return nvme_bad_buf(qp, buf, len);
		}
	}
	return nvme_submit_nodata(qp, &sqe, req, cb, arg);
}
