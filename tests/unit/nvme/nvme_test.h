/* SPDX-License-Identifier: MIT */
/* Shared fixtures for the NVMe unit tests: a controller model, the driver
 * on top of it, and helpers to wait for completions. */
#ifndef UDRV_TEST_NVME_H
#define UDRV_TEST_NVME_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <udrv/udrv.h>
#include <udrv/nvme.h>
#include <udrv/nvme_model.h>

struct nt {
	struct udrv_dev *dev;
	struct udrv_nvme_model *model;
	struct udrv_nvme_ctrl *ctrl;
	struct udrv_nvme_qpair *qp;
};

/* One completion slot: counts callbacks so exactly-once can be asserted. */
struct nt_done {
	int calls;
	uint16_t status;
	uint32_t cdw0;
};

static inline void nt_cb(void *arg, const struct udrv_nvme_cpl *cpl)
{
	struct nt_done *d = arg;

	d->calls++;
	d->status = cpl->status;
	d->cdw0 = cpl->cdw0;
}

static inline uint64_t nt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Poll until *calls >= n or timeout_ms passes; returns the last poll rc. */
static inline int nt_wait(struct udrv_nvme_qpair *qp, const int *calls, int n,
			  unsigned timeout_ms)
{
	uint64_t end = nt_now_ms() + timeout_ms;
	int rc = 0;

	while (*calls < n && nt_now_ms() < end) {
		rc = udrv_nvme_qpair_poll(qp, 0);
		if (rc < 0)
			break;
	}
	return rc;
}

static inline void nt_open(struct nt *t, const struct udrv_nvme_model_opts *mo,
			   const struct udrv_nvme_ctrl_opts *co,
			   const struct udrv_nvme_qpair_opts *qo)
{
	memset(t, 0, sizeof(*t));
	assert_int_equal(udrv_nvme_model_open(mo, &t->dev, &t->model), 0);
	assert_int_equal(udrv_nvme_ctrl_open(t->dev, co, &t->ctrl), 0);
	assert_int_equal(udrv_nvme_qpair_create(t->ctrl, qo, &t->qp), 0);
}

static inline void nt_close(struct nt *t)
{
	if (t->qp)
		udrv_nvme_qpair_destroy(t->qp);
	udrv_nvme_ctrl_close(t->ctrl);
	assert_int_equal(udrv_model_dma_faults(t->dev), 0);
	udrv_dev_close(t->dev);
}

static inline void *nt_dma(size_t len)
{
	void *p = NULL;

	assert_int_equal(udrv_dma_alloc(len, 4096, &p, NULL), 0);
	return p;
}

#endif
