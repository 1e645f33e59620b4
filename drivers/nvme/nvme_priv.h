/* SPDX-License-Identifier: MIT */
/*
 * NVMe driver internals: controller, queue pair and request state, and the
 * helpers shared by the driver's files. Driver state lives here, in private
 * memory; rings and PRP lists in DMA memory hold only what the device reads
 * or writes, and nothing the device writes is trusted.
 */
#ifndef UDRV_NVME_PRIV_H
#define UDRV_NVME_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <udrv/log.h>
#include <udrv/mem.h>
#include <udrv/mmio.h>
#include <udrv/nvme.h>

#include "regs.h"
#include "model_hook.h" /* udrvi_model_waiting */

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define NVME_LOG_ERR(ctrl, ...) udrv_log(UDRV_LOG_ERROR, (ctrl)->name, __VA_ARGS__)
#define NVME_LOG_WARN(ctrl, ...) udrv_log(UDRV_LOG_WARN, (ctrl)->name, __VA_ARGS__)
#define NVME_LOG_INFO(ctrl, ...) udrv_log(UDRV_LOG_INFO, (ctrl)->name, __VA_ARGS__)

/* Command ids: request index in bits 11:0, a 4-bit generation in 15:12, so a
 * completion for an earlier use of the same request is told apart. */
#define NVME_CID_IDX_BITS 12
#define NVME_CID_IDX_MASK ((1u << NVME_CID_IDX_BITS) - 1)
#define NVME_MAX_QUEUE_SIZE 4096u
/* Highest namespace id driven: the namespace table is indexed by nsid and
 * sized by the largest active one (at most 8192 * 24 bytes). */
#define NVME_MAX_NSID 8192u

/* A poll that finds nothing only peeks at the CQ head; every this many empty
 * polls in a row one polls fully (lagging CQ head doorbell, timeout clock). */
#define NVME_IDLE_POLLS 16u

#define NVME_DEFAULT_IO_QSIZE 256u
#define NVME_DEFAULT_ADMIN_QSIZE 32u
#define NVME_DEFAULT_TIMEOUT_MS 10000u
#define NVME_DEFAULT_MAX_XFER (1u << 20)
#define NVME_LIST_SLOT_MIN 1024u /* bytes of PRP/SGL/DSM list per request */

/* Monotonic ticks for deadlines: the TSC on x86-64 (no system call, one
 * instruction), else CLOCK_MONOTONIC in ns (vDSO). */
extern uint64_t udrvi_nvme_ticks_per_ms;
void udrvi_nvme_ticks_init(void);
static inline uint64_t udrvi_nvme_ticks(void)
{
#if defined(__x86_64__)
	uint32_t lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
#else
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}

static inline uint64_t nvme_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Bring-up and shutdown phases for UDRV_LOG=debug ("timing: PHASE N ms"). */
#define NVME_TIMING(ctrl, what, t0)                                                          \
	do {                                                                                 \
		if (udrv_log_get_level() >= UDRV_LOG_DEBUG)                                  \
			udrv_log(UDRV_LOG_DEBUG, (ctrl)->name, "timing: %s %.3f ms", what,   \
				 (double)(nvme_now_ns() - (t0)) / 1e6);                      \
	} while (0)

enum nvme_req_state {
	NVME_REQ_FREE = 0,
	NVME_REQ_INFLIGHT = 1,    /* in flight, a whole request: parent = self, pending = 1 */
	NVME_REQ_ABORT_SENT = 2,  /* in flight, and an Abort was sent for it */
	NVME_REQ_INFLIGHT_PART = 3, /* in flight, one command of a split request */
};

/* One cache line. The fields a whole request touches on submission and
 * completion come first; the rest serve splits, lists and timeouts. */
