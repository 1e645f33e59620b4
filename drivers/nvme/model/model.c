/* SPDX-License-Identifier: MIT */
/*
 * NVMe controller model: registers, enable/disable, doorbells (MMIO and
 * shadow), fetching commands, posting completions, fault injection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <udrv/log.h>
#include <udrv/mmio.h>

#include "model_priv.h"

uint64_t udrvi_nm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t rd32(struct udrv_nvme_model *m, uint32_t off)
{
	return udrv_mmio_read32(m->bar, off);
}

static void wr32(struct udrv_nvme_model *m, uint32_t off, uint32_t v)
{
	udrv_mmio_write32(m->bar, off, v);
}

static void regs_power_on(struct udrv_nvme_model *m)
{
	uint64_t cap = NVME_SET(CAP_MQES, m->o.max_queue_entries - 1u) | NVME_SET(CAP_CQR, 1) |
		       NVME_SET(CAP_TO, 10) | NVME_SET(CAP_DSTRD, 0) |
		       NVME_SET(CAP_CSS, NVME_CAP_CSS_NVM) | NVME_SET(CAP_MPSMIN, 0) |
		       NVME_SET(CAP_MPSMAX, 4);

	memset((void *)m->bar, 0, NM_BAR_SIZE);
	udrv_mmio_write64(m->bar, NVME_REG_CAP, cap);
	wr32(m, NVME_REG_VS, NVME_VS(1, 4));
	m->cc_last = 0;
	m->enabled = false;
	m->dead = false;
}

void udrvi_nm_reset_queues(struct udrv_nvme_model *m)
{
	/* A controller reset clears every doorbell (3.7.2). */
	memset((void *)(m->bar + NVME_REG_DBS), 0, NM_BAR_SIZE - NVME_REG_DBS);
	memset(m->sq, 0, (m->nq + 1) * sizeof(*m->sq));
	memset(m->cq, 0, (m->nq + 1) * sizeof(*m->cq));
	memset(m->pend, 0, sizeof(m->pend));
	m->npend = 0;
	m->dbbuf = false;
}

/* CC written: enable (3.5.1), disable (3.5.2), shutdown (3.6.1). */
static void handle_cc(struct udrv_nvme_model *m, uint32_t cc)
{
	uint32_t csts = rd32(m, NVME_REG_CSTS);

	if (NVME_GET(CC_EN, cc) && !m->enabled) {
		uint32_t aqa = rd32(m, NVME_REG_AQA);
		uint64_t asq = udrv_mmio_read64(m->bar, NVME_REG_ASQ);
		uint64_t acq = udrv_mmio_read64(m->bar, NVME_REG_ACQ);
		uint32_t sqs = NVME_GET(AQA_ASQS, aqa) + 1u, cqs = NVME_GET(AQA_ACQS, aqa) + 1u;

		if (sqs < 2 || cqs < 2 || (asq | acq) & (NVME_PAGE_SIZE - 1) ||
		    NVME_GET(CC_IOSQES, cc) != 6 || NVME_GET(CC_IOCQES, cc) != 4 ||
		    NVME_GET(CC_MPS, cc) != 0) {
			udrv_log(UDRV_LOG_ERROR, m->name, "model: invalid admin queue or CC 0x%08x "
				 "at enable: controller fatal status", cc);
			wr32(m, NVME_REG_CSTS, csts | (uint32_t)NVME_SET(CSTS_CFS, 1));
			m->dead = true;
			return;
		}
		udrvi_nm_reset_queues(m);
		m->sq[0] = (struct nm_sq){ .valid = true, .iova = asq, .size = (uint16_t)sqs };
		m->cq[0] = (struct nm_cq){ .valid = true, .iova = acq, .size = (uint16_t)cqs,
					   .phase = 1 };
		m->enabled = true;
		m->st.enables++;
		wr32(m, NVME_REG_CSTS, (uint32_t)NVME_SET(CSTS_RDY, 1));
	} else if (!NVME_GET(CC_EN, cc) && m->enabled) {
		udrvi_nm_reset_queues(m);
		m->enabled = false;
		wr32(m, NVME_REG_CSTS, 0);
	}
	if (NVME_GET(CC_SHN, cc) && m->enabled)
		wr32(m, NVME_REG_CSTS, rd32(m, NVME_REG_CSTS) |
				       (uint32_t)NVME_SET(CSTS_SHST, NVME_CSTS_SHST_COMPLETE));
	m->cc_last = cc;
}

