/* SPDX-License-Identifier: MIT */
/* The ublk front-end's internals: request translation (pure), the control
 * path on /dev/ublk-control, and the per-queue state. */
#ifndef UDRVI_BLK_PRIV_H
#define UDRVI_BLK_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <liburing.h>

#include <udrv/blk.h>
#include <udrv/log.h>
#include <udrv/nvme.h>

#include "ublk_abi.h"

#define BLK_ERR(bd, ...) udrv_log(UDRV_LOG_ERROR, (bd)->name, __VA_ARGS__)
#define BLK_WARN(bd, ...) udrv_log(UDRV_LOG_WARN, (bd)->name, __VA_ARGS__)
#define BLK_INFO(bd, ...) udrv_log(UDRV_LOG_INFO, (bd)->name, __VA_ARGS__)

/* --- geometry and translation (params.c, xlate.c; pure, unit tested) ---- */
struct blk_geom {
	uint32_t nsid;
	uint32_t lba_shift;       /* log2 of the LBA size, 9..12 */
	uint64_t blocks;          /* namespace size in LBAs */
	uint64_t dev_sectors;     /* the same in 512-byte sectors */
	uint32_t max_io_bytes;    /* per-request buffer; multiple of 4 KiB */
	uint32_t max_wz_blocks;   /* per Write Zeroes command (NVMe NLB is 16 bits) */
	bool vwc, dsm, wz;
};

/* Compute the ublk parameters and the geometry for a namespace. max_io_req
 * 0 means the controller's transfer limit. -EOPNOTSUPP (logged) if the
 * namespace cannot be served (LBA size beyond 4 KiB, too small a transfer
 * limit, a size that does not fit). */
int udrvi_blk_params(const struct udrv_nvme_ctrl_info *ci, const struct udrv_nvme_ns_info *ns,
		     uint32_t max_io_req, struct ublk_params *p, struct blk_geom *g);

enum blk_op { BLK_OP_NOP, BLK_OP_READ, BLK_OP_WRITE, BLK_OP_FLUSH, BLK_OP_DISCARD,
	      BLK_OP_WRITE_ZEROES };

/* One ublk request turned into one NVMe command. */
struct blk_cmd {
	uint8_t op;               /* enum blk_op */
	uint8_t ublk_op;          /* UBLK_IO_OP_*, for the statistics */
	uint32_t io_flags;        /* UDRV_NVME_IO_FUA */
	uint64_t lba;
	uint32_t nlb;
	uint32_t bytes;           /* what a successful READ/WRITE reports */
};

/* Translate a ublk I/O descriptor. 0 and *c filled (BLK_OP_NOP: complete at
 * once with success), or the negative errno to complete the request with:
 * -EIO beyond the end of the namespace, -EINVAL not whole LBAs or larger than
 * the buffer, -EOPNOTSUPP an operation the device was not set up for. */
int udrvi_blk_xlate(const struct blk_geom *g, uint32_t op_flags, uint32_t nr_sectors,
		    uint64_t start_sector, struct blk_cmd *c);
/* Queue the NVMe command for c on qp (buf: the request's DMA buffer). The
 * udrv_nvme_* return value (-EAGAIN: queue full, retry after a poll). */
int udrvi_blk_submit(struct udrv_nvme_qpair *qp, const struct blk_geom *g,
		     const struct blk_cmd *c, void *buf, udrv_nvme_cb cb, void *arg);
/* The ublk result for a completed command: bytes (READ/WRITE), 0, or -errno. */
int udrvi_blk_result(const struct blk_cmd *c, uint16_t status);

/* --- control path (ctl.c) ------------------------------------------------ */
struct blk_ctl {
	int fd;
	bool ring_ok;
	bool encode;              /* ioctl-encoded opcodes (UBLK_F_CMD_IOCTL_ENCODE) */
	uint64_t features;        /* GET_FEATURES, 0 if the kernel predates it */
	struct io_uring ring;     /* SQE128: a control command is 32 bytes */
};

/* Open /dev/ublk-control (path NULL) with clear errors: not loaded, kernel
 * too old, not root. */
int udrvi_blk_ctl_open(struct blk_ctl *c, const char *path);
void udrvi_blk_ctl_close(struct blk_ctl *c);
/* One control command, synchronously: the CQE's result. */
int udrvi_blk_ctl_cmd(struct blk_ctl *c, unsigned nr, uint32_t dev_id, void *buf, uint16_t len,
		      uint64_t data0);
const char *udrvi_blk_cmd_name(unsigned nr);

/* --- one ublk queue served by one thread (queue.c) ----------------------- */
enum blk_tag_state { TAG_FETCHING, TAG_SERVING, TAG_ABORTED };

struct blk_queue;
struct blk_tag {
	struct blk_queue *q;
	void *buf;
	struct blk_cmd cmd;
	uint16_t tag;
	uint8_t state;
};

#define MAX_NAP_US 10000u /* udrv_blk_opts.nap_us */

struct blk_qstats {             /* written by the queue thread, read by anyone */
	uint64_t reads, writes, flushes, discards, write_zeroes;
	uint64_t read_bytes, write_bytes, errors, nvme_cmds, sleeps, in_flight;
};

struct blk_queue {
	struct udrv_blk_dev *bd;
	unsigned id;
	struct io_uring ring;
	bool ring_ok;
	struct udrv_nvme_qpair *qp;
	const struct ublksrv_io_desc *descs;
	size_t descs_len;
	void *bufs;
	struct blk_tag *tags;
	uint16_t *retry;          /* tags whose NVMe submission found the queue full */
	unsigned nretry;
	unsigned aborted;         /* tags the kernel gave back (stop, exit) */
	bool dev_gone;
	uint64_t busy_since_ns;   /* last progress while commands were in flight */
	struct blk_qstats st;
};

struct udrv_blk_dev {
	char name[32];            /* "ublkN" once known, the log prefix */
	struct udrv_nvme_ctrl *ctrl;
	struct blk_ctl ctl;
	int cfd;                  /* /dev/ublkcN */
	struct ublksrv_ctrl_dev_info info;
	struct ublk_params params;
	struct blk_geom g;
	uint32_t nap_us;          /* opts->nap_us */
	bool recovering, started, stopped;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned ready, failed;   /* queues fetching / failed to set up */
	unsigned running;         /* queue threads not yet done (atomic) */
	struct blk_queue *queues;
};

static inline void blk_stat_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

#endif
