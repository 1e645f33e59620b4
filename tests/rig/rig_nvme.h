/* SPDX-License-Identifier: MIT */
/*
 * A minimal NVMe admin path for runtime tests: enough to prove that DMA
 * memory mapped by the runtime is reachable by a real device at the IOVA the
 * runtime reports (Identify Controller into a udrv_dma_alloc buffer). It is
 * deliberately not the driver (drivers/nvme): the runtime tests must not
 * depend on it.
 */
#ifndef UDRV_RIG_NVME_H
#define UDRV_RIG_NVME_H

#include <stdint.h>

#include <udrv/dev.h>

/* Register offsets (NVMe base spec 2.0, 3.1.4). */
enum {
	RN_CAP = 0x00,
	RN_VS = 0x08,
	RN_CC = 0x14,
	RN_CSTS = 0x1c,
	RN_AQA = 0x24,
	RN_ASQ = 0x28,
	RN_ACQ = 0x30,
	RN_SQ0TDBL = 0x1000,
};

#define RN_CAP_MQES(cap) ((uint32_t)((cap) & 0xffff))
#define RN_CAP_TO(cap) ((uint32_t)(((cap) >> 24) & 0xff))       /* 500 ms units */
#define RN_CAP_DSTRD(cap) ((uint32_t)(((cap) >> 32) & 0xf))
#define RN_CAP_CSS(cap) ((uint32_t)(((cap) >> 37) & 0xff))
#define RN_CAP_MPSMIN(cap) ((uint32_t)(((cap) >> 48) & 0xf))

/* Disable the controller (CC.EN=0) and wait for CSTS.RDY=0. 0 or -ETIMEDOUT. */
int rn_disable(volatile void *bar);

/* Bring up an admin queue pair of 2 entries in fresh DMA memory, send
 * Identify Controller (CNS 1) into a 4 KiB DMA buffer, wait for its
 * completion and disable the controller again. Copies the 4 KiB result to
 * out. Enables bus mastering. 0, or -errno / -EIO with a message on stderr. */
int rn_identify(struct udrv_dev *dev, volatile void *bar, void *out);

#endif
