/* SPDX-License-Identifier: MIT */
/*
 * Admin commands: a synchronous submit-and-poll on the admin queue (callers
 * hold ctrl->lock), identify, number of queues, I/O queue creation and
 * deletion, Doorbell Buffer Config, Abort, and admin passthrough.
 */
#include <errno.h>
#include <string.h>

#include "nvme_priv.h"

struct admin_wait {
	bool done;
	struct udrv_nvme_cpl cpl;
};

static void admin_done(void *arg, const struct udrv_nvme_cpl *cpl)
{
	struct admin_wait *w = arg;

	w->cpl = *cpl;
	w->done = true;
}

static void nap_us(long us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = us * 1000 };

	nanosleep(&ts, NULL);
}

int udrvi_nvme_admin_sync(struct udrv_nvme_ctrl *ctrl, struct nvme_sqe *sqe, void *buf,
			  size_t len, bool to_dev, struct udrv_nvme_cpl *cpl, uint32_t timeout_ms)
{
	struct udrv_nvme_qpair *aq = ctrl->admin;
	struct admin_wait w = { .done = false };
	struct nvme_req *req;
	uint64_t now, deadline, next_health;
	unsigned spins = 0;
	int rc;

	(void)to_dev; /* direction is implied by the opcode (base spec 5, bits 1:0) */
	if (atomic_load(&ctrl->failed))
		return -ENODEV;
	if (aq->sq_head == (aq->sq_tail + 1u) % aq->qsize)
		return -EBUSY;
	req = udrvi_nvme_req_get(aq);
	if (!req) {
		NVME_LOG_ERR(ctrl, "admin queue is full of abandoned commands: reset the controller");
		return -EBUSY;
	}
	sqe->flags = 0;
	if (len) {
		struct iovec iov = { .iov_base = buf, .iov_len = len };

		rc = udrvi_nvme_prp_build(&iov, 1, &sqe->prp1, &sqe->prp2, req->list,
					  req->list_iova, aq->list_slot / 8);
		if (rc < 0) {
			udrvi_nvme_req_put(aq, req);
			NVME_LOG_ERR(ctrl, "admin command 0x%02x: buffer is not udrv DMA memory: "
				     "allocate it with udrv_dma_alloc", sqe->opcode);
			return rc;
		}
	}
	/* len == 0: PRP1/PRP2 as the caller set them (queue and buffer addresses). */
	req->cb = admin_done;
	req->arg = &w;
	now = udrvi_nvme_ticks();
	nvme_commit(aq, req, sqe, now);
	nvme_ring_sq(aq);

	if (!timeout_ms)
		timeout_ms = ctrl->opts.admin_timeout_ms;
	deadline = now + (uint64_t)timeout_ms * udrvi_nvme_ticks_per_ms;
	next_health = now + 10 * udrvi_nvme_ticks_per_ms;
	for (;;) {
		udrvi_nvme_process_cq(aq, 0);
		if (w.done)
			break;
		now = udrvi_nvme_ticks();
		if (now >= next_health) {
			next_health = now + 10 * udrvi_nvme_ticks_per_ms;
			if (!udrvi_nvme_health_check(ctrl)) {
				req->cb = NULL; /* completed as ABORTED by the failure path */
				return -ENODEV;
			}
		}
		if (now >= deadline) {
			/* Abandon it: its callback must not touch this stack frame. */
			req->cb = NULL;
			NVME_LOG_ERR(ctrl, "admin command 0x%02x timed out after %u ms; reset the "
				     "controller (udrv_nvme_ctrl_reset) or check the device",
				     sqe->opcode, timeout_ms);
			return -ETIMEDOUT;
		}
		if (!udrvi_model_waiting(ctrl->dev) && ++spins > 200)
			nap_us(20); /* admin is the slow path: leave the CPU to others */
	}
	/* The admin CQ head doorbell once per command (slow path; I/O queues defer it). */
	if (aq->cq_head != aq->cq_db_last)
		nvme_ring_cq(aq);
	if (cpl)
		*cpl = w.cpl;
	return 0;
}

static int admin_ok(struct udrv_nvme_ctrl *ctrl, struct nvme_sqe *sqe, void *buf, size_t len,
		    uint32_t *dw0, const char *what)
{
	struct udrv_nvme_cpl cpl;
	char sbuf[64];
	int rc;

	rc = udrvi_nvme_admin_sync(ctrl, sqe, buf, len, false, &cpl, 0);
	if (rc < 0)
		return rc;
	if (!UDRV_NVME_STATUS_OK(cpl.status)) {
		NVME_LOG_ERR(ctrl, "%s failed: %s", what,
			     udrv_nvme_status_str(cpl.status, sbuf, sizeof(sbuf)));
		return -EIO;
	}
	if (dw0)
		*dw0 = cpl.cdw0;
	return 0;
}

int udrvi_nvme_identify(struct udrv_nvme_ctrl *ctrl, uint8_t cns, uint32_t nsid)
{
	struct nvme_sqe sqe = { .opcode = NVME_ADM_IDENTIFY, .nsid = nsid, .cdw10 = cns };

	memset(ctrl->bounce, 0, NVME_PAGE_SIZE);
	return admin_ok(ctrl, &sqe, ctrl->bounce, NVME_PAGE_SIZE, NULL, "Identify");
}