struct nvme_req {
	udrv_nvme_cb cb;
	void *arg;
	/* state, cid and stamp as one word, so submission writes them in one
	 * store (stamp 0) and a completion checks cid and state in one compare
	 * (cid_state == NVME_CID_STATE(its CID, NVME_REQ_INFLIGHT)); rsvd is 0.
	 * The cid in the high half is where the SQE's first dword has it. */
	union {
		struct {
			union {
				struct {
					uint8_t state;  /* enum nvme_req_state */
					uint8_t rsvd;
					uint16_t cid;   /* index | generation << 12, while in flight */
				};
				uint32_t cid_state;
			};
			/* Timeout clock (qp->tick) the request counts from: 0 until
			 * the first timeout scan that finds it in flight stamps it
			 * with the tick of its submission (see check_timeouts). */
			uint32_t stamp;
		};
		uint64_t cid_state_stamp;
	};
	struct nvme_req *next_free;
	struct nvme_req *parent;  /* request that carries cb for a split; self otherwise */
	void *list;               /* this request's PRP/SGL/DSM list (DMA memory) */
	uint64_t list_iova;
	uint32_t cdw0;            /* parent: DW0 of its own completion */
	uint16_t pending;         /* parent: commands of the split not yet completed */
	uint16_t status;          /* parent: first error status of the split */
};
_Static_assert(sizeof(struct nvme_req) == 64, "a request is one cache line");

#define NVME_CID_STATE(cid, state) ((uint32_t)(cid) << 16 | (uint32_t)(state))

struct nvme_ns {
	uint32_t nsid;
	uint32_t lba_shift;       /* 0: inactive */
	uint16_t ms;
	uint64_t blocks;
};

struct udrv_nvme_qpair {
	/* --- hot: submission and completion --- */
	struct nvme_sqe *sq;
	const volatile struct nvme_cqe *cq;
	const volatile struct nvme_cqe *cq_end; /* cq + qsize */
	const volatile struct nvme_cqe *cq_next; /* &cq[cq_head], for the peek */
	volatile uint32_t *sq_db;
	volatile uint32_t *cq_db;
	volatile uint32_t *shadow_sq, *shadow_cq;     /* Doorbell Buffer Config */
	const volatile uint32_t *ei_sq, *ei_cq;       /* EventIdx, device-written */
	struct nvme_req *reqs;
	struct nvme_req *free_list;
	struct udrv_nvme_ctrl *ctrl;
	const struct nvme_ns *ns;  /* ctrl's table, indexed by nsid - 1 */
	uint32_t nns;
	uint32_t max_xfer;
	uint32_t fast_max;         /* PRP1-only fast path: 4096, 0 when SGL is forced */
	uint16_t qsize;            /* a power of two */
	uint16_t qmask;            /* qsize - 1 */
	uint16_t sq_tail;
	uint16_t sq_head;          /* from CQE.SQHD, validated */
	uint16_t sq_db_last;       /* last tail value written to the doorbell */
	uint16_t cq_head;
	uint16_t cq_phase;
	uint16_t cq_db_last;       /* last head value given to the device */
	uint16_t idle_polls;       /* empty polls left before a full poll (NVME_IDLE_POLLS) */
	uint16_t qid;
	bool use_sgl;              /* SGL for every transfer */
	bool model_inline;         /* an inline model: poll it when the CQ is empty (model_hook.h) */
	bool sgl_ok;               /* controller supports SGL (iovec without PRP rules) */
	uint32_t nreq;             /* qsize - 1; reqs[] has qsize entries, the last a dummy */
	/* Fast submissions that must still write whole SQEs: the fast path
	 * writes only the SQE fields a read or write sets and leaves the
	 * others 0 as it found them, which holds once every slot was last
	 * written by it. Any other submission sets this to qsize. */
	uint32_t sq_dirty;
	/* One-entry translation cache: [xl_va, xl_va + 2 MiB) maps linearly to
	 * xl_iova. udrv DMA memory keeps its IOVA while it is allocated and a
	 * device is open (chunks are mapped once per container), which the
	 * queues' own addresses, given to the device once, rely on as well. */
	uintptr_t xl_va;
	uint64_t xl_iova;
	/* One compare gates the hot path: *epoch_ptr (the controller's epoch,
	 * bumped by every reset and by failure) against the epoch the queues
	 * were created in. A dead qpair sets epoch to a value never reached. */
	const _Atomic uint32_t *epoch_ptr;
	uint32_t epoch;
	/* Timeouts are coarse: poll bumps tick every check_ticks (TSC) and a
	 * request expires timeout_intervals ticks after its stamp, which is at
	 * least the timeout and at most one interval more. */
	uint32_t tick;
	uint32_t timeout_intervals;
	uint64_t next_check;       /* ticks: next timeout / health check */
	uint64_t check_ticks;
	/* Commands in flight: st.submitted - st.completed - parts_done (one
	 * counter less on the hot path than counting them up and down). */
	struct udrv_nvme_qpair_stats st;
	uint64_t parts_done;       /* commands of a split that completed before its last */
	/* Thread inside udrv_nvme_qpair_poll (nvme_thread_id), 0 outside: a
	 * poll from a callback or from a second thread at the same time is the
	 * application's bug, reported as such. Relaxed loads and stores only. */
	uintptr_t in_poll;
	/* --- cold --- */
	uint32_t misuse;           /* times such misuse was detected */
	bool is_admin;
	bool reaping;              /* in process_cq: callbacks run, no recovery now */
	bool dead;                 /* failed: every request completed, submits fail */
	bool created;              /* the device has the queues */
	uint32_t list_slot;        /* bytes per request list */
	void *sq_mem, *cq_mem, *list_mem;
	uint64_t sq_iova, cq_iova, list_iova;
	struct nvme_req **snap;    /* scratch for completing everything */
	struct udrv_nvme_qpair *next; /* ctrl's list of I/O qpairs */
};

