/* SPDX-License-Identifier: MIT */
/*
 * udrv NVMe driver: a controller, its namespaces, and polled I/O queue pairs.
 *
 *   udrv_nvme_ctrl_open(dev, &opts, &ctrl)      bring-up, identify, namespaces
 *   udrv_nvme_qpair_create(ctrl, &qopts, &qp)  one per thread, interrupts off
 *   udrv_nvme_read(qp, nsid, buf, lba, n, 0, cb, arg)   queue a command
 *   udrv_nvme_qpair_poll(qp, 0)                ring doorbells, reap completions
 *
 * Submission calls only queue commands: the SQ tail doorbell is written once
 * per batch, by udrv_nvme_qpair_ring_doorbell() or implicitly by udrv_nvme_qpair_poll().
 * Every accepted command's callback runs exactly once, from
 * udrv_nvme_qpair_poll() (or udrv_nvme_qpair_destroy()) on the qpair's thread:
 * with the device's status, or with UDRV_NVME_STATUS_ABORTED when the driver
 * gave up on it (timeout that an Abort could not resolve, controller reset,
 * device failed or removed).
 *
 * cb may be NULL: the command runs and nothing is called back.
 * Callbacks may submit new requests on the same qpair, but must not poll it
 * (such a poll returns -EINVAL, logged). A submission from a callback that
 * finds the controller reset (or failed) returns -EAGAIN (-ENODEV); the next
 * poll re-creates the queues.
 *
 * Data buffers must be udrv DMA memory (udrv_dma_alloc or a udrv pool) and
 * start on a 4-byte (dword) boundary: NVMe data pointers (PRPs) cannot
 * address a byte offset (base spec 4.3.1). A buffer that does not is refused
 * with -EINVAL (logged); the device never sees it. Vectored requests on a
 * controller with SGLs may start unaligned (see udrv_nvme_readv).
 *
 * Return values: 0 or a negative errno. Submission returns -EAGAIN when the
 * queue is full (poll, then retry), -ERANGE for an LBA range outside the
 * namespace, -EINVAL for a bad argument (logged), -ENODEV once the device has
 * failed or gone, -EOPNOTSUPP when the controller lacks the command. Every
 * -EINVAL and -ERANGE is logged: udrv_last_error() then says what was wrong.
 *
 * Thread safety: a qpair belongs to one thread at a time: its submit, poll,
 * flush and destroy calls must not race. A poll while another thread polls
 * the same qpair, and a submission that leaves the fast path meanwhile, are
 * detected and refused with -EBUSY (logged as the application's mistake);
 * detection is cheap, hence best effort, not a lock. Controller calls (admin commands,
 * log pages, qpair create, reset, info) take the controller's admin lock and
 * may be called from any thread. udrv_nvme_ctrl_close() must not race with
 * anything else on the controller.
 */
#ifndef UDRV_NVME_H
#define UDRV_NVME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <udrv/dev.h>