/* Set Features, Number of Queues (5.21.1.7): the controller may grant fewer. */
int udrvi_nvme_set_num_queues(struct udrv_nvme_ctrl *ctrl)
{
	uint32_t want = ctrl->opts.io_queues, dw0, nsq, ncq;
	struct nvme_sqe sqe = { .opcode = NVME_ADM_SET_FEATURES, .cdw10 = NVME_FEAT_NUM_QUEUES };
	int rc;

	sqe.cdw11 = (want - 1u) | (want - 1u) << 16;
	rc = admin_ok(ctrl, &sqe, NULL, 0, &dw0, "Set Features (Number of Queues)");
	if (rc < 0)
		return rc;
	nsq = (dw0 & 0xffffu) + 1u;
	ncq = (dw0 >> 16) + 1u;
	ctrl->info.io_queues = nsq < ncq ? nsq : ncq;
	if (ctrl->info.io_queues > want)
		ctrl->info.io_queues = want;
	return 0;
}

/* Doorbell Buffer Config (5.8): PRP1 the shadow doorbells, PRP2 EventIdx. */
int udrvi_nvme_dbbuf_config(struct udrv_nvme_ctrl *ctrl)
{
	struct nvme_sqe sqe = { .opcode = NVME_ADM_DBBUF_CONFIG };

	memset(ctrl->dbbuf, 0, NVME_PAGE_SIZE);
	memset(ctrl->eibuf, 0, NVME_PAGE_SIZE);
	sqe.prp1 = ctrl->dbbuf_iova;
	sqe.prp2 = ctrl->eibuf_iova;
	if (admin_ok(ctrl, &sqe, NULL, 0, NULL, "Doorbell Buffer Config") < 0) {
		NVME_LOG_WARN(ctrl, "shadow doorbells unavailable: using MMIO doorbells");
		return -EIO;
	}
	return 0;
}

int udrvi_nvme_create_queues(struct udrv_nvme_ctrl *ctrl, struct udrv_nvme_qpair *qp)
{
	uint32_t cdw10 = (uint32_t)(qp->qsize - 1u) << 16 | qp->qid;
	struct nvme_sqe sqe;
	int rc;

	/* Interrupts off (IEN = 0): the queue is polled. */
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = NVME_ADM_CREATE_CQ;
	sqe.cdw10 = cdw10;
	sqe.cdw11 = NVME_QUEUE_PC;
	sqe.prp1 = qp->cq_iova;
	rc = admin_ok(ctrl, &sqe, NULL, 0, NULL, "Create I/O Completion Queue");
	if (rc < 0)
		return rc;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = NVME_ADM_CREATE_SQ;
	sqe.cdw10 = cdw10;
	sqe.cdw11 = (uint32_t)qp->qid << 16 | NVME_QUEUE_PC;
	sqe.prp1 = qp->sq_iova;
	rc = admin_ok(ctrl, &sqe, NULL, 0, NULL, "Create I/O Submission Queue");
	if (rc < 0) {
		memset(&sqe, 0, sizeof(sqe));
		sqe.opcode = NVME_ADM_DELETE_CQ;
		sqe.cdw10 = qp->qid;
		admin_ok(ctrl, &sqe, NULL, 0, NULL, "Delete I/O Completion Queue");
		return rc;
	}
	qp->created = true;
	return 0;
}

int udrvi_nvme_delete_queues(struct udrv_nvme_ctrl *ctrl, struct udrv_nvme_qpair *qp)
{
	struct nvme_sqe sqe;
	int rc, rc2;

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = NVME_ADM_DELETE_SQ;
	sqe.cdw10 = qp->qid;
	rc = admin_ok(ctrl, &sqe, NULL, 0, NULL, "Delete I/O Submission Queue");
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = NVME_ADM_DELETE_CQ;
	sqe.cdw10 = qp->qid;
	rc2 = admin_ok(ctrl, &sqe, NULL, 0, NULL, "Delete I/O Completion Queue");
	qp->created = false;
	return rc < 0 ? rc : rc2;
}

/* Abort (5.1): dw0 bit 0 is 0 if the command was aborted. */
int udrvi_nvme_abort_cmd(struct udrv_nvme_ctrl *ctrl, uint16_t sqid, uint16_t cid, uint32_t *dw0)
{
	struct nvme_sqe sqe;

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = NVME_ADM_ABORT;
	sqe.cdw10 = sqid | (uint32_t)cid << 16;
	return admin_ok(ctrl, &sqe, NULL, 0, dw0, "Abort");
}

int udrv_nvme_admin_cmd(struct udrv_nvme_ctrl *ctrl, const struct udrv_nvme_cmd *cmd,
			void *buf, size_t len, struct udrv_nvme_cpl *cpl, uint32_t timeout_ms)
{
	struct udrv_nvme_cpl c;
	struct nvme_sqe sqe;
	int rc;

	if (!ctrl || !cmd || (len && !buf))
		return -EINVAL;
	if (len > ctrl->info.max_xfer_bytes) {
		NVME_LOG_ERR(ctrl, "admin passthrough of %zu bytes exceeds the transfer limit of %u",
			     len, ctrl->info.max_xfer_bytes);
		return -EINVAL;
	}
	udrvi_nvme_sqe_from_cmd(&sqe, cmd);
	pthread_mutex_lock(&ctrl->lock);
	rc = udrvi_nvme_admin_sync(ctrl, &sqe, buf, len, false, &c, timeout_ms);
	pthread_mutex_unlock(&ctrl->lock);
	if (rc < 0)
		return rc;
	if (cpl)
		*cpl = c;
	else if (!UDRV_NVME_STATUS_OK(c.status))
		return -EIO;
	return 0;
}
