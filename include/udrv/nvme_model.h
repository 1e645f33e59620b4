/* SPDX-License-Identifier: MIT */
/*
 * udrv NVMe controller model: a software NVMe controller behind the runtime's
 * device-model backend (<udrv/model.h>), for tests, benchmarks and
 * `udrv-nvme -d model`. It implements bring-up (CAP/VS/CC/CSTS/AQA/ASQ/ACQ),
 * the admin commands udrv uses (identify, features, queue create/delete, log
 * pages, Doorbell Buffer Config, Abort) and NVM I/O (read, write, compare,
 * flush, write zeroes, deallocate) on in-memory namespaces, with PRPs and
 * SGLs. In null mode it moves no data. Faults can be injected.
 *
 * The model is a polled controller: with shadow doorbells on, it reads the
 * shadow doorbells each poll and sets EventIdx so the driver never needs to
 * write an MMIO doorbell for I/O queues (UDRV_NVME_MODEL_LAZY_SHADOW_DB: it
 * sleeps on EventIdx instead, as QEMU's controller does).
 *
 * Thread safety: udrv_nvme_model_inject/clear/stats/ns_data may be called
 * from any thread while the model runs on its runtime thread.
 */
#ifndef UDRV_NVME_MODEL_H
#define UDRV_NVME_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <udrv/dev.h>

