/* SPDX-License-Identifier: MIT */
#include "rig_nvme.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <udrv/mem.h>
#include <udrv/mmio.h>

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait for CSTS.RDY == rdy within CAP.TO (NVMe base spec 2.0, 3.5.1). */
static int wait_rdy(volatile void *bar, uint32_t rdy)
{
	uint64_t cap = udrv_mmio_read64(bar, RN_CAP);
	uint64_t deadline = now_ms() + (RN_CAP_TO(cap) + 1) * 500ull;

	while ((udrv_mmio_read32(bar, RN_CSTS) & 1) != rdy) {
		if (now_ms() > deadline)
			return -ETIMEDOUT;
	}
	return 0;
}

int rn_disable(volatile void *bar)
{
	uint32_t cc = udrv_mmio_read32(bar, RN_CC);

	if (cc & 1)
		udrv_mmio_write32(bar, RN_CC, cc & ~1u);
	return wait_rdy(bar, 0);
}

int rn_identify(struct udrv_dev *dev, volatile void *bar, void *out)
{
	uint64_t cap = udrv_mmio_read64(bar, RN_CAP);
	uint32_t dstrd = RN_CAP_DSTRD(cap), dw3 = 0, status;
	uint64_t sq_iova, cq_iova, buf_iova, deadline;
	uint8_t *sq, *cq, *buf;
	int rc;

	rc = udrv_dev_set_bus_master(dev, true);
	if (rc)
		return rc;
	rc = udrv_dma_alloc(4096, 4096, (void **)&sq, &sq_iova);
	if (rc)
		return rc;
	rc = udrv_dma_alloc(4096, 4096, (void **)&cq, &cq_iova);
	if (rc)
		goto free_sq;
	rc = udrv_dma_alloc(4096, 4096, (void **)&buf, &buf_iova);
	if (rc)
		goto free_cq;
	memset(buf, 0xa5, 4096);

	rc = rn_disable(bar);
	if (rc) {
		fprintf(stderr, "rn_identify: controller did not become disabled\n");
		goto free_buf;
	}
	/* 2-entry admin SQ and CQ (AQA fields are 0's based). */
	udrv_mmio_write32(bar, RN_AQA, 1u << 16 | 1u);
	udrv_mmio_write64(bar, RN_ASQ, sq_iova);
	udrv_mmio_write64(bar, RN_ACQ, cq_iova);
	/* IOSQES 6 (64 B), IOCQES 4 (16 B), MPS 0 (4 KiB), CSS NVM, EN. */
	udrv_mmio_write32(bar, RN_CC, 6u << 16 | 4u << 20 | 1u);
	rc = wait_rdy(bar, 1);
	if (rc) {
		fprintf(stderr, "rn_identify: controller did not become ready (CSTS %#x)\n",
			udrv_mmio_read32(bar, RN_CSTS));
		goto free_buf;
	}

	/* Identify (opcode 06h), CID 7, PRP1 = buffer, CDW10.CNS = 1 (controller). */
	memset(sq, 0, 64);
	sq[0] = 0x06;
	sq[2] = 7;
	memcpy(sq + 24, &buf_iova, 8);
	sq[40] = 1;
	/* The SQ entry must be visible to the device before the tail doorbell. */
	udrv_wmb();
	udrv_mmio_write32(bar, RN_SQ0TDBL, 1);

	deadline = now_ms() + 5000;
	for (;;) {
		dw3 = __atomic_load_n((uint32_t *)(cq + 12), __ATOMIC_ACQUIRE);
		if (dw3 & (1u << 16))
			break;
		if (now_ms() > deadline) {
			fprintf(stderr, "rn_identify: no completion within 5 s (CSTS %#x)\n",
				udrv_mmio_read32(bar, RN_CSTS));
			rc = -ETIMEDOUT;
			goto disable;
		}
	}
	/* The completion's phase bit was read before the data it announces. */
	udrv_rmb();
	/* CQ0 head doorbell: consumed one entry. */
	udrv_mmio_write32(bar, RN_SQ0TDBL + (4u << dstrd), 1);
	status = dw3 >> 17;
	if ((dw3 & 0xffff) != 7 || status) {
		fprintf(stderr, "rn_identify: completion cid %u status %#x\n", dw3 & 0xffff, status);
		rc = -EIO;
		goto disable;
	}
	memcpy(out, buf, 4096);
	rc = 0;
disable:
	if (rn_disable(bar) && !rc)
		rc = -ETIMEDOUT;
free_buf:
	udrv_dma_free(buf);
free_cq:
	udrv_dma_free(cq);
free_sq:
	udrv_dma_free(sq);
	return rc;
}
