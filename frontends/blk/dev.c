/* SPDX-License-Identifier: MIT */
/*
 * A ublk device serving one NVMe namespace: its life cycle on the control
 * path (Documentation/block/ublk.rst, "Control plane"):
 *
 *   ADD_DEV -> SET_PARAMS -> open /dev/ublkcN -> queues FETCH_REQ every tag
 *   -> START_DEV (/dev/ublkbN appears) ... STOP_DEV -> queues get their tags
 *   back and return -> close /dev/ublkcN -> DEL_DEV
 *
 * and after a crash: START_USER_RECOVERY -> open /dev/ublkcN -> FETCH_REQ
 * -> END_USER_RECOVERY (the same /dev/ublkbN resumes).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blk_priv.h"

#define DEFAULT_DEPTH 64
/* Recovery needs the kernel to quiesce the device after the old process
 * exits (its io_uring is torn down asynchronously). */
#define RECOVER_WAIT_MS 30000

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static int bd_alloc(struct udrv_nvme_ctrl *ctrl, struct udrv_blk_dev **out)
{
	struct udrv_blk_dev *bd = calloc(1, sizeof(*bd));
	int rc;

	if (!bd)
		return -ENOMEM;
	bd->ctrl = ctrl;
	bd->cfd = -1;
	snprintf(bd->name, sizeof(bd->name), "ublk");
	pthread_mutex_init(&bd->lock, NULL);
	pthread_cond_init(&bd->cond, NULL);
	rc = udrvi_blk_ctl_open(&bd->ctl, NULL);
	if (rc < 0) {
		pthread_mutex_destroy(&bd->lock);
		pthread_cond_destroy(&bd->cond);
		free(bd);
		return rc;
	}
	*out = bd;
	return 0;
}

/* The namespace's geometry and the ublk parameters it gives. */
static int bd_geometry(struct udrv_blk_dev *bd, uint32_t nsid, uint32_t max_io)
{
	struct udrv_nvme_ctrl_info ci;
	struct udrv_nvme_ns_info ns;
	int rc;

	rc = udrv_nvme_ctrl_info(bd->ctrl, &ci);
	if (rc < 0)
		return rc;
	rc = udrv_nvme_ns_find(bd->ctrl, nsid, &ns);
	if (rc < 0) {
		udrv_log(UDRV_LOG_ERROR, udrv_dev_name(udrv_nvme_ctrl_dev(bd->ctrl)),
			 "namespace %u is not active on this controller (%u active namespaces; "
			 "see udrv-nvme identify)", nsid, udrv_nvme_ns_count(bd->ctrl));
		return -ENOENT;
	}
	return udrvi_blk_params(&ci, &ns, max_io, &bd->params, &bd->g);
}

static int bd_open_cdev(struct udrv_blk_dev *bd)
{
	char path[32];
	unsigned i;

	snprintf(path, sizeof(path), "/dev/ublkc%u", bd->info.dev_id);
	/* After a crash the old process's file may take a moment to go. */
	for (i = 0; i < 100; i++) {
		bd->cfd = open(path, O_RDWR | O_CLOEXEC);
		if (bd->cfd >= 0 || (errno != EBUSY && errno != ENOENT))
			break;
		sleep_ms(50);
	}
	if (bd->cfd < 0) {
		int rc = -errno;

		BLK_ERR(bd, "cannot open %s: %s", path, strerror(-rc));
		return rc;
	}
	return 0;
}

static int bd_queues(struct udrv_blk_dev *bd)
{
	unsigned i;

	bd->queues = calloc(bd->info.nr_hw_queues, sizeof(*bd->queues));
	if (!bd->queues)
		return -ENOMEM;
	for (i = 0; i < bd->info.nr_hw_queues; i++) {
		bd->queues[i].bd = bd;
		bd->queues[i].id = i;
	}
	bd->running = bd->info.nr_hw_queues;
	return 0;
}

/* opts->size: at least up to cookie (callers built before nap_us). */
#define OPTS_MIN_SIZE (offsetof(struct udrv_blk_opts, cookie) + sizeof(uint64_t))

/* opts->nap_us, or 0 for a caller built before the field; -EINVAL (logged)
 * above MAX_NAP_US. */
static int opt_nap_us(const struct udrv_blk_opts *opts, uint32_t *nap_us)
{
	*nap_us = 0;
	if (opts->size < offsetof(struct udrv_blk_opts, nap_us) + sizeof(opts->nap_us))
		return 0;
	if (opts->nap_us > MAX_NAP_US) {
		udrv_log(UDRV_LOG_ERROR, NULL, "nap_us %u: at most %u microseconds",
			 opts->nap_us, MAX_NAP_US);
		return -EINVAL;
	}
	*nap_us = opts->nap_us;
	return 0;
}

