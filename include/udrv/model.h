/* SPDX-License-Identifier: MIT */
/*
 * udrv device models: the in-process backend of the device handle.
 *
 * A model is a software device that a driver drives exactly as it drives a
 * real one: it gets BAR memory (plain memory the driver maps with
 * udrv_dev_map_bar and writes with the <udrv/mmio.h> accessors), a config
 * space, and DMA access to udrv DMA memory *by IOVA only* (udrv_model_dma),
 * and the IOVAs differ from the virtual addresses, so a driver that hands the
 * device a virtual address fails against the model as it would on hardware.
 *
 * The runtime runs the model's poll() in a thread of its own, as a device
 * runs beside the CPU; poll() looks at the registers (doorbells) and does the
 * work. A model reacts to register writes only when it polls, so drivers must
 * not expect a register write to take effect synchronously, which is true of
 * real devices too.
 *
 * Thread safety: the model callbacks run on the model thread (init/fini on
 * the opening/closing thread). udrv_model_* helpers may be called from the
 * model thread.
 */
#ifndef UDRV_MODEL_H
#define UDRV_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <udrv/dev.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UDRV_MODEL_MAX_BARS 6

struct udrv_model_ops {
	size_t size;                           /* sizeof(struct udrv_model_ops) */
	uint16_t vendor, device;               /* PCI ids in the model's config space */
	uint32_t class_code;                   /* 24-bit class code, e.g. 0x010802 for NVMe */
	size_t bar_size[UDRV_MODEL_MAX_BARS];  /* 0: BAR absent; else a multiple of 4096 */
	/* Called once at open, after the BARs exist. Return 0 or -errno. */
	int (*init)(void *ctx, struct udrv_dev *dev);
	/* Called repeatedly on the model thread. Return true if it did any work
	 * (the thread yields the CPU after a run of idle polls). */
	bool (*poll)(void *ctx, struct udrv_dev *dev);
	/* Function-level reset (udrv_dev_reset); registers back to power-on values. */
	void (*reset)(void *ctx, struct udrv_dev *dev);
	/* Called at close, after the model thread stopped. */
	void (*fini)(void *ctx, struct udrv_dev *dev);
};

/* Open a model device named name (used as log prefix). ops must stay valid
 * until close. Returns 0 or -errno; on failure fini has not been called and
 * the caller still owns ctx. */
int udrv_dev_open_model(const struct udrv_model_ops *ops, void *ctx, const char *name,
			struct udrv_dev **out);

/* The ctx a model device was opened with, if dev is a model opened with these
 * ops; NULL otherwise (another model, a VFIO device, NULL). dev must be open. */
void *udrv_model_ctx(struct udrv_dev *dev, const struct udrv_model_ops *ops);

/* The model's view of BAR bar (the same memory the driver maps). */
void *udrv_model_bar(struct udrv_dev *dev, unsigned bar);

/* DMA: the virtual address of [iova, iova+len) in udrv DMA memory, or NULL if
 * any byte of it is not mapped, or bus mastering is off (counted as a DMA fault,
 * like an IOMMU fault on hardware). */
void *udrv_model_dma(struct udrv_dev *dev, uint64_t iova, size_t len);

/* Number of DMA faults so far (tests assert it stays 0). */
uint64_t udrv_model_dma_faults(const struct udrv_dev *dev);

/* Whether the driver turned on bus mastering in config space. */
bool udrv_model_bus_master(const struct udrv_dev *dev);

/* The model's config space (256 bytes of standard header; PCI_COMMAND etc.). */
uint8_t *udrv_model_config(struct udrv_dev *dev);

/* The trivial register-only model (the runtime's own test model):
 * BAR0 is 4 KiB; reading 0x0 gives 0x75647276 ("udrv"); 0x4 is a scratch
 * register; a write to the doorbell at 0x8 is copied, by the model thread,
 * into 0xc and counted in 0x10. PCI ids 1b36:ffff (QEMU's test range). */
extern const struct udrv_model_ops udrv_model_trivial_ops;
#define UDRV_TRIVIAL_ID 0x0
#define UDRV_TRIVIAL_SCRATCH 0x4
#define UDRV_TRIVIAL_DOORBELL 0x8
#define UDRV_TRIVIAL_ECHO 0xc
#define UDRV_TRIVIAL_COUNT 0x10
#define UDRV_TRIVIAL_MAGIC 0x75647276u

#ifdef __cplusplus
}
#endif
#endif
