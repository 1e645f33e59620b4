/* SPDX-License-Identifier: MIT */
/*
 * Driver cost per I/O on the controller model in null mode, for callgrind.
 *
 * Each round submits QD reads (udrv_nvme_read), rings the doorbell once
 * (udrv_nvme_qpair_ring_doorbell), waits -- outside the measured functions -- until
 * the model has executed them, then reaps all QD completions with a single
 * udrv_nvme_qpair_poll. So the measured functions do exactly the work of QD
 * submissions and QD completions, with no empty polls. bench_cb is the
 * application's callback and is excluded (callgrind --toggle-collect).
 *
 *   nvme_ipio [ROUNDS [QD]]     default 2000 rounds of 32
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include <udrv/udrv.h>
#include <udrv/nvme.h>
#include <udrv/nvme_model.h>

static unsigned long done;

__attribute__((noinline)) void bench_cb(void *arg, const struct udrv_nvme_cpl *cpl);
__attribute__((noinline)) void bench_cb(void *arg, const struct udrv_nvme_cpl *cpl)
{
	done++;
}

int main(int argc, char **argv)
{
	struct udrv_nvme_model_opts mo = { .size = sizeof(mo), .flags = UDRV_NVME_MODEL_NULL,
					   .blocks = 1u << 20 };
	struct udrv_nvme_qpair_opts qo = { .size = sizeof(qo), .queue_size = 256 };
	unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 2000;
	unsigned qd = argc > 2 ? (unsigned)atoi(argv[2]) : 32;
	struct udrv_nvme_model *model;
	struct udrv_nvme_model_stats ms;
	struct udrv_nvme_ctrl *ctrl;
	struct udrv_nvme_qpair *qp;
	struct udrv_dev *dev;
	uint64_t lba = 1, expect = 0;
	uint8_t *buf;

	struct udrv_opts ro = { .size = sizeof(ro), .va_window = 1ull << 30 };

	if (!rounds || !qd || qd > 255) {
		fprintf(stderr, "usage: nvme_ipio [ROUNDS [QD <= 255]]\n");
		return 2;
	}
	/* A small DMA window: valgrind cannot reserve the default 64 GiB. */
	if (udrv_init(&ro) < 0) {
		fprintf(stderr, "nvme_ipio: udrv_init failed: %s\n", udrv_last_error());
		return 1;
	}
	if (udrv_nvme_model_open(&mo, &dev, &model) < 0 ||
	    udrv_nvme_ctrl_open(dev, NULL, &ctrl) < 0 ||
	    udrv_nvme_qpair_create(ctrl, &qo, &qp) < 0 ||
	    udrv_dma_alloc((size_t)qd * 4096, 4096, (void **)&buf, NULL) < 0) {
		fprintf(stderr, "nvme_ipio: setup failed: %s\n", udrv_last_error());
		return 1;
	}
	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < qd; i++) {
			lba = lba * 6364136223846793005ull + 1442695040888963407ull;
			if (udrv_nvme_read(qp, 1, buf + (size_t)i * 4096, (lba >> 20) % ((1u << 20) / 8) * 8,
					   8, 0, bench_cb, NULL) < 0) {
				fprintf(stderr, "nvme_ipio: submit failed\n");
				return 1;
			}
		}
		udrv_nvme_qpair_ring_doorbell(qp);
		expect += qd;
		do {
			udrv_nvme_model_stats(model, &ms);
			if (ms.io_cmds < expect)
				sched_yield();
		} while (ms.io_cmds < expect);
		/* The model posts each completion right after executing it; give the
		 * last store a moment to land before the single measured poll. */
		sched_yield();
		while (done < expect)
			udrv_nvme_qpair_poll(qp, 0);
	}
	printf("ios %lu rounds %u qd %u\n", done, rounds, qd);
	udrv_nvme_qpair_destroy(qp);
	udrv_nvme_ctrl_close(ctrl);
	udrv_dev_close(dev);
	return 0;
}
