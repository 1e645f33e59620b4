/* SPDX-License-Identifier: MIT */
/*
 * Queue pair churn against the controller model (tests/common/nvme_churn.c):
 * create a qpair, do 3 I/Os, destroy it, hundreds of times, so queue ids are
 * reused. Everything per qid (command id generations, shadow doorbell and
 * EventIdx slots, CQ phase, SQ head and tail, the last doorbell values) must
 * start clean on every creation. Three doorbell modes: MMIO doorbells; shadow
 * doorbells on a controller that polls them; shadow doorbells on one that
 * sleeps until an MMIO write wakes it and leaves EventIdx at the tail it
 * reached, as QEMU's hw/nvme does. From one thread with one queue id, and
 * from four threads sharing four queue ids.
 */
#include "nvme_test.h"
#include "../../common/nvme_churn.h"

#define CHURN_ROUNDS 300
#define CHURN_THREADS 4
#define CHURN_THREAD_ROUNDS 150

struct churn_mode {
	const char *name;
	uint32_t model_flags;
	uint32_t ctrl_flags;
};

static const struct churn_mode mode_shadow = { "shadow (polled)", 0, 0 };
static const struct churn_mode mode_lazy = { "shadow (QEMU-like EventIdx)",
					     UDRV_NVME_MODEL_LAZY_SHADOW_DB, 0 };
static const struct churn_mode mode_mmio = { "MMIO doorbells", 0, UDRV_NVME_CTRL_NO_SHADOW_DB };

static void churn(const struct churn_mode *m, unsigned threads, unsigned rounds)
{
	struct udrv_nvme_model_opts mo = { .size = sizeof(mo), .flags = m->model_flags };
	/* As many queue ids as threads, so every round reuses one. */
	struct udrv_nvme_ctrl_opts co = { .size = sizeof(co), .flags = m->ctrl_flags,
					  .io_queues = threads };
	struct nvme_churn_opts o = { .nsid = 1, .lba_size = 512, .threads = threads,
				     .rounds = rounds, .wait_ms = 3000 };
	struct udrv_nvme_model_stats mst;
	struct udrv_nvme_ctrl_info info;
	struct nvme_churn_result res;
	struct udrv_nvme_model *model;
	struct udrv_nvme_ctrl *ctrl;
	struct udrv_dev *dev;

	assert_int_equal(udrv_nvme_model_open(&mo, &dev, &model), 0);
	assert_int_equal(udrv_nvme_ctrl_open(dev, &co, &ctrl), 0);
	assert_int_equal(udrv_nvme_ctrl_info(ctrl, &info), 0);
	assert_int_equal(info.shadow_db_used, !(m->ctrl_flags & UDRV_NVME_CTRL_NO_SHADOW_DB));
	assert_int_equal(info.io_queues, threads);
	if (nvme_churn_run(ctrl, &o, &res) < 0)
		fail_msg("%s, %u thread(s): %s", m->name, threads, res.err);
	assert_int_equal(res.rounds_done, threads * rounds);
	/* Every round reused one of the `threads' queue ids. */
	assert_true(res.max_qid >= 1 && res.max_qid <= threads);
	udrv_nvme_model_stats(model, &mst);
	if (m->model_flags & UDRV_NVME_MODEL_LAZY_SHADOW_DB)
		/* The controller slept between rounds: each one woke it by MMIO. */
		assert_true(mst.mmio_sq_doorbells >= (uint64_t)threads * rounds);
	udrv_nvme_ctrl_close(ctrl);
	assert_int_equal(udrv_model_dma_faults(dev), 0);
	udrv_dev_close(dev);
}

static void qpair_churn__reused_qid_shadow_polled(void **state)
{
	(void)state;
	churn(&mode_shadow, 1, CHURN_ROUNDS);
}

static void qpair_churn__reused_qid_shadow_qemu_eventidx(void **state)
{
	(void)state;
	churn(&mode_lazy, 1, CHURN_ROUNDS);
}

static void qpair_churn__reused_qid_mmio_doorbells(void **state)
{
	(void)state;
	churn(&mode_mmio, 1, CHURN_ROUNDS);
}

static void qpair_churn__threads_shadow_polled(void **state)
{
	(void)state;
	churn(&mode_shadow, CHURN_THREADS, CHURN_THREAD_ROUNDS);
}

static void qpair_churn__threads_shadow_qemu_eventidx(void **state)
{
	(void)state;
	churn(&mode_lazy, CHURN_THREADS, CHURN_THREAD_ROUNDS);
}

static void qpair_churn__threads_mmio_doorbells(void **state)
{
	(void)state;
	churn(&mode_mmio, CHURN_THREADS, CHURN_THREAD_ROUNDS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(qpair_churn__reused_qid_shadow_polled),
		cmocka_unit_test(qpair_churn__reused_qid_shadow_qemu_eventidx),
		cmocka_unit_test(qpair_churn__reused_qid_mmio_doorbells),
		cmocka_unit_test(qpair_churn__threads_shadow_polled),
		cmocka_unit_test(qpair_churn__threads_shadow_qemu_eventidx),
		cmocka_unit_test(qpair_churn__threads_mmio_doorbells),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