int udrv_blk_create(struct udrv_nvme_ctrl *ctrl, const struct udrv_blk_opts *opts,
		    struct udrv_blk_dev **out)
{
	struct udrv_blk_dev *bd;
	unsigned queues, depth;
	uint32_t nap_us;
	int rc;

	if (!ctrl || !opts || opts->size < OPTS_MIN_SIZE || !out)
		return -EINVAL;
	queues = opts->queues ? opts->queues : 1;
	depth = opts->depth ? opts->depth : DEFAULT_DEPTH;
	if (depth > UBLK_MAX_QUEUE_DEPTH || queues > 64) {
		udrv_log(UDRV_LOG_ERROR, NULL, "%u queues of depth %u: at most 64 queues of %u",
			 queues, depth, UBLK_MAX_QUEUE_DEPTH);
		return -EINVAL;
	}
	if (opt_nap_us(opts, &nap_us) < 0)
		return -EINVAL;
	rc = bd_alloc(ctrl, &bd);
	if (rc < 0)
		return rc;
	bd->nap_us = nap_us;
	rc = bd_geometry(bd, opts->nsid, opts->max_io_bytes);
	if (rc < 0)
		goto err_free;

	bd->info.nr_hw_queues = (uint16_t)queues;
	bd->info.queue_depth = (uint16_t)depth;
	bd->info.max_io_buf_bytes = bd->g.max_io_bytes;
	bd->info.dev_id = opts->dev_id < 0 ? UINT32_MAX : (uint32_t)opts->dev_id;
	bd->info.ublksrv_flags = opts->cookie;
	bd->info.flags = UBLK_F_CMD_IOCTL_ENCODE;
	/* Recovery with reissue: requests a dead server had taken are sent
	 * again to the next one. Rewriting the same data is what a block
	 * device may do with a write it never acknowledged. */
	if (!bd->ctl.features || (bd->ctl.features & UBLK_F_USER_RECOVERY_REISSUE))
		bd->info.flags |= UBLK_F_USER_RECOVERY | UBLK_F_USER_RECOVERY_REISSUE;
	if (!bd->ctl.encode)
		bd->info.flags &= ~UBLK_F_CMD_IOCTL_ENCODE;
	rc = udrvi_blk_ctl_cmd(&bd->ctl, UBLK_CMD_ADD_DEV, bd->info.dev_id, &bd->info,
			       sizeof(bd->info), 0);
	if (rc < 0) {
		udrv_log(UDRV_LOG_ERROR, NULL, "ublk ADD_DEV failed: %s%s", strerror(-rc),
			 rc == -EEXIST ? " (that device number is taken)" : "");
		goto err_free;
	}
	snprintf(bd->name, sizeof(bd->name), "ublk%u", bd->info.dev_id);
	/* The kernel may have lowered queues to the CPU count and the buffer size
	 * to a page multiple: what it returned is what we serve. */
	if (bd->info.max_io_buf_bytes < bd->g.max_io_bytes) {
		bd->g.max_io_bytes = bd->info.max_io_buf_bytes;
		bd->params.basic.max_sectors = bd->g.max_io_bytes >> 9;
	}
	if (bd->info.nr_hw_queues != queues)
		BLK_WARN(bd, "the kernel granted %u queues of the %u asked (one per CPU at most)",
			 bd->info.nr_hw_queues, queues);
	rc = udrvi_blk_ctl_cmd(&bd->ctl, UBLK_CMD_SET_PARAMS, bd->info.dev_id, &bd->params,
			       sizeof(bd->params), 0);
	if (rc < 0) {
		BLK_ERR(bd, "SET_PARAMS failed: %s", strerror(-rc));
		goto err_del;
	}
	rc = bd_open_cdev(bd);
	if (rc < 0)
		goto err_del;
	rc = bd_queues(bd);
	if (rc < 0)
		goto err_del;
	*out = bd;
	return 0;

err_del:
	if (bd->cfd >= 0)
		close(bd->cfd);
	udrvi_blk_ctl_cmd(&bd->ctl, UBLK_CMD_DEL_DEV, bd->info.dev_id, NULL, 0, 0);
err_free:
	udrvi_blk_ctl_close(&bd->ctl);
	pthread_mutex_destroy(&bd->lock);
	pthread_cond_destroy(&bd->cond);
	free(bd);
	return rc;
}

