/* SPDX-License-Identifier: MIT */
/*
 * One ublk queue served by one thread (Documentation/block/ublk.rst, "Data
 * plane"): every tag has one uring_cmd outstanding with the kernel, FETCH_REQ
 * first, then COMMIT_AND_FETCH_REQ carrying the previous request's result.
 * A CQE with UBLK_IO_RES_OK hands us the request described in the mmap'ed
 * descriptor of its tag; UBLK_IO_RES_ABORT hands the tag back for good (the
 * device is stopping).
 *
 * The thread sleeps in io_uring_enter whenever no NVMe command is
 * outstanding; while some are it polls the NVMe completion queue and the
 * io_uring CQ in turn, entering the kernel only to submit commits or when
 * the kernel has task work for us (IORING_SQ_TASKRUN: a new request).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <udrv/mem.h>

#include "blk_priv.h"

static unsigned io_op(const struct udrv_blk_dev *bd, unsigned nr)
{
	return bd->ctl.encode ? UDRVI_UBLK_IO_OP(nr) : nr;
}

static struct io_uring_sqe *q_sqe(struct blk_queue *q)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);

	if (!sqe) {
		/* The SQ holds a command per tag; full only if commits queued
		 * faster than submitted: submit and take the freed slot. */
		io_uring_submit(&q->ring);
		sqe = io_uring_get_sqe(&q->ring);
	}
	return sqe;
}

static void q_prep(struct blk_queue *q, struct io_uring_sqe *sqe, unsigned nr, unsigned tag,
		   int result)
{
	struct ublksrv_io_cmd *cmd = (struct ublksrv_io_cmd *)sqe->cmd;

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = 0; /* the registered /dev/ublkcN */
	sqe->flags = IOSQE_FIXED_FILE;
	sqe->cmd_op = io_op(q->bd, nr);
	sqe->user_data = tag;
	cmd->q_id = (uint16_t)q->id;
	cmd->tag = (uint16_t)tag;
	cmd->result = result;
	cmd->addr = (uintptr_t)q->tags[tag].buf;
}

static void q_commit(struct blk_queue *q, struct blk_tag *t, int res)
{
	struct io_uring_sqe *sqe = q_sqe(q);

	if (res < 0)
		blk_stat_add(&q->st.errors, 1);
	blk_stat_add(&q->st.in_flight, (uint64_t)-1);
	t->state = TAG_FETCHING;
	if (!sqe) { /* cannot happen with an SQ of depth entries; never lose it silently */
		BLK_ERR(q->bd, "queue %u: no SQE for the commit of tag %u", q->id, t->tag);
		return;
	}
	q_prep(q, sqe, UBLK_IO_COMMIT_AND_FETCH_REQ, t->tag, res);
}

static void q_count(struct blk_queue *q, const struct blk_cmd *c)
{
	switch (c->ublk_op) {
	case UBLK_IO_OP_READ:
		blk_stat_add(&q->st.reads, 1);
		blk_stat_add(&q->st.read_bytes, c->bytes);
		break;
	case UBLK_IO_OP_WRITE:
		blk_stat_add(&q->st.writes, 1);
		blk_stat_add(&q->st.write_bytes, c->bytes);
		break;
	case UBLK_IO_OP_FLUSH: blk_stat_add(&q->st.flushes, 1); break;
	case UBLK_IO_OP_DISCARD: blk_stat_add(&q->st.discards, 1); break;
	case UBLK_IO_OP_WRITE_ZEROES: blk_stat_add(&q->st.write_zeroes, 1); break;
	default: break;
	}
}

static void q_nvme_done(void *arg, const struct udrv_nvme_cpl *cpl)
{
	struct blk_tag *t = arg;
	int res = udrvi_blk_result(&t->cmd, cpl->status);

	if (res < 0 && cpl->status != UDRV_NVME_STATUS_ABORTED) {
		char s[64];

		BLK_ERR(t->q->bd, "queue %u tag %u: NVMe %s of LBA %llu+%u failed: %s", t->q->id,
			t->tag, t->cmd.op == BLK_OP_READ ? "read" : "command",
			(unsigned long long)t->cmd.lba, t->cmd.nlb,
			udrv_nvme_status_str(cpl->status, s, sizeof(s)));
	}
	q_commit(t->q, t, res);
}