static volatile uint32_t *shadow(struct udrv_nvme_model *m, uint64_t base, uint32_t idx)
{
	return udrv_model_dma(m->dev, base + 4ull * idx, 4);
}

/* Tail of SQ qid: the shadow doorbell for I/O queues once configured. */
static bool read_sq_tail(struct udrv_nvme_model *m, uint16_t qid, uint16_t *tail)
{
	uint32_t v;

	if (m->dbbuf && qid) {
		volatile uint32_t *db = shadow(m, m->dbbuf_iova, 2u * qid);
		volatile uint32_t *ei = shadow(m, m->eibuf_iova, 2u * qid);

		if (!db || !ei)
			return false;
		if (m->o.flags & UDRV_NVME_MODEL_LAZY_SHADOW_DB) {
			/* Asleep until the host writes the MMIO doorbell; taking the
			 * write and reading the shadow tail are ordered by the xchg. */
			uint32_t *reg = (uint32_t *)(m->bar + nvme_sq_db_off(qid, 0));

			if (__atomic_exchange_n(reg, NM_DB_IDLE, __ATOMIC_SEQ_CST) != NM_DB_IDLE) {
				m->sq[qid].awake = true;
				m->st.mmio_sq_doorbells++;
			}
			if (!m->sq[qid].awake)
				return false;
			v = *db;
		} else {
			v = *db;
			/* A polled controller: EventIdx half a ring away means "never ring". */
			*ei = (uint16_t)(v + 0x8000u);
		}
		if ((uint16_t)v != m->sq[qid].tail)
			m->st.shadow_sq_doorbells++;
	} else {
		v = rd32(m, nvme_sq_db_off(qid, 0));
		if (qid && (uint16_t)v != m->sq[qid].tail)
			m->st.mmio_sq_doorbells++;
	}
	if (v >= m->sq[qid].size)
		return false; /* invalid doorbell write: ignored */
	*tail = (uint16_t)v;
	return true;
}

static void read_cq_head(struct udrv_nvme_model *m, uint16_t qid)
{
	uint32_t v;

	if (m->dbbuf && qid) {
		volatile uint32_t *db = shadow(m, m->dbbuf_iova, 2u * qid + 1u);
		volatile uint32_t *ei = shadow(m, m->eibuf_iova, 2u * qid + 1u);

		if (!db || !ei)
			return;
		v = *db;
		/* QEMU never writes the CQ EventIdx; the polled model says "never". */
		if (!(m->o.flags & UDRV_NVME_MODEL_LAZY_SHADOW_DB))
			*ei = (uint16_t)(v + 0x8000u);
	} else {
		v = rd32(m, nvme_cq_db_off(qid, 0));
	}
	if (v < m->cq[qid].size)
		m->cq[qid].head = (uint16_t)v;
}

/* Full by the last head the host gave; only then is the doorbell read again. */
static bool cq_full(struct udrv_nvme_model *m, uint16_t cqid)
{
	struct nm_cq *cq = &m->cq[cqid];
	uint16_t next = (uint16_t)((cq->tail + 1u) % cq->size);

	if (next != cq->head)
		return false;
	read_cq_head(m, cqid);
	return next == cq->head;
}