#ifdef __cplusplus
extern "C" {
#endif

struct udrv_nvme_model;

enum udrv_nvme_model_flags {
	UDRV_NVME_MODEL_NULL = 1u << 0,         /* move no data (benchmarks) */
	UDRV_NVME_MODEL_NO_SGL = 1u << 1,       /* do not offer SGLs */
	UDRV_NVME_MODEL_NO_SHADOW_DB = 1u << 2, /* do not offer Doorbell Buffer Config */
	UDRV_NVME_MODEL_NO_MDTS = 1u << 3,      /* MDTS = 0: no transfer limit */
	/* Shadow doorbells as QEMU's hw/nvme (7.2) does them: after an I/O SQ runs
	 * empty the controller sets EventIdx to the tail it reached and sleeps
	 * until an MMIO doorbell write wakes it, so a host that ignores EventIdx
	 * (or leaves a stale one) stalls. */
	UDRV_NVME_MODEL_LAZY_SHADOW_DB = 1u << 4,
	/* The model's thread stays idle: the model executes commands on the
	 * thread of the driver that polls an empty completion queue (and of
	 * admin waits), so a poll after a submission completes it. For counting
	 * a program's instructions per I/O (e.g. under callgrind, which runs one
	 * thread at a time) without empty polls; several queue pairs take turns. */
	UDRV_NVME_MODEL_INLINE = 1u << 5,
};

struct udrv_nvme_model_opts {
	size_t size;                /* sizeof(struct udrv_nvme_model_opts) */
	const char *name;           /* device name (log prefix); NULL: "nvme-model" */
	const char *serial;         /* NULL: "UDRVMODEL0001" */
	uint32_t namespaces;        /* 0: 1; at most 16 */
	uint32_t lba_size;          /* 512..65536, power of two; 0: 512 */
	uint64_t blocks;            /* per namespace; 0: 32768 */
	uint32_t max_queue_entries; /* CAP.MQES + 1; 0: 1024 */
	uint32_t max_io_queues;     /* 0: 64; at most 1024 */
	uint8_t mdts;               /* 2^mdts 4 KiB pages; 0: 5 (128 KiB) */
	uint32_t flags;             /* enum udrv_nvme_model_flags */
};

/* udrv_nvme_model_open - create an NVMe controller model and open it as a
 * device (udrv_dev_open_model); drive it with udrv_nvme_ctrl_open(*dev).
 * @opts:  NULL or zero fields: the defaults above
 * @dev:   receives the device handle
 * @model: receives the model, for the calls below (may be NULL)
 * Returns 0; -EINVAL (@dev NULL, opts->size 0, an option out of range;
 * logged); -ENOMEM (the namespaces' memory: logged with the fix); the errors
 * of udrv_dev_open_model. Initialises the runtime with defaults if needed.
 * Context: any thread. Ownership: the caller's until udrv_dev_close(*dev),
 * which frees the model (*model is then invalid). */
int udrv_nvme_model_open(const struct udrv_nvme_model_opts *opts, struct udrv_dev **dev,
			 struct udrv_nvme_model **model);

/* udrv_nvme_model_open_spec - open a model from a device argument as the
 * tools take it: model[:opt[,opt...]] with opts null,
 * ns=N (1..16), lba=BYTES (512..65536, a power of two), blocks=N (1..2^40),
 * mdts=N (1..15), qsize=N (2..65536), nosgl, noshadow, lazyshadow, inline
 * (UDRV_NVME_MODEL_LAZY_SHADOW_DB); any length. Returns 1
 * and opens the model if spec names a model, 0 if it does not (a BDF),
 * -EINVAL (logged, naming the option) if it is malformed or out of range, or
 * the error of udrv_nvme_model_open (-ENOMEM).
 * Context: any thread. Ownership: as udrv_nvme_model_open. */
int udrv_nvme_model_open_spec(const char *spec, struct udrv_dev **dev,
			      struct udrv_nvme_model **model);

enum udrv_nvme_model_fault_kind {
	UDRV_NVME_MODEL_FAULT_STATUS = 1,  /* complete with .status, do not execute */
	UDRV_NVME_MODEL_FAULT_DELAY,       /* complete .delay_us late (Abort can take it) */
	UDRV_NVME_MODEL_FAULT_LOSE_CPL,    /* execute, never post the completion */
	UDRV_NVME_MODEL_FAULT_CID_RANGE,   /* post it with a command id of 0x0fff */
	UDRV_NVME_MODEL_FAULT_DUP_CID,     /* post the completion twice */
	UDRV_NVME_MODEL_FAULT_STALE_PHASE, /* post it with the previous pass's phase tag */
	UDRV_NVME_MODEL_FAULT_CFS,         /* set CSTS.CFS and stop, at the next poll */
	UDRV_NVME_MODEL_FAULT_GONE,        /* all registers read as ones (surprise removal) */
	/* execute, but first store .value (32 bits, little endian) at byte
	 * .offset of the data it returns (Identify, log pages): a device that
	 * lies in what it reports */
	UDRV_NVME_MODEL_FAULT_PATCH_DATA,
};

#define UDRV_NVME_MODEL_ANY_IOQ 0xffffu
struct udrv_nvme_model_fault {
	size_t size;          /* sizeof(struct udrv_nvme_model_fault) */
	enum udrv_nvme_model_fault_kind kind;
	uint16_t sqid;        /* UDRV_NVME_MODEL_ANY_IOQ: any I/O queue; 0: admin */
	int opcode;           /* -1: any */
	uint32_t skip;        /* matching commands to let through first */
	uint32_t count;       /* commands affected; 0: 1 */
	uint16_t status;      /* STATUS: SCT << 8 | SC */
	uint32_t delay_us;    /* DELAY */
	uint32_t offset, value; /* PATCH_DATA: offset below 4096 */
};

/* udrv_nvme_model_inject - arm fault @f (copied) for the commands it
 * matches; CFS and GONE take effect at the next poll and use no slot.
 * Returns 0; -ENOSPC (8 faults armed); -EINVAL (NULL, f->size 0, unknown
 * kind, PATCH_DATA offset beyond 4092). Not logged.
 * Context: any thread (a mutex shared with the model thread). */
int udrv_nvme_model_inject(struct udrv_nvme_model *m, const struct udrv_nvme_model_fault *f);
/* udrv_nvme_model_clear_faults - disarm every armed fault. CFS and GONE,
 * which stop the model, are undone only by a function-level reset
 * (udrv_dev_reset). Context: any thread. */
void udrv_nvme_model_clear_faults(struct udrv_nvme_model *m);

struct udrv_nvme_model_stats {
	uint64_t admin_cmds, io_cmds;
	uint64_t faults_fired;
	uint64_t enables;          /* CC.EN 0 -> 1 transitions */
	uint64_t mmio_sq_doorbells;/* I/O SQ tail changes seen through MMIO */
	uint64_t shadow_sq_doorbells; /* ... through the shadow doorbell buffer */
};
/* udrv_nvme_model_stats - copy the model's counters into @st (a snapshot,
 * not atomic as a whole: the model thread writes them).
 * Context: any thread. */
void udrv_nvme_model_stats(struct udrv_nvme_model *m, struct udrv_nvme_model_stats *st);

/* udrv_nvme_model_ns_data - the backing store of namespace @nsid, for tests
 * that check what reached the "media"; @len receives its size (may be NULL;
 * 0 in null mode). Returns NULL for an absent namespace or in null mode.
 * Context: any thread (plain memory the model thread writes: read it while
 * no command on it is outstanding). Ownership: the model's, until
 * udrv_dev_close. */
uint8_t *udrv_nvme_model_ns_data(struct udrv_nvme_model *m, uint32_t nsid, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
