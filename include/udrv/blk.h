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
 *   join the queue threads, udrv_blk_destroy(bd)   flush done, DEL_DEV_ASYNC
 *                                            (DEL_DEV before Linux 6.9)
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
	uint32_t nap_us;        /* 0: a queue thread with NVMe commands in flight
	                         * polls without pause (lowest latency, a whole
	                         * core). N: after N microseconds of polling with no
	                         * completion and no new request it sleeps in
	                         * io_uring_enter for up to N microseconds, then
	                         * polls again: for devices emulated by the host's
	                         * own CPUs, or cores shared with the application.
	                         * At most 10000. Optional: a caller built before
	                         * this field (smaller opts->size) gets 0. */
};

/* udrv_blk_create - create /dev/ublkbN's control side for namespace
 * opts->nsid of @ctrl: ADD_DEV, SET_PARAMS, open /dev/ublkcN. The block
 * device appears at udrv_blk_start(). The kernel may grant fewer queues (one
 * per CPU; udrv_blk_info says how many to run).
 * @opts: required, opts->size = sizeof(struct udrv_blk_opts)
 * @out:  receives the device
 * Returns 0; -EINVAL (NULL argument, opts->size too small, depth above 4096
 * or more than 64 queues); -ENOENT (/dev/ublk-control missing, or @nsid not
 * active); -EOPNOTSUPP (kernel too old, or a namespace format ublk cannot
 * serve: metadata, an LBA above 4096 bytes); -EACCES; -EEXIST (opts->dev_id
 * taken); -ENOMEM; another -errno of the ublk commands. Logged, except the
 * NULL and size checks.
 * Context: the control thread. Ownership: the caller's until
 * udrv_blk_destroy; @ctrl must stay open until then. */
int udrv_blk_create(struct udrv_nvme_ctrl *ctrl, const struct udrv_blk_opts *opts,
		    struct udrv_blk_dev **out);

/* udrv_blk_recover - attach to ublk device @dev_id whose serving process
 * died (state QUIESCED), for namespace opts->nsid of @ctrl. Waits up to 30 s
 * for the kernel to finish quiescing it (START_USER_RECOVERY answers -EBUSY
 * until the old process's io_uring and /dev/ublkcN are released).
 * Queues and depth are the device's; opts->queues/depth are ignored. Then run
 * the queues and call udrv_blk_start() as after create.
 * Returns 0; -EBUSY (the device is live: its server still runs; or it did
 * not quiesce in time); -ENODEV (no such device); -EOPNOTSUPP (created
 * without UBLK_F_USER_RECOVERY); -EINVAL (NULL argument, opts->size too
 * small, its size or block size is not the namespace's); -ENOENT; -ENOMEM;
 * another -errno of the ublk commands. Logged as for udrv_blk_create.
 * Context and Ownership as udrv_blk_create. */
int udrv_blk_recover(struct udrv_nvme_ctrl *ctrl, uint32_t dev_id,
		     const struct udrv_blk_opts *opts, struct udrv_blk_dev **out);

/* udrv_blk_queue_run - serve queue @q (0 .. udrv_blk_info().queues - 1) on
 * the calling thread until the device is stopped: its io_uring, its NVMe
 * qpair, its DMA buffers are made and freed here. The last queue to return
 * after a started device flushes the controller's write cache.
 * Returns 0 after a stop; -EINVAL (@bd NULL, @q out of range: not counted
 * by udrv_blk_start, which then waits for ever); the negative errno of a
 * failed setup (qpair, DMA memory, io_uring: logged; udrv_blk_start() then
 * fails too).
 * Context: one thread per queue, its own; it blocks until the stop. */
int udrv_blk_queue_run(struct udrv_blk_dev *bd, unsigned q);

/* udrv_blk_start - wait until every queue is fetching (or one failed), then
 * START_DEV (or END_USER_RECOVERY after udrv_blk_recover). /dev/ublkbN
 * exists on return. A udrv_blk_queue_run thread must be running for every
 * queue, else this waits for ever.
 * Returns 0; -EIO (a queue could not be set up, logged); the -errno of
 * START_DEV / END_USER_RECOVERY (logged).
 * Context: the control thread; it blocks. */