/* Post a completion; phase_xor = 1 writes a stale phase tag (fault). */
void udrvi_nm_post(struct udrv_nvme_model *m, uint16_t sqid, uint16_t cqid, struct nvme_cqe cqe,
		   uint16_t phase_xor)
{
	struct nm_cq *cq = &m->cq[cqid];
	enum udrvi_tamper_action act;
	volatile struct nvme_cqe *slot;
	unsigned copies;

	if (!cq->valid)
		return;
	cqe.sqid = sqid;
	cqe.sqhd = m->sq[sqid].head;
	cqe.dw1 = 0;
	cqe.status = (uint16_t)((cqe.status & ~1u) | ((cq->phase ^ phase_xor) & 1u));
	act = udrvi_model_tamper(m->dev, UDRVI_MODEL_NVME_CQE, &cqe, sizeof(cqe));
	copies = act == UDRVI_TAMPER_DROP ? 0 : act == UDRVI_TAMPER_REPEAT ? 2 : 1;
	while (copies--) {
		slot = udrv_model_dma(m->dev, cq->iova + (uint64_t)cq->tail * sizeof(cqe),
				      sizeof(cqe));
		if (!slot)
			return;
		slot->dw0 = cqe.dw0;
		slot->dw1 = cqe.dw1;
		slot->sqhd = cqe.sqhd;
		slot->sqid = cqe.sqid;
		slot->cid = cqe.cid;
		/* The entry must be complete before its phase tag says it is new. */
		__atomic_thread_fence(__ATOMIC_RELEASE);
		slot->status = cqe.status;
		if (++cq->tail == cq->size) {
			cq->tail = 0;
			cq->phase ^= 1u;
			/* A repeat on the next pass carries the new phase, as a
			 * device posting it twice would. */
			cqe.status ^= 1u;
		}
	}
}

/* The first armed fault matching this command, consumed; NULL if none. */
static bool take_fault(struct udrv_nvme_model *m, uint16_t sqid, uint8_t opc,
		       struct udrv_nvme_model_fault *out)
{
	bool hit = false;
	unsigned i;

	if (!atomic_load_explicit(&m->armed, memory_order_acquire))
		return false;
	pthread_mutex_lock(&m->flock);
	for (i = 0; i < NM_MAX_FAULTS && !hit; i++) {
		struct nm_fault *f = &m->faults[i];

		if (!f->left)
			continue;
		if (f->f.sqid == UDRV_NVME_MODEL_ANY_IOQ ? sqid == 0 : f->f.sqid != sqid)
			continue;
		if (f->f.opcode >= 0 && f->f.opcode != opc)
			continue;
		if (f->skip) {
			f->skip--;
			continue;
		}
		*out = f->f;
		hit = true;
		if (--f->left == 0)
			atomic_fetch_sub(&m->armed, 1);
		m->st.faults_fired++;
	}
	pthread_mutex_unlock(&m->flock);
	return hit;
}

static void log_error(struct udrv_nvme_model *m, uint16_t sqid, const struct nvme_sqe *sqe,
		      uint16_t status)
{
	struct nvme_error_log *e = &m->errlog[m->err_count % NM_ERRLOG];

	memset(e, 0, sizeof(*e));
	e->error_count = ++m->err_count;
	e->sqid = sqid;
	e->cid = sqe->cid;
	e->status = (uint16_t)(status << 1);
	e->param_error_location = 0xffff;
	e->nsid = sqe->nsid;
	e->lba = (uint64_t)sqe->cdw11 << 32 | sqe->cdw10;
}