/* Queue the NVMe command of a translated request; -EAGAIN: keep it for later. */
static int q_submit(struct blk_queue *q, struct blk_tag *t)
{
	int rc;

	if (q->dev_gone)
		return -EIO;
	rc = udrvi_blk_submit(q->qp, &q->bd->g, &t->cmd, t->buf, q_nvme_done, t);
	if (rc == 0)
		blk_stat_add(&q->st.nvme_cmds, 1);
	else if (rc == -ENODEV)
		q->dev_gone = true;
	return rc;
}

static void q_start(struct blk_queue *q, struct blk_tag *t)
{
	const volatile struct ublksrv_io_desc *d = &q->descs[t->tag];
	uint32_t op_flags = d->op_flags, nr = d->nr_sectors;
	uint64_t start = d->start_sector;
	int rc;

	blk_stat_add(&q->st.in_flight, 1);
	t->state = TAG_SERVING;
	rc = udrvi_blk_xlate(&q->bd->g, op_flags, nr, start, &t->cmd);
	q_count(q, &t->cmd);
	if (rc < 0) {
		if (rc != -EOPNOTSUPP)
			BLK_ERR(q->bd, "queue %u tag %u: refused request op %u sectors %llu+%u "
				"(device has %llu sectors): %s", q->id, t->tag, op_flags & 0xff,
				(unsigned long long)start, nr,
				(unsigned long long)q->bd->g.dev_sectors, strerror(-rc));
		q_commit(q, t, rc);
		return;
	}
	if (t->cmd.op == BLK_OP_NOP) {
		q_commit(q, t, 0);
		return;
	}
	rc = q_submit(q, t);
	if (rc == -EAGAIN)
		q->retry[q->nretry++] = t->tag;
	else if (rc < 0)
		q_commit(q, t, -EIO);
}

static void q_retry(struct blk_queue *q)
{
	unsigned i, n = q->nretry;
	int rc;

	q->nretry = 0;
	for (i = 0; i < n; i++) {
		struct blk_tag *t = &q->tags[q->retry[i]];

		rc = (q->nretry == 0) ? q_submit(q, t) : -EAGAIN;
		if (rc == -EAGAIN)
			q->retry[q->nretry++] = t->tag;
		else if (rc < 0)
			q_commit(q, t, -EIO);
	}
}

static void q_cqe(struct blk_queue *q, const struct io_uring_cqe *cqe)
{
	uint64_t tag = cqe->user_data;
	struct blk_tag *t;

	if (tag >= q->bd->info.queue_depth) {
		BLK_ERR(q->bd, "queue %u: completion for tag %llu beyond the depth %u: ignored",
			q->id, (unsigned long long)tag, q->bd->info.queue_depth);
		return;
	}
	t = &q->tags[tag];
	if (t->state != TAG_FETCHING) {
		BLK_ERR(q->bd, "queue %u: completion for tag %u that is not fetching: ignored",
			q->id, t->tag);
		return;
	}
	if (cqe->res == UBLK_IO_RES_OK) {
		q_start(q, t);
		return;
	}
	if (cqe->res != UBLK_IO_RES_ABORT)
		BLK_ERR(q->bd, "queue %u tag %u: the kernel refused the command: %s", q->id,
			t->tag, strerror(-cqe->res));
	t->state = TAG_ABORTED;
	q->aborted++;
}

/* The last queue to finish flushes the volatile write cache, once every
 * write of every queue has completed (NVMe base spec, Flush command: it
 * covers the commands completed before it was submitted). */
static void flush_done(void *arg, const struct udrv_nvme_cpl *cpl)
{
	*(uint16_t *)arg = cpl->status;
}

static void q_flush_cache(struct blk_queue *q)
{
	struct udrv_blk_dev *bd = q->bd;
	uint16_t status = 0xffff;
	int rc;

	if (!bd->g.vwc || q->dev_gone || udrv_nvme_ctrl_failed(bd->ctrl))
		return;
	rc = udrv_nvme_flush(q->qp, bd->g.nsid, flush_done, &status);
	if (rc < 0) {
		BLK_ERR(bd, "flushing the write cache failed: %s", strerror(-rc));
		return;
	}
	/* The qpair's own timeout (and abort/reset) bounds this wait. */
	while (status == 0xffff && udrv_nvme_qpair_poll(q->qp, 0) >= 0)
		;
	if (status != 0) {
		char s[64];

		BLK_ERR(bd, "flushing the write cache failed: %s",
			status == 0xffff ? "device gone" : udrv_nvme_status_str(status, s, sizeof(s)));
	} else {
		BLK_INFO(bd, "volatile write cache flushed");
	}
}