int udrv_blk_recover(struct udrv_nvme_ctrl *ctrl, uint32_t dev_id,
		     const struct udrv_blk_opts *opts, struct udrv_blk_dev **out)
{
	struct ublk_params kp;
	struct udrv_blk_dev *bd;
	unsigned waited = 0;
	uint32_t nap_us;
	int rc;

	if (!ctrl || !opts || opts->size < OPTS_MIN_SIZE || !out)
		return -EINVAL;
	if (opt_nap_us(opts, &nap_us) < 0)
		return -EINVAL;
	rc = bd_alloc(ctrl, &bd);
	if (rc < 0)
		return rc;
	bd->nap_us = nap_us;
	snprintf(bd->name, sizeof(bd->name), "ublk%u", dev_id);
	rc = udrvi_blk_ctl_cmd(&bd->ctl, UBLK_CMD_GET_DEV_INFO, dev_id, &bd->info,
			       sizeof(bd->info), 0);
	if (rc < 0) {
		BLK_ERR(bd, "%s", rc == -ENODEV ? "no such ublk device" : strerror(-rc));
		goto err_free;
	}
	if (!(bd->info.flags & UBLK_F_USER_RECOVERY)) {
		BLK_ERR(bd, "the device was created without UBLK_F_USER_RECOVERY: it cannot be "
			"recovered");
		rc = -EOPNOTSUPP;
		goto err_free;
	}
	if (bd->info.state == UBLK_S_DEV_LIVE && bd->info.ublksrv_pid > 0 &&
	    kill(bd->info.ublksrv_pid, 0) == 0) {
		BLK_ERR(bd, "the device is live, served by process %d: nothing to recover",
			bd->info.ublksrv_pid);
		rc = -EBUSY;
		goto err_free;
	}
	rc = bd_geometry(bd, opts->nsid, bd->info.max_io_buf_bytes);
	if (rc < 0)
		goto err_free;
	memset(&kp, 0, sizeof(kp));
	kp.len = sizeof(kp);
	rc = udrvi_blk_ctl_cmd(&bd->ctl, UBLK_CMD_GET_PARAMS, dev_id, &kp, sizeof(kp), 0);
	if (rc < 0) {
		BLK_ERR(bd, "GET_PARAMS failed: %s", strerror(-rc));
		goto err_free;
	}
	if (kp.basic.dev_sectors != bd->g.dev_sectors ||
	    kp.basic.logical_bs_shift != bd->g.lba_shift ||
	    (kp.basic.max_sectors << 9) > bd->info.max_io_buf_bytes) {
		BLK_ERR(bd, "the device has %llu sectors of %u bytes, namespace %u has %llu of %u: "
			"not the namespace it served", (unsigned long long)kp.basic.dev_sectors,
			1u << kp.basic.logical_bs_shift, opts->nsid,
			(unsigned long long)bd->g.dev_sectors, 1u << bd->g.lba_shift);
		rc = -EINVAL;
		goto err_free;
	}
	bd->g.max_io_bytes = bd->info.max_io_buf_bytes;
	bd->params = kp;
	for (;;) {
		rc = udrvi_blk_ctl_cmd(&bd->ctl, UBLK_CMD_START_USER_RECOVERY, dev_id, NULL, 0, 0);
		if (rc != -EBUSY || waited >= RECOVER_WAIT_MS)
			break;
		sleep_ms(100);
		waited += 100;
	}
	if (rc < 0) {
		BLK_ERR(bd, "START_USER_RECOVERY failed: %s%s", strerror(-rc),
			rc == -EBUSY ? " (the device did not quiesce: is its old server still "
				       "exiting?)" : "");
		goto err_free;
	}
	rc = bd_open_cdev(bd);
	if (rc < 0)
		goto err_free;
	rc = bd_queues(bd);
	if (rc < 0)
		goto err_close;
	bd->recovering = true;
	*out = bd;
	return 0;

err_close:
	close(bd->cfd);
err_free:
	udrvi_blk_ctl_close(&bd->ctl);
	pthread_mutex_destroy(&bd->lock);
	pthread_cond_destroy(&bd->cond);
	free(bd);
	return rc;
}

int udrv_blk_start(struct udrv_blk_dev *bd)
{
	unsigned n = bd->info.nr_hw_queues;
	unsigned nr = bd->recovering ? UBLK_CMD_END_USER_RECOVERY : UBLK_CMD_START_DEV;
	int rc;

	/* START_DEV waits in the kernel, uninterruptibly for us, until every
	 * queue fetched: go there only once they all did. */
	pthread_mutex_lock(&bd->lock);
	while (bd->ready + bd->failed < n)
		pthread_cond_wait(&bd->cond, &bd->lock);
	rc = bd->failed ? -EIO : 0;
	pthread_mutex_unlock(&bd->lock);
	if (rc < 0) {
		BLK_ERR(bd, "%u of %u queues could not be set up (see above)", bd->failed, n);
		return rc;
	}
	rc = udrvi_blk_ctl_cmd(&bd->ctl, nr, bd->info.dev_id, NULL, 0, (uint64_t)getpid());
	if (rc < 0) {
		BLK_ERR(bd, "%s failed: %s", udrvi_blk_cmd_name(nr), strerror(-rc));
		return rc;
	}
	__atomic_store_n(&bd->started, true, __ATOMIC_RELEASE);
	return 0;
}