static void run_cmd(struct udrv_nvme_model *m, uint16_t sqid, const struct nvme_sqe *sqe)
{
	struct udrv_nvme_model_fault f = { 0 };
	bool faulted = take_fault(m, sqid, sqe->opcode, &f);
	uint16_t cqid = m->sq[sqid].cqid;
	struct nm_result r = { 0 };
	struct nvme_cqe cqe = { .cid = sqe->cid };

	if (faulted && f.kind == UDRV_NVME_MODEL_FAULT_PATCH_DATA) {
		m->patch = f;
		faulted = false; /* the completion is as usual */
	}
	if (faulted && f.kind == UDRV_NVME_MODEL_FAULT_STATUS)
		r.status = f.status;
	else if (sqid == 0)
		r = udrvi_nm_admin(m, sqe);
	else
		r = udrvi_nm_io(m, sqe);
	m->patch.kind = 0;
	if (r.status && sqid)
		log_error(m, sqid, sqe, r.status);
	if (r.no_cqe)
		return;
	cqe.dw0 = r.dw0;
	cqe.status = (uint16_t)(r.status << 1);
	if (!faulted) {
		udrvi_nm_post(m, sqid, cqid, cqe, 0);
		return;
	}
	switch (f.kind) {
	case UDRV_NVME_MODEL_FAULT_DELAY:
		for (unsigned i = 0; i < NM_MAX_PENDING; i++) {
			struct nm_pending *p = &m->pend[i];

			if (p->used)
				continue;
			*p = (struct nm_pending){ .used = true, .sqid = sqid, .cqid = cqid, .cqe = cqe,
						  .due_ns = udrvi_nm_now_ns() + f.delay_us * 1000ull };
			m->npend++;
			return;
		}
		udrvi_nm_post(m, sqid, cqid, cqe, 0);
		break;
	case UDRV_NVME_MODEL_FAULT_LOSE_CPL:
		break;
	case UDRV_NVME_MODEL_FAULT_CID_RANGE:
		cqe.cid = 0x0fff;
		udrvi_nm_post(m, sqid, cqid, cqe, 0);
		break;
	case UDRV_NVME_MODEL_FAULT_DUP_CID:
		udrvi_nm_post(m, sqid, cqid, cqe, 0);
		if (!cq_full(m, cqid))
			udrvi_nm_post(m, sqid, cqid, cqe, 0);
		break;
	case UDRV_NVME_MODEL_FAULT_STALE_PHASE:
		udrvi_nm_post(m, sqid, cqid, cqe, 1);
		break;
	default:
		udrvi_nm_post(m, sqid, cqid, cqe, 0);
		break;
	}
}

/* Counted once the completion (if any) is posted, so a waiter that sees
 * the count can find the completion in the CQ. */
static void run_cmd_counted(struct udrv_nvme_model *m, uint16_t sqid, const struct nvme_sqe *sqe)
{
	run_cmd(m, sqid, sqe);
	__atomic_fetch_add(sqid ? &m->st.io_cmds : &m->st.admin_cmds, 1, __ATOMIC_RELEASE);
}

static bool post_due(struct udrv_nvme_model *m)
{
	uint64_t now;
	bool did = false;

	if (!m->npend)
		return false;
	now = udrvi_nm_now_ns();
	for (unsigned i = 0; i < NM_MAX_PENDING; i++) {
		struct nm_pending *p = &m->pend[i];

		if (!p->used || p->due_ns > now || cq_full(m, p->cqid))
			continue;
		udrvi_nm_post(m, p->sqid, p->cqid, p->cqe, 0);
		p->used = false;
		m->npend--;
		did = true;
	}
	return did;
}

/* LAZY_SHADOW_DB, SQ empty: EventIdx = the tail reached (as QEMU's
 * nvme_update_sq_eventidx), then the shadow tail once more: a host that
 * stored a new tail before it could see this EventIdx is caught here, one
 * that stores it later sees EventIdx and rings (base spec 2.0, 3.8.6.2). */
static void sleep_sq(struct udrv_nvme_model *m, uint16_t qid)
{
	volatile uint32_t *db = shadow(m, m->dbbuf_iova, 2u * qid);
	volatile uint32_t *ei = shadow(m, m->eibuf_iova, 2u * qid);

	if (!db || !ei)
		return;
	*ei = m->sq[qid].tail;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if ((uint16_t)*db == m->sq[qid].tail)
		m->sq[qid].awake = false;
}

static bool process_sq(struct udrv_nvme_model *m, uint16_t qid)
{
	struct nm_sq *sq = &m->sq[qid];
	unsigned n = 0;

	if (!read_sq_tail(m, qid, &sq->tail))
		return false;
	while (sq->head != sq->tail && n < NM_BURST && m->enabled && sq->valid) {
		const struct nvme_sqe *p;
		struct nvme_sqe sqe;

		if (cq_full(m, sq->cqid))
			break;
		p = udrv_model_dma(m->dev, sq->iova + (uint64_t)sq->head * sizeof(sqe), sizeof(sqe));
		if (!p)
			break; /* DMA fault, counted by the runtime */
		sqe = *p;
		sq->head = (uint16_t)((sq->head + 1u) % sq->size);
		run_cmd_counted(m, qid, &sqe);
		n++;
	}
	if (sq->awake && sq->head == sq->tail)
		sleep_sq(m, qid);
	return n > 0;
}

