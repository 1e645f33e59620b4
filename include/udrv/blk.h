/* SPDX-License-Identifier: MIT */
/*
 * udrv block front-end: serve one NVMe namespace driven by udrv as a Linux
 * block device (/dev/ublkbN) through ublk (Linux 6.0+, module ublk_drv).
 *
 *   udrv_blk_create(ctrl, &opts, &bd)        ADD_DEV + SET_PARAMS, /dev/ublkcN
 *   per queue q, on a thread of the caller:  udrv_blk_queue_run(bd, q)
 *   udrv_blk_start(bd)                       START_DEV once every queue fetched
 *   ... /dev/ublkbN serves I/O ...
 *   udrv_blk_stop(bd)                        STOP_DEV: the queues drain and return
 *   join the queue threads, udrv_blk_destroy(bd)   flush done, DEL_DEV
 *
 * Each queue runs on one thread with its own io_uring and its own NVMe queue
 * pair; I/O buffers are udrv DMA memory, so the kernel copies once between
 * the bio's pages and the buffer the controller reads or writes. A queue
 * thread sleeps in io_uring_enter while no NVMe command is outstanding and
 * busy-polls the NVMe completion queue only while some are.
 *
 * Crash recovery (UBLK_F_USER_RECOVERY with REISSUE): when the serving
 * process dies, the kernel keeps /dev/ublkbN and queues its I/O; a new
 * process calls udrv_blk_recover() instead of udrv_blk_create() and the
 * device resumes. Requests the dead process had taken are reissued, so an
 * acknowledged write is never lost and an unacknowledged one is redone.
 *
 * Return values: 0 or a negative errno; errors are logged with what to do
 * (udrv_last_error()). -ENOENT: /dev/ublk-control missing (modprobe ublk_drv);
 * -EOPNOTSUPP: the kernel is too old for ublk or a needed feature.
 *
 * Thread safety: udrv_blk_queue_run(bd, q) runs on one thread per queue;
 * create/start/stop/destroy/info/stats from one control thread. stats may be
 * read from any thread while queues run (counters are relaxed atomics).
 */
#ifndef UDRV_BLK_H
#define UDRV_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <udrv/nvme.h>