int udrv_blk_stop(struct udrv_blk_dev *bd)
{
	int rc;

	if (bd->stopped)
		return 0;
	/* Also for a device never started: STOP_DEV cancels the fetches, so
	 * the queues return. */
	rc = udrvi_blk_ctl_cmd(&bd->ctl, UBLK_CMD_STOP_DEV, bd->info.dev_id, NULL, 0, 0);
	if (rc < 0) {
		BLK_ERR(bd, "STOP_DEV failed: %s", strerror(-rc));
		return rc;
	}
	bd->stopped = true;
	return 0;
}

void udrv_blk_destroy(struct udrv_blk_dev *bd)
{
	int rc;

	if (!bd)
		return;
	if (bd->cfd >= 0)
		close(bd->cfd);
	/* DEL_DEV waits until the device's last reference goes, and a
	 * filesystem still mounted on the removed /dev/ublkbN (after a
	 * hot-unplug, say) holds one until it is unmounted: the process would
	 * hang there. DEL_DEV_ASYNC (6.9+) lets the kernel finish on its own;
	 * older kernels take the waiting DEL_DEV. */
	rc = -EOPNOTSUPP;
	if (bd->ctl.encode)
		rc = udrvi_blk_ctl_cmd(&bd->ctl, UDRVI_UBLK_DEL_DEV_ASYNC_NR, bd->info.dev_id, NULL,
				       0, 0);
	if (rc == -EOPNOTSUPP || rc == -EINVAL)
		rc = udrvi_blk_ctl_cmd(&bd->ctl, UBLK_CMD_DEL_DEV, bd->info.dev_id, NULL, 0, 0);
	if (rc < 0 && rc != -ENODEV)
		BLK_ERR(bd, "DEL_DEV failed: %s", strerror(-rc));
	udrvi_blk_ctl_close(&bd->ctl);
	free(bd->queues);
	pthread_mutex_destroy(&bd->lock);
	pthread_cond_destroy(&bd->cond);
	free(bd);
}

void udrv_blk_info(const struct udrv_blk_dev *bd, struct udrv_blk_info *info)
{
	memset(info, 0, sizeof(*info));
	info->dev_id = bd->info.dev_id;
	snprintf(info->path, sizeof(info->path), "/dev/ublkb%u", bd->info.dev_id);
	info->nsid = bd->g.nsid;
	info->size_bytes = bd->g.dev_sectors << 9;
	info->lba_size = 1u << bd->g.lba_shift;
	info->queues = bd->info.nr_hw_queues;
	info->depth = bd->info.queue_depth;
	info->max_io_bytes = bd->g.max_io_bytes;
	info->volatile_cache = bd->g.vwc;
	info->discard = bd->g.dsm;
	info->write_zeroes = bd->g.wz;
	info->recovered = bd->recovering;
}

void udrv_blk_queue_stats(const struct udrv_blk_dev *bd, unsigned qid, struct udrv_blk_stats *st)
{
	const struct blk_qstats *q;

	memset(st, 0, sizeof(*st));
	if (qid >= bd->info.nr_hw_queues)
		return;
	q = &bd->queues[qid].st;
#define GET(f) st->f = __atomic_load_n(&q->f, __ATOMIC_RELAXED)
	GET(reads); GET(writes); GET(flushes); GET(discards); GET(write_zeroes);
	GET(read_bytes); GET(write_bytes); GET(errors); GET(nvme_cmds); GET(sleeps);
	GET(in_flight);
#undef GET
}

void udrv_blk_stats(const struct udrv_blk_dev *bd, struct udrv_blk_stats *st)
{
	struct udrv_blk_stats one;
	unsigned i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < bd->info.nr_hw_queues; i++) {
		udrv_blk_queue_stats(bd, i, &one);
#define ADD(f) st->f += one.f
		ADD(reads); ADD(writes); ADD(flushes); ADD(discards); ADD(write_zeroes);
		ADD(read_bytes); ADD(write_bytes); ADD(errors); ADD(nvme_cmds); ADD(sleeps);
		ADD(in_flight);
#undef ADD
	}
}