static bool nm_poll(void *ctx, struct udrv_dev *dev)
{
	struct udrv_nvme_model *m = ctx;
	uint32_t cc;
	bool did = false;

	if (m->dead)
		return false;
	if (atomic_load(&m->want_gone)) {
		memset((void *)m->bar, 0xff, NM_BAR_SIZE);
		m->dead = true;
		return true;
	}
	if (atomic_load(&m->want_cfs)) {
		wr32(m, NVME_REG_CSTS, rd32(m, NVME_REG_CSTS) | (uint32_t)NVME_SET(CSTS_CFS, 1));
		m->dead = true;
		return true;
	}
	cc = rd32(m, NVME_REG_CC);
	if (cc != m->cc_last) {
		handle_cc(m, cc);
		did = true;
	}
	if (!m->enabled || m->dead)
		return did;
	did |= post_due(m);
	for (uint32_t q = 0; q <= m->nq; q++)
		if (m->sq[q].valid)
			did |= process_sq(m, (uint16_t)q);
	return did;
}

static int nm_init(void *ctx, struct udrv_dev *dev)
{
	struct udrv_nvme_model *m = ctx;

	m->dev = dev;
	m->bar = udrv_model_bar(dev, 0);
	if (!m->bar)
		return -ENODEV;
	regs_power_on(m);
	return 0;
}

static void nm_reset(void *ctx, struct udrv_dev *dev)
{
	struct udrv_nvme_model *m = ctx;

	udrvi_nm_reset_queues(m);
	regs_power_on(m);
	atomic_store(&m->want_cfs, false);
	atomic_store(&m->want_gone, false);
}

static void nm_free(struct udrv_nvme_model *m)
{
	for (unsigned i = 0; i < NM_MAX_NS; i++)
		free(m->ns_data[i]);
	free(m->sq);
	free(m->cq);
	pthread_mutex_destroy(&m->flock);
	free(m);
}

static void nm_fini(void *ctx, struct udrv_dev *dev)
{
	nm_free(ctx);
}

/* Static: the runtime still reads the ops (BAR sizes) after fini freed the
 * model, so they cannot live in the model's own memory. */
static const struct udrv_model_ops nm_ops = {
	.size = sizeof(struct udrv_model_ops),
	.vendor = 0x1b36,
	.device = 0x0010,
	.class_code = 0x010802,
	.bar_size = { NM_BAR_SIZE },
	.init = nm_init,
	.poll = nm_poll,
	.reset = nm_reset,
	.fini = nm_fini,
};

int udrv_nvme_model_open(const struct udrv_nvme_model_opts *opts, struct udrv_dev **dev,
			 struct udrv_nvme_model **model)
{
	struct udrv_nvme_model *m;
	struct udrv_nvme_model_opts o = { 0 };
	int rc;