struct udrv_nvme_ctrl {
	struct udrv_dev *dev;
	const char *name;          /* name_buf: outlives a revoked device */
	char name_buf[64];
	bool claimed;              /* udrv_dev_claim succeeded */
	bool revoked;              /* udrv_fini took the device and DMA memory */
	volatile uint8_t *bar;
	size_t bar_len;
	const volatile uint32_t *events;
	uint64_t cap;
	uint32_t dstrd;
	uint32_t to_ms;
	uint32_t cc;               /* CC value used for enable */
	struct udrv_nvme_ctrl_opts opts;
	struct udrv_nvme_ctrl_info info;
	pthread_mutex_t lock;      /* admin queue, qpair list, reset */
	struct udrv_nvme_qpair *admin;
	struct udrv_nvme_qpair *qpairs;
	uint8_t *qid_used;         /* [io_queues + 1] */
	struct nvme_ns *ns_tab;    /* indexed by nsid - 1, nn_tab entries */
	uint32_t nn_tab;
	uint32_t *active;          /* active nsids, n_active of them */
	uint32_t n_active;
	void *dbbuf, *eibuf;       /* shadow doorbells / EventIdx, one page each */
	uint64_t dbbuf_iova, eibuf_iova;
	void *bounce;              /* one page for identify and log pages */
	uint64_t bounce_iova;
	uint32_t gone_events;      /* events once revoked: UDRV_DEV_EV_FAILED */
	_Atomic uint32_t epoch;    /* bumped by every reset */
	_Atomic bool failed;
};

/* ctrl.c */
uint32_t udrvi_nvme_csts(struct udrv_nvme_ctrl *ctrl);
void udrvi_nvme_ctrl_fail(struct udrv_nvme_ctrl *ctrl, const char *why);
int udrvi_nvme_ctrl_enable(struct udrv_nvme_ctrl *ctrl);
int udrvi_nvme_ctrl_disable(struct udrv_nvme_ctrl *ctrl);
bool udrvi_nvme_health_check(struct udrv_nvme_ctrl *ctrl);

/* admin.c (callers hold ctrl->lock) */
int udrvi_nvme_admin_sync(struct udrv_nvme_ctrl *ctrl, struct nvme_sqe *sqe, void *buf,
			  size_t len, bool to_dev, struct udrv_nvme_cpl *cpl, uint32_t timeout_ms);
