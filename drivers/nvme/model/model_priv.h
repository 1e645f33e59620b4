/* SPDX-License-Identifier: MIT */
/* NVMe controller model internals (see <udrv/nvme_model.h>). */
#ifndef UDRV_NVME_MODEL_PRIV_H
#define UDRV_NVME_MODEL_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <udrv/model.h>
#include <udrv/nvme_model.h>

#include "../regs.h"
#include "model_hook.h"

#define NM_BAR_SIZE (16u * 1024)
#define NM_MAX_NS 16u
#define NM_MAX_FAULTS 8u
#define NM_MAX_PENDING 256u
#define NM_ERRLOG 16u
#define NM_BURST 64u /* commands taken from one SQ per poll */
/* LAZY_SHADOW_DB: what the model leaves in an SQ tail doorbell register once
 * it took a write, so the next write is seen even if it repeats the value. */
#define NM_DB_IDLE 0xffffffffu

struct nm_sq {
	bool valid;
	bool awake;           /* LAZY_SHADOW_DB: woken by an MMIO doorbell write */
	uint64_t iova;
	uint16_t size, head, tail, cqid;
};

struct nm_cq {
	bool valid;
	uint64_t iova;
	uint16_t size, head, tail, phase;
};

struct nm_pending {
	bool used;
	uint16_t sqid, cqid;
	struct nvme_cqe cqe;  /* phase filled in when posted */
	uint64_t due_ns;
};

struct nm_fault {
	struct udrv_nvme_model_fault f;
	uint32_t skip, left;
};

/* What a command's execution produced. */
struct nm_result {
	uint16_t status;      /* SCT << 8 | SC */
	uint32_t dw0;
	bool no_cqe;          /* completion handled elsewhere (Abort posts its own) */
};

struct udrv_nvme_model {
	struct udrv_dev *dev;
	struct udrv_nvme_model_opts o;
	char name[64], serial[21];
	volatile uint8_t *bar;
	uint32_t cc_last;
	bool enabled, dead;
	uint32_t nq;          /* max I/O queue id */
	uint32_t granted;     /* Set Features Number of Queues */
	struct nm_sq *sq;     /* [nq + 1] */
	struct nm_cq *cq;
	uint64_t dbbuf_iova, eibuf_iova;
	bool dbbuf;
	uint8_t *ns_data[NM_MAX_NS];
	uint32_t lba_shift;
	struct nm_pending pend[NM_MAX_PENDING];
	unsigned npend;
	pthread_mutex_t flock;
	struct nm_fault faults[NM_MAX_FAULTS];
	_Atomic unsigned armed;
	_Atomic bool want_cfs, want_gone;
	struct nvme_error_log errlog[NM_ERRLOG];
	uint64_t err_count;
	uint64_t host_reads, host_writes, units_read, units_written;
	struct udrv_nvme_model_stats st;
	struct udrv_nvme_model_fault patch; /* PATCH_DATA for the running command */
};

uint64_t udrvi_nm_now_ns(void);
struct nm_result udrvi_nm_admin(struct udrv_nvme_model *m, const struct nvme_sqe *sqe);
struct nm_result udrvi_nm_io(struct udrv_nvme_model *m, const struct nvme_sqe *sqe);
void udrvi_nm_post(struct udrv_nvme_model *m, uint16_t sqid, uint16_t cqid, struct nvme_cqe cqe,
		   uint16_t phase_xor);
void udrvi_nm_reset_queues(struct udrv_nvme_model *m);
/* Move len bytes between buf and the command's data pointer (PRP or SGL).
 * Returns 0 or an NVMe status. */
/* Apply a PATCH_DATA fault of the running command to the len bytes it returns. */
void udrvi_nm_patch(struct udrv_nvme_model *m, uint8_t *data, size_t len);
uint16_t udrvi_nm_xfer(struct udrv_nvme_model *m, const struct nvme_sqe *sqe, void *buf,
		       size_t len, bool to_host);

#define NM_SC(sct, sc) ((uint16_t)((sct) << 8 | (sc)))
#define NM_SC_INVALID_OPCODE NM_SC(0, 0x01)
#define NM_SC_INVALID_FIELD NM_SC(0, 0x02)
#define NM_SC_DATA_XFER NM_SC(0, 0x04)
#define NM_SC_ABORT_REQ NM_SC(0, 0x07)
#define NM_SC_INVALID_NS NM_SC(0, 0x0b)
#define NM_SC_INVALID_SGL NM_SC(0, 0x0f)
#define NM_SC_INVALID_PRP NM_SC(0, 0x13)
#define NM_SC_LBA_RANGE NM_SC(0, 0x80)
#define NM_SC_CQ_INVALID NM_SC(1, 0x00)
#define NM_SC_INVALID_QID NM_SC(1, 0x01)
#define NM_SC_INVALID_QSIZE NM_SC(1, 0x02)
#define NM_SC_INVALID_DELETE NM_SC(1, 0x0c)
#define NM_SC_COMPARE_FAIL NM_SC(2, 0x85)

#endif
