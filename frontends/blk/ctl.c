/* SPDX-License-Identifier: MIT */
/*
 * The ublk control path: commands on /dev/ublk-control as io_uring
 * uring_cmds in 128-byte SQEs (the 32-byte struct ublksrv_ctrl_cmd does not
 * fit the 16 bytes a normal SQE has for a command). Each command is
 * synchronous: submit, wait for its CQE, return its result.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "blk_priv.h"

static const char *const cmd_names[] = {
	[UBLK_CMD_GET_QUEUE_AFFINITY] = "GET_QUEUE_AFFINITY",
	[UBLK_CMD_GET_DEV_INFO] = "GET_DEV_INFO",
	[UBLK_CMD_ADD_DEV] = "ADD_DEV",
	[UBLK_CMD_DEL_DEV] = "DEL_DEV",
	[UBLK_CMD_START_DEV] = "START_DEV",
	[UBLK_CMD_STOP_DEV] = "STOP_DEV",
	[UBLK_CMD_SET_PARAMS] = "SET_PARAMS",
	[UBLK_CMD_GET_PARAMS] = "GET_PARAMS",
	[UBLK_CMD_START_USER_RECOVERY] = "START_USER_RECOVERY",
	[UBLK_CMD_END_USER_RECOVERY] = "END_USER_RECOVERY",
	[UDRVI_UBLK_GET_FEATURES_NR] = "GET_FEATURES",
	[UDRVI_UBLK_DEL_DEV_ASYNC_NR] = "DEL_DEV_ASYNC",
};

const char *udrvi_blk_cmd_name(unsigned nr)
{
	if (nr < sizeof(cmd_names) / sizeof(cmd_names[0]) && cmd_names[nr])
		return cmd_names[nr];
	return "?";
}

/* Commands that only read are _IOR, the others _IOWR (uapi ublk_cmd.h). */
static unsigned cmd_dir(unsigned nr)
{
	switch (nr) {
	case UBLK_CMD_GET_QUEUE_AFFINITY:
	case UBLK_CMD_GET_DEV_INFO:
	case UBLK_CMD_GET_PARAMS:
	case UDRVI_UBLK_GET_FEATURES_NR:
		return _IOC_READ;
	default:
		return _IOC_READ | _IOC_WRITE;
	}
}

int udrvi_blk_ctl_cmd(struct blk_ctl *c, unsigned nr, uint32_t dev_id, void *buf, uint16_t len,
		      uint64_t data0)
{
	struct ublksrv_ctrl_cmd *cmd;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int rc;

	sqe = io_uring_get_sqe(&c->ring);
	if (!sqe)
		return -EBUSY;
	memset(sqe, 0, 128);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = c->fd;
	sqe->cmd_op = c->encode ? UDRVI_UBLK_CTRL_OP(cmd_dir(nr), nr) : nr;
	cmd = (struct ublksrv_ctrl_cmd *)sqe->cmd;
	cmd->dev_id = dev_id;
	cmd->queue_id = (uint16_t)-1;
	cmd->addr = (uintptr_t)buf;
	cmd->len = len;
	cmd->data[0] = data0;
	rc = io_uring_submit(&c->ring);
	if (rc < 0)
		return rc;
	do {
		rc = io_uring_wait_cqe(&c->ring, &cqe);
	} while (rc == -EINTR);
	if (rc < 0)
		return rc;
	rc = cqe->res;
	io_uring_cqe_seen(&c->ring, cqe);
	return rc;
}

/* Why there is no /dev/ublk-control, in words a user can act on. */
static int explain_missing(const char *path)
{
	struct utsname u;
	unsigned major = 0, minor = 0;
	struct stat st;

	if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 && major < 6) {
		udrv_log(UDRV_LOG_ERROR, NULL, "Linux %s has no ublk: serving block devices needs "
			 "Linux 6.0 or later (module ublk_drv)", u.release);
		return -EOPNOTSUPP;
	}
	if (stat("/sys/module/ublk_drv", &st) != 0) {
		udrv_log(UDRV_LOG_ERROR, NULL, "%s is missing: the ublk_drv module is not loaded; "
			 "run 'modprobe ublk_drv' (as root; the kernel needs CONFIG_BLK_DEV_UBLK)",
			 path);
		return -ENOENT;
	}
	udrv_log(UDRV_LOG_ERROR, NULL, "ublk_drv is loaded but %s is missing: is devtmpfs "
		 "mounted on /dev?", path);
	return -ENOENT;
}