int udrvi_nvme_identify(struct udrv_nvme_ctrl *ctrl, uint8_t cns, uint32_t nsid);
int udrvi_nvme_set_num_queues(struct udrv_nvme_ctrl *ctrl);
int udrvi_nvme_dbbuf_config(struct udrv_nvme_ctrl *ctrl);
int udrvi_nvme_create_queues(struct udrv_nvme_ctrl *ctrl, struct udrv_nvme_qpair *qp);
int udrvi_nvme_delete_queues(struct udrv_nvme_ctrl *ctrl, struct udrv_nvme_qpair *qp);
int udrvi_nvme_abort_cmd(struct udrv_nvme_ctrl *ctrl, uint16_t sqid, uint16_t cid, uint32_t *dw0);

/* qpair.c */
int udrvi_nvme_qpair_alloc(struct udrv_nvme_ctrl *ctrl, uint16_t qid, uint32_t qsize,
			   uint32_t timeout_ms, struct udrv_nvme_qpair **out);
void udrvi_nvme_qpair_free(struct udrv_nvme_qpair *qp);
void udrvi_nvme_qpair_reset_rings(struct udrv_nvme_qpair *qp);
void udrvi_nvme_qpair_abort_all(struct udrv_nvme_qpair *qp, uint16_t status);
/* reset.c: the qpair is dead for good (device failed or revoked): every
 * request completes with ABORTED, calls return -ENODEV. */
int udrvi_nvme_qpair_die(struct udrv_nvme_qpair *qp);

/* io.c: the hot path */
struct nvme_req *udrvi_nvme_req_get(struct udrv_nvme_qpair *qp);
void udrvi_nvme_req_put(struct udrv_nvme_qpair *qp, struct nvme_req *req);
void udrvi_nvme_complete(struct udrv_nvme_qpair *qp, struct nvme_req *req, uint16_t status,
			 uint32_t dw0);
int udrvi_nvme_process_cq(struct udrv_nvme_qpair *qp, unsigned max);

static inline uint32_t nvme_outstanding(const struct udrv_nvme_qpair *qp)
{
	return (uint32_t)(qp->st.submitted - qp->st.completed - qp->parts_done);
}

static inline bool nvme_gate_closed(const struct udrv_nvme_qpair *qp)
{
	return atomic_load_explicit(qp->epoch_ptr, memory_order_acquire) != qp->epoch;
}

/* reset.c */
int udrvi_nvme_qpair_slow(struct udrv_nvme_qpair *qp);
void udrvi_nvme_check_timeouts(struct udrv_nvme_qpair *qp);
int udrvi_nvme_ctrl_reset_locked(struct udrv_nvme_ctrl *ctrl, const char *why);

/* prp.c / sgl.c: pure builders, unit tested directly.
 * Each returns 0 or -EINVAL (memory not DMA memory, PRP alignment rules, too
 * many entries for the list). */
int udrvi_nvme_prp_build(const struct iovec *iov, int iovcnt, uint64_t *prp1, uint64_t *prp2,
			 uint64_t *list, uint64_t list_iova, uint32_t list_max);
int udrvi_nvme_sgl_build(const struct iovec *iov, int iovcnt, struct nvme_sqe *sqe,
			 struct nvme_sgl_desc *list, uint64_t list_iova, uint32_t list_max);

/* Doorbell Buffer Config need-event test (base spec 2.0, 3.8.6.2): ring the
 * MMIO doorbell only if the device's EventIdx lies in [old, new). */
static inline bool nvme_dbbuf_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

static inline void nvme_ring_sq(struct udrv_nvme_qpair *qp)
{
	uint16_t tail = qp->sq_tail;
	uint16_t old = qp->sq_db_last;

	qp->sq_db_last = tail;
	if (qp->shadow_sq) {
		/* SQ entry stores must be visible before the shadow tail. */
		udrv_compiler_barrier();
		*qp->shadow_sq = tail;
		/* The shadow tail store must be visible before EventIdx is read. */
		udrv_mb();
		if (!nvme_dbbuf_need_event((uint16_t)*qp->ei_sq, tail, old))
			return;
	} else {
		/* SQ entry stores must be visible to the device before the tail doorbell. */
		udrv_wmb();
	}
	*qp->sq_db = tail;
	qp->st.doorbells++;
}

