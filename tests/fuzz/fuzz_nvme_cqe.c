/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the NVMe I/O completion path against completion entries
 * the fuzzer writes (cid, status, sqhd, sqid, phase tag, dw0; entries lost,
 * duplicated, or torn). The input plays a program of submissions (reads,
 * writes, flushes, vectored reads), model polls and qpair polls while the
 * model's completion entries pass through fuzz_common.h's tamper program;
 * then the corruption stops, the qpair drains and is destroyed.
 *
 * Invariants beyond ASan/UBSan: a callback never runs twice for one request
 * nor for a submission that failed, and once the qpair is destroyed every
 * submitted request has completed exactly once.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include <udrv/udrv.h>
#include <udrv/mem.h>
#include <udrv/nvme.h>
#include <udrv/nvme_model.h>

#include "fuzz_common.h"

#define SLOTS 512u
#define QSIZE 32u
#define OPS_MAX 256u
#define BUF_BYTES (64u * 1024)

static struct udrv_dev *dev;
static struct udrv_nvme_ctrl *ctrl;
static uint8_t *buf;

struct slot {
	int calls;
	bool submitted;
};
static struct slot slots[SLOTS];
static unsigned nslots;

static void done(void *arg, const struct udrv_nvme_cpl *cpl)
{
	struct slot *s = arg;

	(void)cpl;
	if (!s->submitted)
		fz_fail("callback of a request whose submission failed (slot %ld)",
			(long)(s - slots));
	if (++s->calls > 1)
		fz_fail("request in slot %ld completed %d times", (long)(s - slots), s->calls);
}

static void open_ctrl(void)
{
	struct udrv_nvme_model_opts mo = { .size = sizeof(mo), .namespaces = 2, .blocks = 4096,
					   .max_io_queues = 4, .mdts = 2 };
	struct udrv_nvme_ctrl_opts co = { .size = sizeof(co), .io_queues = 2,
					  .admin_timeout_ms = 2000 };
	int rc;

	rc = udrv_nvme_model_open(&mo, &dev, NULL);
	if (rc)
		fz_fail("model open: %d", rc);
	udrvi_model_set_tamper(dev, fz_tamper, NULL);
	/* Polled only here and where the driver waits: one input, one execution. */
	udrvi_model_set_manual(dev, true);
	rc = udrv_nvme_ctrl_open(dev, &co, &ctrl);
	if (rc)
		fz_fail("controller open: %d", rc);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint64_t iova;

	(void)argc;
	(void)argv;
	fz_env();
	if (udrv_dma_alloc(BUF_BYTES, 4096, (void **)&buf, &iova))
		fz_fail("DMA buffer");
	open_ctrl();
	return 0;
}

static void submit(struct udrv_nvme_qpair *qp, uint8_t op)
{
	struct slot *s;
	uint32_t nlb = 1 + (fz_u8() & 63); /* up to 32 KiB: splits beyond MDTS (16 KiB) */
	uint64_t lba = fz_u16() & 4095;
	uint32_t nsid = 1 + (op >> 7);
	int rc;

	if (nslots == SLOTS)
		return;
	s = &slots[nslots++];
	s->submitted = true; /* a callback may run inside the call */
	if (lba + nlb > 4096)
		lba = 4096 - nlb;
	switch (op >> 4 & 3) {
	case 0:
		rc = udrv_nvme_read(qp, nsid, buf, lba, nlb, 0, done, s);
		break;
	case 1:
		rc = udrv_nvme_write(qp, nsid, buf, lba, nlb, 0, done, s);
		break;
	case 2:
		rc = udrv_nvme_flush(qp, nsid, done, s);
		break;
	default: {
		struct iovec iov[2] = { { buf, 4096 }, { buf + 8192, 4096 } };

		rc = udrv_nvme_readv(qp, nsid, iov, 2, lba, 8 > 4096 - lba ? 1 : 8, 0, done, s);
		break;
	}
	}
	if (rc < 0) {
		if (s->calls)
			fz_fail("a failed submission (%d) ran its callback", rc);
		s->submitted = false;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct udrv_nvme_qpair_opts qo = { .size = sizeof(qo), .queue_size = QSIZE };
	struct udrv_nvme_qpair *qp;
	int rc;

	rc = udrv_nvme_qpair_create(ctrl, &qo, &qp);
	if (rc)
		fz_fail("qpair create: %d", rc);
	memset(slots, 0, sizeof(slots));
	nslots = 0;
	fz_start(data, size, FZ_KIND(UDRVI_MODEL_NVME_CQE));
	for (unsigned ops = 0; fz.left && ops < OPS_MAX; ops++) {
		uint8_t op = fz_u8();

		switch (op & 3) {
		case 0:
			submit(qp, op);
			break;
		case 1:
			udrvi_model_poll(dev);
			break;
		case 2:
			(void)udrv_nvme_qpair_poll(qp, op >> 2);
			break;
		default:
			udrv_nvme_qpair_ring_doorbell(qp);
			break;
		}
	}
	/* Honest again: what the model still owes arrives; lost ones do not. */
	fz.armed = false;
	for (unsigned i = 0; i < 8; i++) {
		udrvi_model_poll(dev);
		if (udrv_nvme_qpair_poll(qp, 0) < 0)
			break;
	}
	udrv_nvme_qpair_destroy(qp);
	for (unsigned i = 0; i < nslots; i++)
		if (slots[i].calls != (slots[i].submitted ? 1 : 0))
			fz_fail("request in slot %u: submitted %d, completed %d times", i,
				slots[i].submitted, slots[i].calls);
	if (udrv_nvme_ctrl_failed(ctrl)) {
		/* A device the driver gave up on: start over with a fresh one. */
		udrv_nvme_ctrl_close(ctrl);
		udrv_dev_close(dev);
		open_ctrl();
	}
	return 0;
}