int udrvi_blk_ctl_open(struct blk_ctl *c, const char *path)
{
	uint64_t features = 0;
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!path)
		path = "/dev/ublk-control";
	c->fd = open(path, O_RDWR | O_CLOEXEC);
	if (c->fd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			return explain_missing(path);
		if (rc == -EACCES || rc == -EPERM)
			udrv_log(UDRV_LOG_ERROR, NULL, "cannot open %s: %s; ublk devices are made "
				 "by root (CAP_SYS_ADMIN)", path, strerror(-rc));
		else
			udrv_log(UDRV_LOG_ERROR, NULL, "cannot open %s: %s", path, strerror(-rc));
		return rc;
	}
	rc = io_uring_queue_init(4, &c->ring, IORING_SETUP_SQE128);
	if (rc < 0) {
		if (rc == -EINVAL)
			udrv_log(UDRV_LOG_ERROR, NULL, "io_uring refuses 128-byte SQEs: the kernel is "
				 "too old for ublk (Linux 6.0 or later is needed)");
		else if (rc == -EPERM || rc == -ENOSYS)
			udrv_log(UDRV_LOG_ERROR, NULL, "io_uring is not available (%s): check the "
				 "sysctl kernel.io_uring_disabled", strerror(-rc));
		else
			udrv_log(UDRV_LOG_ERROR, NULL, "io_uring_queue_init: %s", strerror(-rc));
		close(c->fd);
		c->fd = -1;
		return rc == -EINVAL ? -EOPNOTSUPP : rc;
	}
	c->ring_ok = true;
	/* GET_FEATURES exists since Linux 6.5, and only ioctl-encoded; earlier
	 * kernels reject it and take the legacy opcodes (6.0 .. 6.4). */
	c->encode = true;
	rc = udrvi_blk_ctl_cmd(c, UDRVI_UBLK_GET_FEATURES_NR, 0, &features,
			       UDRVI_UBLK_FEATURES_LEN, 0);
	if (rc == 0) {
		c->features = features;
		c->encode = features & UBLK_F_CMD_IOCTL_ENCODE;
	} else {
		c->encode = false;
	}
	return 0;
}

void udrvi_blk_ctl_close(struct blk_ctl *c)
{
	if (c->ring_ok)
		io_uring_queue_exit(&c->ring);
	c->ring_ok = false;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* --- any ublk device --------------------------------------------------- */
int udrv_blk_available(void)
{
	struct blk_ctl c;
	int rc = udrvi_blk_ctl_open(&c, NULL);

	if (rc == 0)
		udrvi_blk_ctl_close(&c);
	return rc;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int udrv_blk_list(uint32_t *ids, unsigned max)
{
	DIR *d = opendir("/sys/class/ublk-char");
	struct dirent *e;
	unsigned n = 0, id;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		if (sscanf(e->d_name, "ublkc%u", &id) != 1)
			continue;
		if (n < max)
			ids[n] = id;
		n++;
	}
	closedir(d);
	qsort(ids, n < max ? n : max, sizeof(*ids), cmp_u32);
	return (int)n;
}

int udrv_blk_query(uint32_t dev_id, struct udrv_blk_query *q)
{
	struct ublksrv_ctrl_dev_info info;
	struct ublk_params p;
	struct blk_ctl c;
	int rc;

	memset(q, 0, sizeof(*q));
	rc = udrvi_blk_ctl_open(&c, NULL);
	if (rc < 0)
		return rc;
	memset(&info, 0, sizeof(info));
	rc = udrvi_blk_ctl_cmd(&c, UBLK_CMD_GET_DEV_INFO, dev_id, &info, sizeof(info), 0);
	if (rc < 0)
		goto out;
	q->dev_id = dev_id;
	q->state = (enum udrv_blk_state)info.state;
	q->pid = info.ublksrv_pid;
	q->queues = info.nr_hw_queues;
	q->depth = info.queue_depth;
	q->max_io_bytes = info.max_io_buf_bytes;
	q->flags = info.flags;
	q->cookie = info.ublksrv_flags;
	memset(&p, 0, sizeof(p));
	p.len = sizeof(p);
	if (udrvi_blk_ctl_cmd(&c, UBLK_CMD_GET_PARAMS, dev_id, &p, sizeof(p), 0) == 0 &&
	    (p.types & UBLK_PARAM_TYPE_BASIC)) {
		q->size_bytes = p.basic.dev_sectors << 9;
		q->lba_size = 1u << p.basic.logical_bs_shift;
	}
	rc = 0;
out:
	udrvi_blk_ctl_close(&c);
	return rc;
}

int udrv_blk_remove(uint32_t dev_id)
{
	struct ublksrv_ctrl_dev_info info;
	struct blk_ctl c;
	int rc;

	rc = udrvi_blk_ctl_open(&c, NULL);
	if (rc < 0)
		return rc;
	memset(&info, 0, sizeof(info));
	rc = udrvi_blk_ctl_cmd(&c, UBLK_CMD_GET_DEV_INFO, dev_id, &info, sizeof(info), 0);
	if (rc < 0) {
		udrv_log(UDRV_LOG_ERROR, NULL, "ublk%u: %s", dev_id,
			 rc == -ENODEV ? "no such ublk device" : strerror(-rc));
		goto out;
	}
	if (info.state == UBLK_S_DEV_LIVE && info.ublksrv_pid > 0 &&
	    kill(info.ublksrv_pid, 0) == 0) {
		udrv_log(UDRV_LOG_ERROR, NULL, "ublk%u is served by process %d: stop that process "
			 "(SIGTERM) instead", dev_id, info.ublksrv_pid);
		rc = -EBUSY;
		goto out;
	}
	rc = udrvi_blk_ctl_cmd(&c, UBLK_CMD_STOP_DEV, dev_id, NULL, 0, 0);
	if (rc == 0) {
		/* Not waiting for a filesystem still mounted on it (dev.c). */
		rc = c.encode ? udrvi_blk_ctl_cmd(&c, UDRVI_UBLK_DEL_DEV_ASYNC_NR, dev_id, NULL, 0, 0)
			      : -EOPNOTSUPP;
		if (rc == -EOPNOTSUPP || rc == -EINVAL)
			rc = udrvi_blk_ctl_cmd(&c, UBLK_CMD_DEL_DEV, dev_id, NULL, 0, 0);
	}
	if (rc < 0)
		udrv_log(UDRV_LOG_ERROR, NULL, "ublk%u: removing failed: %s", dev_id, strerror(-rc));
out:
	udrvi_blk_ctl_close(&c);
	return rc;
}