static inline void nvme_ring_cq(struct udrv_nvme_qpair *qp)
{
	uint16_t head = qp->cq_head, old = qp->cq_db_last;

	qp->cq_db_last = head;
	if (qp->shadow_cq) {
		*qp->shadow_cq = head;
		/* The shadow head store must be visible before EventIdx is read. */
		udrv_mb();
		if (!nvme_dbbuf_need_event((uint16_t)*qp->ei_cq, head, old))
			return;
	}
	/* No ordering needed: the CQ entries were only read. */
	*qp->cq_db = head;
	qp->st.cq_doorbells++;
}

/* Place a filled SQE at the tail and account the request. */
static inline void nvme_commit(struct udrv_nvme_qpair *qp, struct nvme_req *req,
			       const struct nvme_sqe *sqe, uint64_t now)
{
	uint16_t tail = qp->sq_tail;

	qp->sq[tail] = *sqe;
	qp->sq[tail].cid = req->cid;
	qp->sq_dirty = qp->qsize;
	/* INFLIGHT lets completion skip the split bookkeeping (io.c). */
	req->state = req->parent == req && req->pending == 1 ? NVME_REQ_INFLIGHT
							     : NVME_REQ_INFLIGHT_PART;
	(void)now;
	req->stamp = qp->tick;
	qp->st.submitted++;
	qp->sq_tail = (uint16_t)(tail + 1u == qp->qsize ? 0 : tail + 1u);
}

uint64_t udrvi_nvme_iova_miss(struct udrv_nvme_qpair *qp, const void *va);

/* The calling thread's identity, cheaply: on x86-64 the TCB self pointer
 * the ABI keeps at %fs:0 (what pthread_self returns), one load. */
static inline uintptr_t nvme_thread_id(void)
{
#if defined(__x86_64__)
	uintptr_t id;

	__asm__("mov %%fs:0, %0" : "=r"(id));
	return id;
#else
	return (uintptr_t)pthread_self();
#endif
}

/* A submission that left the fast path: refused (-EBUSY, logged) if another
 * thread is polling the qpair right now. Callbacks submitting from inside
 * their own thread's poll are fine. */
int udrvi_nvme_check_owner(struct udrv_nvme_qpair *qp, const char *what);
static inline int nvme_owner_ok(struct udrv_nvme_qpair *qp, const char *what)
{
	uintptr_t p = __atomic_load_n(&qp->in_poll, __ATOMIC_RELAXED);

	return likely(p == 0 || p == nvme_thread_id()) ? 0 : udrvi_nvme_check_owner(qp, what);
}

#define NVME_XL_SPAN ((uintptr_t)1 << UDRV_XLATE_SHIFT)

/* IOVA of DMA memory, or UDRV_IOVA_INVALID. */
static inline uint64_t nvme_iova(struct udrv_nvme_qpair *qp, const void *va)
{
	uintptr_t off = (uintptr_t)va - qp->xl_va;

	if (likely(off < NVME_XL_SPAN))
		return qp->xl_iova + off;
	return udrvi_nvme_iova_miss(qp, va);
}

static inline uint32_t nvme_rd32(struct udrv_nvme_ctrl *c, uint32_t off)
{
	return udrv_mmio_read32(c->bar, off);
}

static inline void nvme_wr32(struct udrv_nvme_ctrl *c, uint32_t off, uint32_t v)
{
	udrv_mmio_write32(c->bar, off, v);
}

/* A passthrough command (admin or I/O) as an SQE; the driver fills CID and
 * the data pointer. */
static inline void udrvi_nvme_sqe_from_cmd(struct nvme_sqe *sqe, const struct udrv_nvme_cmd *cmd)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = cmd->opcode;
	sqe->nsid = cmd->nsid;
	sqe->cdw2 = cmd->cdw2;
	sqe->cdw3 = cmd->cdw3;
	sqe->cdw10 = cmd->cdw10;
	sqe->cdw11 = cmd->cdw11;
	sqe->cdw12 = cmd->cdw12;
	sqe->cdw13 = cmd->cdw13;
	sqe->cdw14 = cmd->cdw14;
	sqe->cdw15 = cmd->cdw15;
}

#endif