	if (!dev)
		return -EINVAL;
	if (opts) {
		if (!opts->size) {
			udrv_log(UDRV_LOG_ERROR, NULL, "udrv_nvme_model_opts.size is 0: set it to "
				 "sizeof(struct udrv_nvme_model_opts)");
			return -EINVAL;
		}
		memcpy(&o, opts, opts->size < sizeof(o) ? opts->size : sizeof(o));
	}
	if (!o.namespaces)
		o.namespaces = 1;
	if (!o.lba_size)
		o.lba_size = 512;
	if (!o.blocks)
		o.blocks = 32768;
	if (!o.max_queue_entries)
		o.max_queue_entries = 1024;
	if (!o.max_io_queues)
		o.max_io_queues = 64;
	if (!o.mdts)
		o.mdts = 5;
	if (o.namespaces > NM_MAX_NS || o.lba_size < 512 || o.lba_size > 65536 ||
	    (o.lba_size & (o.lba_size - 1)) || o.max_queue_entries < 2 ||
	    o.max_queue_entries > 65536 || o.max_io_queues > 1024 || o.mdts > 15) {
		udrv_log(UDRV_LOG_ERROR, NULL, "NVMe model: invalid options (namespaces <= 16, "
			 "lba_size a power of two in 512..65536, queue entries 2..65536, "
			 "I/O queues <= 1024, mdts <= 15)");
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->flock, NULL);
	m->o = o;
	snprintf(m->name, sizeof(m->name), "%s", o.name ? o.name : "nvme-model");
	snprintf(m->serial, sizeof(m->serial), "%s", o.serial ? o.serial : "UDRVMODEL0001");
	m->o.name = m->name;
	m->o.serial = m->serial;
	m->lba_shift = (uint32_t)__builtin_ctz(o.lba_size);
	m->nq = o.max_io_queues;
	m->granted = o.max_io_queues;
	/* Doorbells of every queue must fit in the BAR (stride 4). */
	if (NVME_REG_DBS + 8u * (m->nq + 1) > NM_BAR_SIZE)
		m->nq = (NM_BAR_SIZE - NVME_REG_DBS) / 8u - 1u;
	rc = -ENOMEM;
	m->sq = calloc(m->nq + 1, sizeof(*m->sq));
	m->cq = calloc(m->nq + 1, sizeof(*m->cq));
	if (!m->sq || !m->cq)
		goto free_model;
	if (!(o.flags & UDRV_NVME_MODEL_NULL)) {
		for (unsigned i = 0; i < o.namespaces; i++) {
			m->ns_data[i] = calloc(o.blocks, o.lba_size);
			if (!m->ns_data[i]) {
				udrv_log(UDRV_LOG_ERROR, m->name, "NVMe model: cannot allocate %llu "
					 "bytes for namespace %u: use fewer blocks or null mode",
					 (unsigned long long)(o.blocks * o.lba_size), i + 1);
				goto free_model;
			}
		}
	}
	rc = udrv_dev_open_model(&nm_ops, m, m->name, dev);
	if (rc < 0)
		goto free_model;
	if (o.flags & UDRV_NVME_MODEL_INLINE)
		udrvi_model_set_inline(*dev, true);
	if (model)
		*model = m;
	return 0;

free_model:
	nm_free(m);
	return rc;
}

int udrv_nvme_model_inject(struct udrv_nvme_model *m, const struct udrv_nvme_model_fault *f)
{
	struct udrv_nvme_model_fault c = { 0 };
	unsigned i;
	int rc = -ENOSPC;

	if (!m || !f || !f->size)
		return -EINVAL;
	memcpy(&c, f, f->size < sizeof(c) ? f->size : sizeof(c));
	if (c.kind < UDRV_NVME_MODEL_FAULT_STATUS || c.kind > UDRV_NVME_MODEL_FAULT_PATCH_DATA ||
	    (c.kind == UDRV_NVME_MODEL_FAULT_PATCH_DATA && c.offset > NVME_PAGE_SIZE - 4))
		return -EINVAL;
	if (c.kind == UDRV_NVME_MODEL_FAULT_CFS) {
		atomic_store(&m->want_cfs, true);
		return 0;
	}
	if (c.kind == UDRV_NVME_MODEL_FAULT_GONE) {
		atomic_store(&m->want_gone, true);
		return 0;
	}
	pthread_mutex_lock(&m->flock);
	for (i = 0; i < NM_MAX_FAULTS; i++) {
		if (m->faults[i].left)
			continue;
		m->faults[i].f = c;
		m->faults[i].skip = c.skip;
		m->faults[i].left = c.count ? c.count : 1;
		atomic_fetch_add(&m->armed, 1);
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&m->flock);
	return rc;
}

void udrv_nvme_model_clear_faults(struct udrv_nvme_model *m)
{
	pthread_mutex_lock(&m->flock);
	memset(m->faults, 0, sizeof(m->faults));
	atomic_store(&m->armed, 0);
	pthread_mutex_unlock(&m->flock);
}

void udrv_nvme_model_stats(struct udrv_nvme_model *m, struct udrv_nvme_model_stats *st)
{
	/* Counters are written by the model thread; a torn read is harmless. */
	*st = m->st;
}