#ifdef __cplusplus
extern "C" {
#endif

struct udrv_blk_dev;

struct udrv_blk_opts {
	size_t size;            /* sizeof(struct udrv_blk_opts) */
	uint32_t nsid;          /* namespace to serve (must be active) */
	uint16_t queues;        /* ublk queues = threads = NVMe qpairs; 0: 1 */
	uint16_t depth;         /* requests per queue; 0: 64; at most 4096 */
	uint32_t max_io_bytes;  /* largest request; 0: the controller's transfer
	                         * limit (MDTS, at most 1 MiB); rounded down to 4 KiB */
	int32_t dev_id;         /* ublk device number; -1: the kernel picks */
	uint64_t cookie;        /* kept by the kernel with the device (udrv_blk_query) */
};

/* Create /dev/ublkbN's control side for namespace opts->nsid of ctrl (which
 * must stay open until udrv_blk_destroy). The block device appears at
 * udrv_blk_start(). */
int udrv_blk_create(struct udrv_nvme_ctrl *ctrl, const struct udrv_blk_opts *opts,
		    struct udrv_blk_dev **out);

/* Attach to ublk device dev_id whose serving process died (state QUIESCED),
 * for namespace nsid of ctrl. Waits up to 10 s for the kernel to finish
 * quiescing it. -EBUSY: the device is live (its server still runs);
 * -ENODEV: no such device; -EINVAL: its size or block size is not the
 * namespace's. Queues and depth are the device's; opts->queues/depth are
 * ignored. Then run the queues and call udrv_blk_start() as after create. */
int udrv_blk_recover(struct udrv_nvme_ctrl *ctrl, uint32_t dev_id,
		     const struct udrv_blk_opts *opts, struct udrv_blk_dev **out);

/* Serve queue q (0 .. queues-1) on the calling thread until the device is
 * stopped. Returns 0 after a stop, a negative errno if the queue could not be
 * set up (udrv_blk_start() then fails too). */
int udrv_blk_queue_run(struct udrv_blk_dev *bd, unsigned q);

/* Wait until every queue is fetching (or one failed), then START_DEV (or
 * END_USER_RECOVERY after udrv_blk_recover). /dev/ublkbN exists on return. */
int udrv_blk_start(struct udrv_blk_dev *bd);

/* STOP_DEV: the kernel removes /dev/ublkbN after the I/O in flight finished;
 * each queue then flushes the controller's volatile write cache (if any) and
 * udrv_blk_queue_run returns. Safe to call more than once. */
int udrv_blk_stop(struct udrv_blk_dev *bd);

/* After every queue thread returned (or never started): close the character
 * device, DEL_DEV, free. */
void udrv_blk_destroy(struct udrv_blk_dev *bd);

struct udrv_blk_info {
	uint32_t dev_id;
	char path[32];          /* "/dev/ublkbN" */
	uint32_t nsid;
	uint64_t size_bytes;
	uint32_t lba_size;
	uint16_t queues, depth;
	uint32_t max_io_bytes;
	bool volatile_cache;    /* VWC: FLUSH and FUA reach the controller */
	bool discard;           /* Dataset Management (deallocate) */
	bool write_zeroes;      /* Write Zeroes (else the kernel writes zero pages) */
	bool recovered;         /* made by udrv_blk_recover */
};
void udrv_blk_info(const struct udrv_blk_dev *bd, struct udrv_blk_info *info);

struct udrv_blk_stats {
	uint64_t reads, writes, flushes, discards, write_zeroes;
	uint64_t read_bytes, write_bytes;
	uint64_t errors;        /* requests completed with an error */
	uint64_t nvme_cmds;     /* NVMe commands submitted */
	uint64_t sleeps;        /* times a queue thread slept in io_uring_enter */
	uint64_t in_flight;     /* requests being served now */
};
/* Sum over the queues. */
void udrv_blk_stats(const struct udrv_blk_dev *bd, struct udrv_blk_stats *st);
/* One queue's counters; zeroes for a queue that does not exist. */
void udrv_blk_queue_stats(const struct udrv_blk_dev *bd, unsigned q, struct udrv_blk_stats *st);

/* --- any ublk device on the system (udrv-blk list / remove) ------------ */
/* 0 if ublk can be used here; else the logged reason: -ENOENT ublk_drv not
 * loaded (modprobe ublk_drv), -EOPNOTSUPP kernel too old, -EACCES not root. */
int udrv_blk_available(void);
enum udrv_blk_state { UDRV_BLK_DEAD = 0, UDRV_BLK_LIVE = 1, UDRV_BLK_QUIESCED = 2 };

struct udrv_blk_query {
	uint32_t dev_id;
	enum udrv_blk_state state;
	int32_t pid;            /* the serving process (as the kernel recorded it) */
	uint16_t queues, depth;
	uint32_t max_io_bytes;
	uint64_t flags;         /* UBLK_F_* in effect */
	uint64_t cookie;        /* udrv_blk_opts.cookie (0 for other servers' devices) */
	uint64_t size_bytes;    /* 0 if parameters were never set */
	uint32_t lba_size;
};
/* Device numbers of the ublk devices that exist (from /sys/class/ublk-char),
 * ascending; returns how many (at most max stored), or -errno. */
int udrv_blk_list(uint32_t *ids, unsigned max);
int udrv_blk_query(uint32_t dev_id, struct udrv_blk_query *q);
/* STOP_DEV + DEL_DEV of a device no process serves (left after a crash). */
int udrv_blk_remove(uint32_t dev_id);

#ifdef __cplusplus
}
#endif
#endif