int udrv_blk_start(struct udrv_blk_dev *bd);

/* udrv_blk_stop - STOP_DEV: the kernel removes /dev/ublkbN after the I/O in
 * flight finished; the queues then get their tags back, the last one flushes
 * the controller's volatile write cache (if any), and udrv_blk_queue_run
 * returns. Also for a device never started (the queues' fetches are
 * cancelled). Safe to call more than once (0 after the first success).
 * Returns 0; the -errno of STOP_DEV (logged).
 * Context: the control thread (not a queue thread, not a signal handler,
 * not concurrently with other control calls on @bd). */
int udrv_blk_stop(struct udrv_blk_dev *bd);

/* udrv_blk_destroy - after every queue thread returned (or never started):
 * close the character device, delete the device (DEL_DEV_ASYNC, which does
 * not wait for a filesystem still mounted on the removed /dev/ublkbN; the
 * waiting DEL_DEV before Linux 6.9), free @bd. NULL is ignored. A failed
 * delete is logged. Context: the control thread. */
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
/* udrv_blk_info - what the device serves, as the kernel granted it, into
 * @info. Context: any thread. */
void udrv_blk_info(const struct udrv_blk_dev *bd, struct udrv_blk_info *info);

struct udrv_blk_stats {
	uint64_t reads, writes, flushes, discards, write_zeroes;
	uint64_t read_bytes, write_bytes;
	uint64_t errors;        /* requests completed with an error */
	uint64_t nvme_cmds;     /* NVMe commands submitted */
	uint64_t sleeps;        /* times a queue thread slept in io_uring_enter */
	uint64_t in_flight;     /* requests being served now */
};
/* udrv_blk_stats - the counters summed over the queues into @st (relaxed
 * atomic reads: a recent snapshot while the queues run).
 * Context: any thread. */
void udrv_blk_stats(const struct udrv_blk_dev *bd, struct udrv_blk_stats *st);
/* udrv_blk_queue_stats - queue @q's counters into @st; zeroes for a queue
 * that does not exist. Context: any thread. */
void udrv_blk_queue_stats(const struct udrv_blk_dev *bd, unsigned q, struct udrv_blk_stats *st);

/* --- any ublk device on the system (udrv-blk list / remove) ------------ */
/* udrv_blk_available - 0 if ublk can be used here (opens /dev/ublk-control
 * and an io_uring, then closes them); else the logged reason: -ENOENT
 * ublk_drv not loaded (modprobe ublk_drv), -EOPNOTSUPP kernel too old,
 * -EACCES not root, -EPERM/-ENOSYS io_uring disabled. Context: any thread. */
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
/* udrv_blk_list - device numbers of the ublk devices that exist (from
 * /sys/class/ublk-char), ascending, into @ids (the caller's, @max entries).
 * Returns how many exist (more than @max: only @max stored; 0 without
 * ublk_drv); -errno of opendir. Context: any thread. */
int udrv_blk_list(uint32_t *ids, unsigned max);
/* udrv_blk_query - what the kernel knows of ublk device @dev_id (any
 * server's) into @q (zeroed first).
 * Returns 0; -ENODEV (no such device); the errors of udrv_blk_available.
 * Context: any thread. */
int udrv_blk_query(uint32_t dev_id, struct udrv_blk_query *q);
/* udrv_blk_remove - STOP_DEV, then DEL_DEV_ASYNC (DEL_DEV before Linux 6.9),
 * of a device no process serves (left after a crash; its waiting I/O fails).
 * Returns 0; -EBUSY (a live process serves it: stop that one); -ENODEV (no
 * such device); the errors of udrv_blk_available; another -errno of the
 * ublk commands. Logged. Context: any thread. */
int udrv_blk_remove(uint32_t dev_id);

#ifdef __cplusplus
}
#endif
#endif