#ifdef __cplusplus
extern "C" {
#endif

struct udrv_nvme_ctrl;
struct udrv_nvme_qpair;

/* --- completion status ---------------------------------------------------
 * status is the NVMe status field without the phase tag: bits 7:0 Status
 * Code, 10:8 Status Code Type, 13:11 CRD, 14 More, 15 Do Not Retry. */
#define UDRV_NVME_SC(status) ((status) & 0xffu)
#define UDRV_NVME_SCT(status) (((status) >> 8) & 0x7u)
#define UDRV_NVME_DNR(status) (((status) >> 14) & 0x1u)
#define UDRV_NVME_STATUS_OK(status) (((status) & 0x7ffu) == 0)
/* Generic: Command Abort Requested (an Abort command removed it). */
#define UDRV_NVME_STATUS_ABORT_REQUESTED 0x0007u
/* Path related: Host Aborted Command -- the driver completed the request
 * itself (timeout, reset, device failure). Never sent by a device here. */
#define UDRV_NVME_STATUS_ABORTED 0x0371u

struct udrv_nvme_cpl {
	uint32_t cdw0;    /* command specific (DW0 of the completion) */
	uint16_t status;  /* see above; 0 is success */
	uint16_t sqid;
};

typedef void (*udrv_nvme_cb)(void *arg, const struct udrv_nvme_cpl *cpl);

/* udrv_nvme_status_str - @status as text for messages ("SCT 0 SC 0x02
 * Invalid Field in Command", " (DNR)" appended when set), written into @buf
 * (@len bytes, the caller's; 64 is enough; truncated to fit).
 * Returns @buf. Context: any thread, also a completion callback. */
const char *udrv_nvme_status_str(uint16_t status, char *buf, size_t len);

/* --- controller ------------------------------------------------------- */
enum udrv_nvme_ctrl_flags {
	UDRV_NVME_CTRL_NO_SGL = 1u << 0,       /* use PRPs even if SGLs are offered */
	UDRV_NVME_CTRL_NO_SHADOW_DB = 1u << 1, /* do not use Doorbell Buffer Config */
	/* Use Doorbell Buffer Config whenever the controller offers it. Without
	 * either flag the driver decides at bring-up: shadow doorbells when
	 * offered, except on a fully emulated CPU (QEMU TCG), where an MMIO
	 * write costs no VM exit and the shadow reads cost more than they save
	 * (docs/nvme.md, "Doorbells"). */
	UDRV_NVME_CTRL_SHADOW_DB = 1u << 2,
};

struct udrv_nvme_ctrl_opts {
	size_t size;              /* sizeof(struct udrv_nvme_ctrl_opts) */
	uint32_t admin_queue_size;/* 0: 32; 2..4096 */
	uint32_t io_queues;       /* I/O queue pairs to ask for; 0: 64 */
	uint32_t admin_timeout_ms;/* 0: 10000 */
	uint32_t max_xfer;        /* bytes per command cap; 0: min(MDTS, 1 MiB) */
	uint32_t flags;           /* enum udrv_nvme_ctrl_flags */
};

/* udrv_nvme_ctrl_open - bring up the NVMe controller behind @dev (PCI or
 * model): claim the device, map BAR0, enable (CC.EN), Identify, Set Features
 * Number of Queues, shadow doorbells when used, scan the active namespaces.
 * @dev:  an open device; the caller keeps it open until udrv_nvme_ctrl_close
 * @opts: NULL or zero fields: the defaults above
 * @out:  receives the controller
 * Returns 0; -EINVAL (NULL argument, opts->size 0); -ENODEV (not PCI class
 * 01:08, BAR0 too small, registers read all ones, a failed bring-up);
 * -EBUSY (the device is already driven: udrv_dev_claim); -EOPNOTSUPP (no
 * NVM command set, no 4 KiB pages, queue entries above 64/16 bytes);
 * -ETIMEDOUT (CSTS.RDY or an admin command); -EIO (CSTS.CFS, an admin
 * command failed); -ENOMEM; the errors of
 * udrv_dev_map_bar and udrv_dma_alloc. All logged.
 * Context: any thread. Ownership: the caller's until udrv_nvme_ctrl_close;
 * the controller claims @dev meanwhile. */
int udrv_nvme_ctrl_open(struct udrv_dev *dev, const struct udrv_nvme_ctrl_opts *opts,
			struct udrv_nvme_ctrl **out);
/* udrv_nvme_ctrl_close - destroy remaining qpairs (their requests complete
 * with ABORTED, their handles become invalid), shut the controller down
 * (CC.SHN, waiting up to CAP.TO) unless it failed, give up the claim on the
 * device and free everything. NULL is ignored. dev stays open. The
 * controller owns dev while open (udrv_dev_claim): a second controller on
 * it, or udrv_dev_close before this, is refused with -EBUSY. udrv_fini with
 * the controller open fails it: requests in flight complete with ABORTED,
 * later calls return -ENODEV, and this still frees the handles.
 * Context: any thread, not racing with any other call on the controller or
 * its qpairs (their owners must have stopped), not from a callback. */
void udrv_nvme_ctrl_close(struct udrv_nvme_ctrl *ctrl);
/* udrv_nvme_ctrl_dev - the device the controller was opened on.
 * Context: any thread. */
struct udrv_dev *udrv_nvme_ctrl_dev(const struct udrv_nvme_ctrl *ctrl);

struct udrv_nvme_ctrl_info {
	uint16_t vid, ssvid;
	char serial[21], model[41], firmware[9]; /* trailing spaces removed */
	uint32_t version;         /* VS register: major << 16 | minor << 8 | tertiary */
	uint32_t mdts_bytes;      /* controller limit; 0 = none */
	uint32_t max_xfer_bytes;  /* what the driver puts in one command */
	uint32_t max_queue_entries; /* CAP.MQES + 1 */
	uint32_t io_queues;       /* I/O queue pairs granted by Set Features */
	uint32_t nn;              /* Identify NN */
	uint32_t timeout_ms;      /* CAP.TO */
	uint32_t doorbell_stride; /* bytes */
	uint16_t oncs, oacs;
	bool vwc;                 /* volatile write cache present */
	bool sgl;                 /* SGLs supported by the controller */
	bool sgl_used;            /* ... and used by the driver */
	bool shadow_db;           /* Doorbell Buffer Config supported */
	bool shadow_db_used;
	uint64_t cmb_bytes;       /* Controller Memory Buffer size; 0 = none */
};
/* udrv_nvme_ctrl_info - copy what bring-up learnt of the controller into
 * @info. Returns 0; -EINVAL (NULL argument). Context: any thread. */
int udrv_nvme_ctrl_info(struct udrv_nvme_ctrl *ctrl, struct udrv_nvme_ctrl_info *info);

struct udrv_nvme_ns_info {
	uint32_t nsid;
	uint32_t lba_size;        /* bytes */
	uint16_t metadata_size;   /* bytes per LBA (udrv does not transfer metadata) */
	uint64_t blocks;          /* NSZE */
	uint64_t capacity_bytes;  /* blocks * lba_size */
};
/* udrv_nvme_ns_count - the number of active namespaces (scanned at open).
 * Context: any thread. */
unsigned udrv_nvme_ns_count(const struct udrv_nvme_ctrl *ctrl);
/* udrv_nvme_ns_info - active namespace number @index (0 ..
 * udrv_nvme_ns_count() - 1, in nsid order) into @info.
 * Returns 0; -EINVAL (@index out of range, @info NULL). Context: any thread. */
int udrv_nvme_ns_info(const struct udrv_nvme_ctrl *ctrl, unsigned index,
		      struct udrv_nvme_ns_info *info);
/* udrv_nvme_ns_find - the active namespace @nsid into @info (may be NULL:
 * only the check). Returns 0; -ENOENT (@nsid is not an active namespace).
 * Context: any thread. */
int udrv_nvme_ns_find(const struct udrv_nvme_ctrl *ctrl, uint32_t nsid,
		      struct udrv_nvme_ns_info *info);

/* udrv_nvme_ctrl_reset - reset the controller (CC.EN 1 -> 0 -> 1, admin
 * queue, features and shadow doorbells again).
 * Every outstanding admin command completes with ABORTED now; each I/O qpair
 * completes its outstanding requests with ABORTED and re-creates its queues
 * on its owner's next poll or submit.
 * Returns 0; -EINVAL (@ctrl NULL); -ENODEV (the controller has failed or the
 * device is gone); a failed step's error (-ETIMEDOUT, -EIO; the controller
 * is then declared failed). Logged.
 * Context: any thread (the admin lock), not from a completion callback. */
int udrv_nvme_ctrl_reset(struct udrv_nvme_ctrl *ctrl);

/* udrv_nvme_ctrl_failed - true once the controller was declared failed
 * (CSTS.CFS, all-ones register reads, failed reset, device removal,
 * udrv_fini); it stays failed until closed. Context: any thread (atomic),
 * also a completion callback. */
bool udrv_nvme_ctrl_failed(const struct udrv_nvme_ctrl *ctrl);

/* --- admin ------------------------------------------------------------- */
/* A command for passthrough: the driver fills CID and the data pointer. */
struct udrv_nvme_cmd {
	uint8_t opcode;
	uint8_t rsvd[3];
	uint32_t nsid;
	uint32_t cdw2, cdw3;
	uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

/* udrv_nvme_admin_cmd - a synchronous admin command (passthrough): submit
 * @cmd on the admin queue and poll until it completes. The driver fills the
 * command id and the data pointer.
 * @buf:        udrv DMA memory (NULL with @len 0), the caller's, transferred
 *              in the direction the opcode implies
 * @len:        at most the transfer limit (udrv_nvme_ctrl_info.max_xfer_bytes)
 * @cpl:        receives the completion (may be NULL)
 * @timeout_ms: 0: the controller's admin_timeout_ms
 * Returns 0 if the command completed (check cpl->status; -EIO is returned
 * instead when @cpl is NULL and the status is not success); -EINVAL (NULL
 * @ctrl or @cmd, @len without @buf, @len above the limit, @buf not DMA
 * memory: logged); -EBUSY (the admin queue is full); -ETIMEDOUT (logged; the
 * command is abandoned: reset the controller); -ENODEV (failed or removed).
 * Context: any thread (the admin lock; it waits), not from a completion
 * callback. */
int udrv_nvme_admin_cmd(struct udrv_nvme_ctrl *ctrl, const struct udrv_nvme_cmd *cmd,
			void *buf, size_t len, struct udrv_nvme_cpl *cpl, uint32_t timeout_ms);

/* udrv_nvme_get_log_page - Get Log Page @lid for @nsid (0xffffffff: the
 * controller) into @buf (any memory, the caller's: bounced through DMA
 * memory).
 * @len: a non-zero multiple of 4, at most the transfer limit
 * Returns 0; -EINVAL (NULL, bad @len: logged); -EIO (the command failed,
 * logged with its status); -ENOMEM; the errors of udrv_nvme_admin_cmd.
 * Context: any thread (the admin lock), not from a completion callback. */
int udrv_nvme_get_log_page(struct udrv_nvme_ctrl *ctrl, uint32_t nsid, uint8_t lid,
			   void *buf, size_t len);

struct udrv_nvme_health {
	uint8_t critical_warning;
	uint16_t temperature_k;
	uint8_t avail_spare, spare_thresh, percent_used;
	/* the low 64 bits of the 128-bit counters */
	uint64_t data_units_read, data_units_written, host_reads, host_writes;
	uint64_t power_cycles, power_on_hours, unsafe_shutdowns, media_errors;
	uint64_t error_log_entries;
};
/* udrv_nvme_health - the SMART / Health Information log (controller-wide)
 * into @h. Returns 0; -EINVAL (@h NULL); the errors of
 * udrv_nvme_get_log_page. Context: as udrv_nvme_get_log_page. */
int udrv_nvme_health(struct udrv_nvme_ctrl *ctrl, struct udrv_nvme_health *h);

struct udrv_nvme_error_entry {
	uint64_t error_count;
	uint16_t sqid, cid, status; /* status without the phase tag */
	uint64_t lba;
	uint32_t nsid;
};
/* udrv_nvme_error_log - read the first min(@max, 64) entries of the Error
 * Information log and store the non-empty ones (error_count != 0) in @e.
 * Returns how many were stored; -EINVAL (@e NULL, @max 0); the errors of
 * udrv_nvme_get_log_page. Context: as udrv_nvme_get_log_page. */
int udrv_nvme_error_log(struct udrv_nvme_ctrl *ctrl, struct udrv_nvme_error_entry *e,
			unsigned max);

/* --- I/O queue pairs --------------------------------------------------- */
enum udrv_nvme_qpair_flags {
	UDRV_NVME_QPAIR_PREFER_SGL = 1u << 0, /* SGL for every transfer if supported */
};

struct udrv_nvme_qpair_opts {
	size_t size;          /* sizeof(struct udrv_nvme_qpair_opts) */
	uint32_t queue_size;  /* entries; 0: 256; rounded up to a power of two, then
	                       * limited to CAP.MQES + 1 and 4096 (rounded down) */
	uint32_t timeout_ms;  /* per-request timeout; 0: 10000 */
	uint32_t flags;       /* enum udrv_nvme_qpair_flags */
};

/* udrv_nvme_qpair_create - create an I/O SQ/CQ pair (interrupts off) on the
 * lowest free queue id, for one thread to submit on and poll.
 * @opts: NULL or zero fields: the defaults above
 * @out:  receives the qpair
 * Returns 0; -EINVAL (NULL argument, opts->size 0, a queue size below 2:
 * logged); -EBUSY (every granted queue id is in use: logged); -ENODEV (the
 * controller failed); -ENOMEM (DMA memory); -EIO, -ETIMEDOUT (Create I/O
 * Queue failed, logged).
 * Context: any thread (the admin lock), not from a completion callback.
 * Ownership: the caller's until udrv_nvme_qpair_destroy or
 * udrv_nvme_ctrl_close. */
int udrv_nvme_qpair_create(struct udrv_nvme_ctrl *ctrl, const struct udrv_nvme_qpair_opts *opts,
			   struct udrv_nvme_qpair **out);
/* udrv_nvme_qpair_destroy - delete the queues on the device, complete the
 * outstanding requests with ABORTED (their callbacks run here, on the
 * calling thread), free the qpair. NULL is ignored.
 * Context: the qpair's owner thread (not racing with its poll or
 * submissions), not from one of its own callbacks; takes the admin lock. */
void udrv_nvme_qpair_destroy(struct udrv_nvme_qpair *qp);

/* udrv_nvme_qpair_ring_doorbell - write the SQ tail doorbell if commands
 * were queued since the last one (named for what it does; udrv_nvme_flush()
 * is the NVMe Flush command). Formerly udrv_nvme_qpair_flush.
 * Context: the qpair's owner thread, also from its callbacks; no lock, no
 * system call. */
void udrv_nvme_qpair_ring_doorbell(struct udrv_nvme_qpair *qp);

/* udrv_nvme_qpair_poll - ring the doorbell, then reap up to @max completions
 * (0: no limit) and run their callbacks on this thread. Also handles timeouts
 * (checked every timeout/4, at most every 100 ms: a request expires between its
 * timeout and 1.25 times it; a thread that does not poll times nothing out),
 * controller resets, device failure and device events (hot-unplug), the latter
 * noticed at the same checks.
 * Returns the number of completions, or -ENODEV when the device failed (all
 * outstanding requests have then completed with ABORTED), -EINVAL when
 * called from one of the qpair's own callbacks, -EBUSY when another thread
 * is polling it (both logged, nothing done).
 * Context: the qpair's owner thread; not from its own callbacks. No lock and
 * no system call unless a timeout, reset or failure is handled. */
int udrv_nvme_qpair_poll(struct udrv_nvme_qpair *qp, unsigned max);

/* udrv_nvme_qpair_outstanding - commands submitted and not yet completed
 * (a split request counts each of its commands). Context: the owner thread
 * (a plain read: another thread sees a stale value). */
unsigned udrv_nvme_qpair_outstanding(const struct udrv_nvme_qpair *qp);
/* udrv_nvme_qpair_depth - most commands that can be outstanding at once
 * (the queue size after rounding, minus 1). Context: any thread. */
unsigned udrv_nvme_qpair_depth(const struct udrv_nvme_qpair *qp);
/* udrv_nvme_qpair_id - the NVMe queue id (1..io_queues). Context: any thread. */
uint16_t udrv_nvme_qpair_id(const struct udrv_nvme_qpair *qp);

struct udrv_nvme_qpair_stats {
	uint64_t submitted;   /* commands placed in the SQ */
	uint64_t completed;   /* callbacks run */
	uint64_t doorbells;   /* SQ tail doorbell MMIO writes */
	uint64_t bad_cpls;    /* completions rejected (bad id, not in flight, ...) */
	uint64_t timeouts;
	uint64_t aborts_sent;
	uint64_t resets;      /* times the queues were re-created after a reset */
	uint64_t cq_doorbells; /* CQ head doorbell MMIO writes */
};
/* udrv_nvme_qpair_stats - copy the qpair's counters (since creation) into
 * @st. Context: the owner thread (plain reads: from another thread a torn
 * snapshot). */
void udrv_nvme_qpair_stats(const struct udrv_nvme_qpair *qp, struct udrv_nvme_qpair_stats *st);

/* --- I/O commands ------------------------------------------------------
 * nlb is a count of logical blocks (>= 1). Reads and writes larger than the
 * controller's transfer limit are split into several commands; the callback
 * runs once, after all of them, with the first error status. A request is
 * split into at most UDRV_NVME_MAX_SPLIT commands (-EINVAL beyond), each
 * taking a queue entry. */
#define UDRV_NVME_MAX_SPLIT 64u
/* io_flags: a bitwise OR of these; any other bit is refused with -EINVAL. */
#define UDRV_NVME_IO_FUA (1u << 0) /* Force Unit Access (write, read, compare) */

/* udrv_nvme_read - queue a Read of @nlb blocks from @lba of namespace @nsid
 * into @buf; @cb(@arg, cpl) runs once from a later poll.
 * @buf:      udrv DMA memory, dword aligned, nlb * LBA size bytes
 * @io_flags: 0 or UDRV_NVME_IO_FUA
 * @cb:       may be NULL (nothing is called back)
 * Returns 0 (queued: the callback will run); -EAGAIN (the queue is full:
 * poll, then retry); -ERANGE (the range is outside the namespace); -EINVAL
 * (inactive @nsid, @nlb 0, unknown @io_flags, @buf not DMA memory or not
 * dword aligned, more than UDRV_NVME_MAX_SPLIT commands, or more than the
 * queue holds); -EBUSY (another thread is polling the qpair); -ENODEV (the
 * controller failed). -ERANGE, -EINVAL and -EBUSY are logged; on any error
 * nothing was queued and @cb will not run.
 * Context: the qpair's owner thread, also from its callbacks (a submission
 * that finds the controller reset then returns -EAGAIN until the next poll).
 * Ownership: @buf and @arg stay the caller's; keep @buf untouched until @cb
 * ran. */
int udrv_nvme_read(struct udrv_nvme_qpair *qp, uint32_t nsid, void *buf, uint64_t lba,
		   uint32_t nlb, uint32_t io_flags, udrv_nvme_cb cb, void *arg);
/* udrv_nvme_write - queue a Write of @nlb blocks of @buf to @lba.
 * Parameters, returns, Context and Ownership as udrv_nvme_read. */
int udrv_nvme_write(struct udrv_nvme_qpair *qp, uint32_t nsid, const void *buf, uint64_t lba,
		    uint32_t nlb, uint32_t io_flags, udrv_nvme_cb cb, void *arg);
/* udrv_nvme_compare - queue a Compare of @buf with @nlb blocks at @lba (the
 * status is Compare Failure, SCT 2 SC 0x85, when they differ).
 * As udrv_nvme_read; also -EOPNOTSUPP (the controller has no Compare, ONCS
 * bit 0; not logged). Context: as udrv_nvme_read. */
int udrv_nvme_compare(struct udrv_nvme_qpair *qp, uint32_t nsid, const void *buf, uint64_t lba,
		      uint32_t nlb, uint32_t io_flags, udrv_nvme_cb cb, void *arg);
/* udrv_nvme_readv / udrv_nvme_writev - vectored Read / Write: the @iovcnt
 * elements of @iov (udrv DMA memory; the array itself may be freed on
 * return) add up to @nlb blocks. Beyond the transfer
 * limit the request is split like udrv_nvme_read's (a cut may fall inside an
 * element; one callback; at most 64 commands, -EINVAL beyond). Without SGL
 * support every element but the first must start on a 4 KiB page and every
 * one but the last must end on one (PRP rules); -EINVAL otherwise (logged,
 * naming the element). Also -EINVAL for @iov NULL, @iovcnt <= 0, an empty
 * element, or lengths that do not add up to @nlb blocks.
 * Otherwise returns, Context and Ownership as udrv_nvme_read. */
int udrv_nvme_readv(struct udrv_nvme_qpair *qp, uint32_t nsid, const struct iovec *iov, int iovcnt,
		    uint64_t lba, uint32_t nlb, uint32_t io_flags, udrv_nvme_cb cb, void *arg);
int udrv_nvme_writev(struct udrv_nvme_qpair *qp, uint32_t nsid, const struct iovec *iov, int iovcnt,
		     uint64_t lba, uint32_t nlb, uint32_t io_flags, udrv_nvme_cb cb, void *arg);
/* udrv_nvme_flush - queue an NVMe Flush (commit the volatile write cache)
 * of namespace @nsid (0xffffffff: every namespace; not checked by the
 * driver). Not udrv_nvme_qpair_ring_doorbell.
 * Returns 0; -EAGAIN; -EBUSY; -ENODEV, as udrv_nvme_read.
 * Context and Ownership as udrv_nvme_read. */
int udrv_nvme_flush(struct udrv_nvme_qpair *qp, uint32_t nsid, udrv_nvme_cb cb, void *arg);
/* udrv_nvme_write_zeroes - queue a Write Zeroes of @nlb blocks at @lba (no
 * data transfer). @nlb at most 65536 (one command: -EINVAL beyond, logged).
 * As udrv_nvme_read; also -EOPNOTSUPP (ONCS has no Write Zeroes; not
 * logged). Context: as udrv_nvme_read. */
int udrv_nvme_write_zeroes(struct udrv_nvme_qpair *qp, uint32_t nsid, uint64_t lba, uint32_t nlb,
			   uint32_t io_flags, udrv_nvme_cb cb, void *arg);

struct udrv_nvme_range {
	uint64_t lba;
	uint32_t nlb;
};
/* udrv_nvme_deallocate - queue a Dataset Management command with the
 * Deallocate attribute for @n ranges of namespace @nsid (copied: @ranges may
 * be freed on return).
 * @n: 1 .. udrv_nvme_qpair_max_dsm_ranges(qp)
 * Returns 0; -EOPNOTSUPP (ONCS has no DSM; not logged); -EINVAL (@n out of
 * range, @ranges NULL, a range of 0 blocks or an inactive @nsid: logged);
 * -ERANGE (a range outside the namespace: logged); -EAGAIN; -EBUSY; -ENODEV.
 * Context and Ownership as udrv_nvme_read. */
int udrv_nvme_deallocate(struct udrv_nvme_qpair *qp, uint32_t nsid,
			 const struct udrv_nvme_range *ranges, unsigned n, udrv_nvme_cb cb, void *arg);
/* udrv_nvme_qpair_max_dsm_ranges - most ranges one udrv_nvme_deallocate
 * takes on this qpair (at most 256, the NVMe limit). Context: any thread. */
unsigned udrv_nvme_qpair_max_dsm_ranges(const struct udrv_nvme_qpair *qp);

/* udrv_nvme_io_raw - I/O passthrough: queue @cmd (copied) on the qpair; the
 * driver fills the command id and the data pointer for @buf (udrv DMA
 * memory, dword aligned, @len at most the transfer limit; NULL with @len 0).
 * The driver does not check the command's namespace or LBAs.
 * Returns 0; -EINVAL (@cmd NULL, @len without @buf or above the limit, @buf
 * not DMA memory: logged); -EAGAIN; -EBUSY; -ENODEV, as udrv_nvme_read.
 * Context and Ownership as udrv_nvme_read. */
int udrv_nvme_io_raw(struct udrv_nvme_qpair *qp, const struct udrv_nvme_cmd *cmd, void *buf,
		     size_t len, udrv_nvme_cb cb, void *arg);

#ifdef __cplusplus
}
#endif
#endif
