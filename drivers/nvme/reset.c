/* SPDX-License-Identifier: MIT */
/*
 * Error recovery: per-request timeouts, then Abort, then controller reset;
 * re-creating a qpair's queues after a reset; failing everything when the
 * device is gone. Every outstanding request completes exactly once, with
 * the device's status or with UDRV_NVME_STATUS_ABORTED.
 */
#include <errno.h>
#include <string.h>

#include "nvme_priv.h"

int udrvi_nvme_qpair_die(struct udrv_nvme_qpair *qp)
{
	qp->dead = true;
	qp->created = false;
	qp->sq_db_last = qp->sq_tail; /* no doorbell write to a dead device */
	qp->epoch = atomic_load(&qp->ctrl->epoch) ^ 0x80000000u; /* gate stays closed */
	udrvi_nvme_qpair_abort_all(qp, UDRV_NVME_STATUS_ABORTED);
	return -ENODEV;
}

/* The qpair's slow path, on its owner's thread: device failure, or the
 * controller was reset since the queues were created. Returns 0 when the
 * qpair is usable again, -ENODEV when it is not. */
int udrvi_nvme_qpair_slow(struct udrv_nvme_qpair *qp)
{
	struct udrv_nvme_ctrl *ctrl = qp->ctrl;
	int rc;

	if (qp->dead) {
		/* Requests may have been left by a callback during udrvi_nvme_qpair_die. */
		if (nvme_outstanding(qp))
			udrvi_nvme_qpair_abort_all(qp, UDRV_NVME_STATUS_ABORTED);
		return -ENODEV;
	}
	/* From a callback inside poll: recover at the next poll, not under it. */
	if (qp->reaping)
		return atomic_load(&ctrl->failed) ? -ENODEV : -EAGAIN;
	if (!udrvi_nvme_health_check(ctrl))
		return udrvi_nvme_qpair_die(qp);
	if (qp->epoch == atomic_load(&ctrl->epoch))
		return 0;

	/* The controller was reset: the device forgot this qpair's queues. */
	pthread_mutex_lock(&ctrl->lock);
	if (atomic_load(&ctrl->failed)) {
		pthread_mutex_unlock(&ctrl->lock);
		return udrvi_nvme_qpair_die(qp);
	}
	qp->created = false;
	udrvi_nvme_qpair_reset_rings(qp);
	rc = udrvi_nvme_create_queues(ctrl, qp);
	qp->epoch = atomic_load(&ctrl->epoch);
	pthread_mutex_unlock(&ctrl->lock);
	qp->st.resets++;
	if (rc < 0) {
		NVME_LOG_ERR(ctrl, "queue %u could not be re-created after a controller reset; "
			     "destroy the qpair and create a new one", qp->qid);
		return udrvi_nvme_qpair_die(qp);
	}
	/* Queues are live again before callbacks run, so they may resubmit. */
	udrvi_nvme_qpair_abort_all(qp, UDRV_NVME_STATUS_ABORTED);
	return 0;
}

int udrvi_nvme_ctrl_reset_locked(struct udrv_nvme_ctrl *ctrl, const char *why)
{
	int rc;

	if (atomic_load(&ctrl->failed))
		return -ENODEV;
	NVME_LOG_WARN(ctrl, "resetting the controller: %s", why);
	rc = udrvi_nvme_ctrl_disable(ctrl);
	if (rc < 0)
		goto fail;
	/* Disabled: the device no longer touches the queues. Admin commands
	 * still outstanding are abandoned ones (a waiter holds the lock). */
	udrvi_nvme_qpair_abort_all(ctrl->admin, UDRV_NVME_STATUS_ABORTED);
	rc = udrvi_nvme_ctrl_enable(ctrl);
	if (rc < 0)
		goto fail;
	rc = udrvi_nvme_set_num_queues(ctrl);
	if (rc < 0)
		goto fail;
	if (ctrl->dbbuf && udrvi_nvme_dbbuf_config(ctrl) < 0) {
		rc = -EIO;
		goto fail;
	}
	atomic_fetch_add(&ctrl->epoch, 1);
	return 0;

fail:
	udrvi_nvme_ctrl_fail(ctrl, "controller reset failed");
	return rc;
}

int udrv_nvme_ctrl_reset(struct udrv_nvme_ctrl *ctrl)
{
	int rc;

	if (!ctrl)
		return -EINVAL;
	pthread_mutex_lock(&ctrl->lock);
	rc = udrvi_nvme_ctrl_reset_locked(ctrl, "requested by the application");
	pthread_mutex_unlock(&ctrl->lock);
	return rc;
}

/* Periodic check from poll: device health, then expired requests. The first
 * expiry of a request sends an Abort; a second one resets the controller. */
void udrvi_nvme_check_timeouts(struct udrv_nvme_qpair *qp)
{
	struct udrv_nvme_ctrl *ctrl = qp->ctrl;
	uint64_t now = udrvi_nvme_ticks();
	bool need_reset = false;
	uint32_t i;

	qp->next_check = now + qp->check_ticks;
	/* Never 0 (nor 1 after the first scan): a stamp of 0 means "not seen yet". */
	if (++qp->tick == 0)
		qp->tick = 1;
	if (qp->is_admin || qp->dead)
		return;
	if (!udrvi_nvme_health_check(ctrl)) {
		udrvi_nvme_qpair_die(qp);
		return;
	}
	if (!nvme_outstanding(qp))
		return;
	for (i = 0; i < qp->nreq && !need_reset; i++) {
		struct nvme_req *req = &qp->reqs[i];
		uint32_t dw0 = 1;
		int rc;

		if (req->state == NVME_REQ_FREE)
			continue;
		/* Submitted since the last scan, at tick - 1 (the fast path
		 * leaves the stamp 0 and lets the scan fill it in). */
		if (!req->stamp) {
			req->stamp = qp->tick - 1u;
			continue;
		}
		if (qp->tick - req->stamp < qp->timeout_intervals)
			continue;
		if (req->state == NVME_REQ_ABORT_SENT) {
			need_reset = true;
			break;
		}
		req->state = NVME_REQ_ABORT_SENT;
		qp->st.timeouts++;
		NVME_LOG_ERR(ctrl, "queue %u: command 0x%04x timed out; sending Abort", qp->qid,
			     req->cid);
		pthread_mutex_lock(&ctrl->lock);
		rc = udrvi_nvme_abort_cmd(ctrl, qp->qid, req->cid, &dw0);
		pthread_mutex_unlock(&ctrl->lock);
		qp->st.aborts_sent++;
		req->stamp = qp->tick;
		if (rc == -ENODEV || rc == -ETIMEDOUT)
			need_reset = true;
	}
	if (need_reset) {
		pthread_mutex_lock(&ctrl->lock);
		udrvi_nvme_ctrl_reset_locked(ctrl, "a command timed out and Abort did not finish it");
		pthread_mutex_unlock(&ctrl->lock);
		udrvi_nvme_qpair_slow(qp);
	}
}