uint8_t *udrv_nvme_model_ns_data(struct udrv_nvme_model *m, uint32_t nsid, size_t *len)
{
	if (nsid == 0 || nsid > m->o.namespaces)
		return NULL;
	if (len)
		*len = m->ns_data[nsid - 1] ? (size_t)m->o.blocks * m->o.lba_size : 0;
	return m->ns_data[nsid - 1];
}

/* A numeric model option in [min, max]; logs which and why not. */
static int spec_num(const char *spec, const char *key, const char *val, unsigned long long min,
		    unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(val, &end, 0);
	if (!*val || *val == '-' || *val == '+' || *end || errno || *out < min || *out > max) {
		udrv_log(UDRV_LOG_ERROR, NULL, "bad model spec \"%s\": %s=%s is not a number in "
			 "%llu..%llu", spec, key, val, min, max);
		return -EINVAL;
	}
	return 0;
}

int udrv_nvme_model_open_spec(const char *spec, struct udrv_dev **dev,
			      struct udrv_nvme_model **model)
{
	struct udrv_nvme_model_opts o = { .size = sizeof(o), .name = "nvme-model" };
	char *buf, *tok, *save = NULL;
	int rc = 0;

	if (!spec || strncmp(spec, "model", 5) != 0 || (spec[5] != '\0' && spec[5] != ':'))
		return 0;
	buf = strdup(spec[5] ? spec + 6 : "");
	if (!buf)
		return -ENOMEM;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		unsigned long long v = 0;

		if (eq)
			*eq++ = '\0';
		if (!strcmp(tok, "null") && !eq)
			o.flags |= UDRV_NVME_MODEL_NULL;
		else if (!strcmp(tok, "nosgl") && !eq)
			o.flags |= UDRV_NVME_MODEL_NO_SGL;
		else if (!strcmp(tok, "noshadow") && !eq)
			o.flags |= UDRV_NVME_MODEL_NO_SHADOW_DB;
		else if (!strcmp(tok, "lazyshadow") && !eq)
			o.flags |= UDRV_NVME_MODEL_LAZY_SHADOW_DB;
		else if (!strcmp(tok, "inline") && !eq)
			o.flags |= UDRV_NVME_MODEL_INLINE;
		else if (!strcmp(tok, "ns") && eq)
			rc = spec_num(spec, tok, eq, 1, NM_MAX_NS, &v), o.namespaces = (uint32_t)v;
		else if (!strcmp(tok, "lba") && eq)
			rc = spec_num(spec, tok, eq, 512, 65536, &v), o.lba_size = (uint32_t)v;
		else if (!strcmp(tok, "blocks") && eq)
			rc = spec_num(spec, tok, eq, 1, 1ull << 40, &v), o.blocks = v;
		else if (!strcmp(tok, "mdts") && eq)
			rc = spec_num(spec, tok, eq, 1, 15, &v), o.mdts = (uint8_t)v;
		else if (!strcmp(tok, "qsize") && eq)
			rc = spec_num(spec, tok, eq, 2, 65536, &v), o.max_queue_entries = (uint32_t)v;
		else
			goto bad;
		if (rc == 0 && o.lba_size & (o.lba_size - 1)) {
			udrv_log(UDRV_LOG_ERROR, NULL, "bad model spec \"%s\": lba=%u is not a power "
				 "of two", spec, o.lba_size);
			rc = -EINVAL;
		}
		if (rc) {
			free(buf);
			return rc;
		}
	}
	free(buf);
	rc = udrv_nvme_model_open(&o, dev, model);
	return rc < 0 ? rc : 1;
bad:
	free(buf);
	udrv_log(UDRV_LOG_ERROR, NULL, "bad model spec \"%s\": expected model[:opt,...] with opts "
		 "null, nosgl, noshadow, lazyshadow, inline, ns=1..16, lba=512..65536 (a power of two), "
		 "blocks=1..2^40, mdts=1..15, qsize=2..65536 (e.g. model:null or model:ns=2,lba=4096)",
		 spec);
	return -EINVAL;
}