/* opts.nap_us: polling that makes no progress for nap_us gives the CPU
 * back for up to nap_us at a time (in io_uring_enter, so a new request still
 * wakes the thread at once). Where the device is emulated by the host's own
 * CPUs (the QEMU rig), a thread spinning on its completion queue takes the
 * CPU the emulation needs to produce the completion. */
static bool q_should_nap(struct blk_queue *q, unsigned progress)
{
	struct timespec ts;
	uint64_t t;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (progress || !q->busy_since_ns) {
		q->busy_since_ns = t;
		return false;
	}
	return t - q->busy_since_ns >= (uint64_t)q->bd->nap_us * 1000u;
}

static void q_nap(struct blk_queue *q)
{
	struct __kernel_timespec ts = { .tv_nsec = (long long)q->bd->nap_us * 1000 };
	struct io_uring_cqe *cqe;

	blk_stat_add(&q->st.sleeps, 1);
	/* -ETIME when nothing came: poll again either way. */
	(void)io_uring_submit_and_wait_timeout(&q->ring, &cqe, 1, &ts, NULL);
}

static void q_loop(struct blk_queue *q)
{
	unsigned depth = q->bd->info.queue_depth;
	struct io_uring_cqe *cqe;
	unsigned head, n;
	int rc;

	for (;;) {
		n = 0;
		io_uring_for_each_cqe(&q->ring, head, cqe) {
			q_cqe(q, cqe);
			n++;
		}
		io_uring_cq_advance(&q->ring, n);
		if (udrv_nvme_qpair_outstanding(q->qp)) {
			rc = udrv_nvme_qpair_poll(q->qp, 0);
			if (rc == -ENODEV)
				q->dev_gone = true;
			else if (rc > 0)
				n += (unsigned)rc;
		}
		if (q->nretry)
			q_retry(q);
		if (udrv_nvme_qpair_outstanding(q->qp) || q->nretry) {
			/* Busy: submit commits (the doorbells were rung by the
			 * poll), pick up new requests waiting as task work. */
			if (io_uring_sq_ready(&q->ring) ||
			    (IO_URING_READ_ONCE(*q->ring.sq.kflags) & IORING_SQ_TASKRUN))
				io_uring_submit_and_get_events(&q->ring);
			if (q->bd->nap_us && q_should_nap(q, n))
				q_nap(q);
			continue;
		}
		q->busy_since_ns = 0;
		udrv_nvme_qpair_ring_doorbell(q->qp);
		if (q->aborted == depth)
			break;
		/* Idle: nothing on the device. Sleep until the kernel hands
		 * us a request (or gives a tag back). */
		blk_stat_add(&q->st.sleeps, 1);
		rc = io_uring_submit_and_wait(&q->ring, 1);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
			BLK_ERR(q->bd, "queue %u: io_uring_enter: %s", q->id, strerror(-rc));
			break;
		}
	}
}

static void q_fini(struct blk_queue *q)
{
	if (q->ring_ok)
		io_uring_queue_exit(&q->ring);
	q->ring_ok = false;
	if (q->descs)
		munmap((void *)q->descs, q->descs_len);
	q->descs = NULL;
	if (q->qp)
		udrv_nvme_qpair_destroy(q->qp);
	q->qp = NULL;
	udrv_dma_free(q->bufs);
	q->bufs = NULL;
	free(q->tags);
	free(q->retry);
	q->tags = NULL;
	q->retry = NULL;
}

