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
 * model thread and from any other thread while the device is open. They take
 * a model device: a VFIO handle there is undefined behaviour
 * (udrv_dev_is_model() tells them apart).
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

/* udrv_dev_open_model - open a model device; its model thread starts polling.
 * @ops:  the model (size, poll required); must stay valid until
 *        udrv_dev_close
 * @ctx:  the model's state, passed to every callback
 * @name: the log prefix and udrv_dev_name() (copied; NULL or "": "model")
 * @out:  receives the handle; set to NULL on failure
 * Returns 0; -EINVAL (@out NULL, @ops NULL, too small a size or no poll, a
 * BAR size not a multiple of 4096; logged); -ENOMEM; -EAGAIN (no thread);
 * init's negative return. On failure fini has not been called and the caller
 * still owns @ctx. Initialises the runtime with defaults if needed.
 * Context: any thread. Ownership: the handle is the caller's until
 * udrv_dev_close (which stops the thread and calls fini); @ctx stays the
 * caller's, fini may free it. */
int udrv_dev_open_model(const struct udrv_model_ops *ops, void *ctx, const char *name,
			struct udrv_dev **out);

/* udrv_model_ctx - the ctx a model device was opened with, if @dev is a
 * model opened with these @ops; NULL otherwise (another model, a VFIO device,
 * NULL). Safe on any open handle. Context: any thread. */
void *udrv_model_ctx(struct udrv_dev *dev, const struct udrv_model_ops *ops);

/* udrv_model_bar - the model's view of BAR @bar: the same memory the driver
 * maps, valid until close; NULL if @bar is absent or above 5.
 * Context: any thread (the model thread, usually). */
void *udrv_model_bar(struct udrv_dev *dev, unsigned bar);

/* udrv_model_dma - the virtual address of [@iova, @iova+@len) in udrv DMA
 * memory, or NULL if any byte of it is not mapped or bus mastering is off
 * (counted as a DMA fault and logged, the first four only, like an IOMMU
 * fault on hardware). The memory is the application's: valid while it is
 * allocated. Context: any thread (the model thread, usually). */
void *udrv_model_dma(struct udrv_dev *dev, uint64_t iova, size_t len);

/* udrv_model_dma_faults - DMA faults of @dev so far (tests assert it stays
 * 0). Context: any thread. */
uint64_t udrv_model_dma_faults(const struct udrv_dev *dev);

/* udrv_model_bus_master - whether the driver turned on bus mastering in
 * config space (an atomic read). Context: any thread. */
bool udrv_model_bus_master(const struct udrv_dev *dev);

/* udrv_model_config - the model's config space: 4096 bytes the model may
 * read and write (the driver's udrv_dev_cfg_write cannot change the ids and
 * class code). Valid until close. Context: any thread (the model thread,
 * usually; the driver's writes are byte-wise atomic stores). */
uint8_t *udrv_model_config(struct udrv_dev *dev);

/* udrv_model_trivial_ops - the trivial register-only model (the runtime's
 * own test model, opened with udrv_dev_open_model(&udrv_model_trivial_ops,
 * NULL, name, &dev); Context: any thread):
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