static int q_setup(struct blk_queue *q)
{
	struct udrv_blk_dev *bd = q->bd;
	unsigned depth = bd->info.queue_depth, i;
	struct udrv_nvme_qpair_opts qo = { .size = sizeof(qo) };
	struct io_uring_params up;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *m;
	int rc;

	q->tags = calloc(depth, sizeof(*q->tags));
	q->retry = calloc(depth, sizeof(*q->retry));
	if (!q->tags || !q->retry)
		return -ENOMEM;
	/* A slot per request, plus the one a ring cannot use (the driver
	 * rounds up to a power of two and down to the controller's limit). */
	qo.queue_size = depth + 1;
	rc = udrv_nvme_qpair_create(bd->ctrl, &qo, &q->qp);
	if (rc < 0) {
		BLK_ERR(bd, "queue %u: cannot create an NVMe queue pair: %s", q->id, strerror(-rc));
		return rc;
	}
	rc = udrv_dma_alloc((size_t)depth * bd->g.max_io_bytes, 4096, &q->bufs, NULL);
	if (rc < 0) {
		BLK_ERR(bd, "queue %u: cannot allocate %u x %u bytes of DMA memory for I/O buffers: "
			"%s (fewer --queues, a smaller --depth, or more hugepages)", q->id, depth,
			bd->g.max_io_bytes, strerror(-rc));
		return rc;
	}
	for (i = 0; i < depth; i++) {
		q->tags[i].q = q;
		q->tags[i].tag = (uint16_t)i;
		q->tags[i].buf = (char *)q->bufs + (size_t)i * bd->g.max_io_bytes;
	}
	q->descs_len = (depth * sizeof(struct ublksrv_io_desc) + page - 1) / page * page;
	m = mmap(NULL, q->descs_len, PROT_READ, MAP_SHARED | MAP_POPULATE, bd->cfd,
		 (off_t)(UBLKSRV_CMD_BUF_OFFSET + q->id * UDRVI_UBLK_DESC_STRIDE(page)));
	if (m == MAP_FAILED) {
		rc = -errno;
		BLK_ERR(bd, "queue %u: cannot map the request descriptors: %s", q->id,
			strerror(-rc));
		return rc;
	}
	q->descs = m;
	/* Task work (a new request) runs when we enter the kernel anyway;
	 * IORING_SQ_TASKRUN tells the polling loop when to (Linux 5.19+). */
	memset(&up, 0, sizeof(up));
	up.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SINGLE_ISSUER;
	up.flags |= IORING_SETUP_CQSIZE;
	up.cq_entries = 2 * depth;
	rc = io_uring_queue_init_params(depth, &q->ring, &up);
	if (rc == -EINVAL) {
		memset(&up, 0, sizeof(up));
		rc = io_uring_queue_init_params(depth, &q->ring, &up);
	}
	if (rc < 0) {
		BLK_ERR(bd, "queue %u: io_uring_queue_init: %s", q->id, strerror(-rc));
		return rc;
	}
	q->ring_ok = true;
	rc = io_uring_register_files(&q->ring, &bd->cfd, 1);
	if (rc < 0) {
		BLK_ERR(bd, "queue %u: io_uring_register_files: %s", q->id, strerror(-rc));
		return rc;
	}
	for (i = 0; i < depth; i++) {
		struct io_uring_sqe *sqe = q_sqe(q);

		if (!sqe)
			return -EBUSY;
		q_prep(q, sqe, UBLK_IO_FETCH_REQ, i, 0);
	}
	rc = io_uring_submit(&q->ring);
	if (rc < 0) {
		BLK_ERR(bd, "queue %u: submitting FETCH_REQ: %s", q->id, strerror(-rc));
		return rc;
	}
	/* A FETCH_REQ the kernel refuses completes at once. */
	{
		struct io_uring_cqe *cqe = NULL;

		if (io_uring_peek_cqe(&q->ring, &cqe) == 0 && cqe->res < 0 &&
		    cqe->res != UBLK_IO_RES_ABORT) {
			BLK_ERR(bd, "queue %u: the kernel refused FETCH_REQ: %s", q->id,
				strerror(-cqe->res));
			return cqe->res;
		}
	}
	return 0;
}

static void q_report(struct udrv_blk_dev *bd, int rc)
{
	pthread_mutex_lock(&bd->lock);
	if (rc < 0)
		bd->failed++;
	else
		bd->ready++;
	pthread_cond_broadcast(&bd->cond);
	pthread_mutex_unlock(&bd->lock);
}

int udrv_blk_queue_run(struct udrv_blk_dev *bd, unsigned qid)
{
	struct blk_queue *q;
	int rc;

	if (!bd || qid >= bd->info.nr_hw_queues)
		return -EINVAL;
	q = &bd->queues[qid];
	rc = q_setup(q);
	q_report(bd, rc);
	if (rc == 0)
		q_loop(q);
	/* The last queue out flushes the cache for all of them. */
	if (__atomic_sub_fetch(&bd->running, 1, __ATOMIC_ACQ_REL) == 0 && rc == 0 &&
	    __atomic_load_n(&bd->started, __ATOMIC_ACQUIRE))
		q_flush_cache(q);
	q_fini(q);
	return rc;
}
