/* SPDX-License-Identifier: MIT */
/*
 * The fast submission path writes only the SQE fields a read or write sets
 * and relies on the others (CDW2-3, MPTR, PRP2, CDW14-15) being 0 in the slot
 * already (qp->sq_dirty counts the fast submissions that must still write
 * whole SQEs). Checked against the SQ memory itself: after a passthrough
 * command with those fields set, and after a controller reset restarts the
 * tail at 0, every read the fast path places has them 0.
 */
#include "nvme_test.h"

#include "../../../drivers/nvme/nvme_priv.h"

#define QSIZE 8u

static void assert_fast_fields_zero(const struct udrv_nvme_qpair *qp)
{
	const struct nvme_sqe *e = &qp->sq[(qp->sq_tail - 1u) & qp->qmask];

	assert_int_equal(e->opcode, NVME_CMD_READ);
	assert_int_equal(e->cdw2, 0);
	assert_int_equal(e->cdw3, 0);
	assert_int_equal(e->mptr, 0);
	assert_int_equal(e->prp2, 0);
	assert_int_equal(e->cdw14, 0);
	assert_int_equal(e->cdw15, 0);
}

static void read_one(struct nt *t, uint8_t *buf, bool check)
{
	struct nt_done d = { 0 };

	assert_int_equal(udrv_nvme_read(t->qp, 1, buf, 8, 1, 0, nt_cb, &d), 0);
	if (check)
		assert_fast_fields_zero(t->qp);
	nt_wait(t->qp, &d.calls, 1, 5000);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.status, 0);
}

/* For each slot s: move the tail to s with reads, place a passthrough read
 * with the fields set at s, three reads after it (wrapping for the last
 * slots), reset the controller, let a poll re-create the queues, then a
 * whole lap of reads, each checked. */
static void sqe__fast_reads_after_passthrough_and_reset_have_zero_fields(void **state)
{
	struct udrv_nvme_model_opts mo = { .size = sizeof(mo), .lba_size = 512, .blocks = 4096 };
	struct udrv_nvme_qpair_opts qo = { .size = sizeof(qo), .queue_size = QSIZE };
	struct udrv_nvme_cmd cmd = { .opcode = NVME_CMD_READ, .nsid = 1, .cdw2 = 0x11111111,
				     .cdw3 = 0x22222222, .cdw10 = 16, .cdw12 = 7, .cdw14 = 0x33333333,
				     .cdw15 = 0x44444444 };
	uint8_t *buf = nt_dma(8192);
	struct nt t;

	(void)state;
	nt_open(&t, &mo, NULL, &qo);
	for (unsigned s = 0; s < QSIZE; s++) {
		struct nt_done d = { 0 };

		while (t.qp->sq_tail != s)
			read_one(&t, buf, false);
		/* Two pages: PRP2 set too. */
		assert_int_equal(udrv_nvme_io_raw(t.qp, &cmd, buf + 512, 4096, nt_cb, &d), 0);
		nt_wait(t.qp, &d.calls, 1, 5000);
		assert_int_equal(d.calls, 1);
		for (unsigned i = 0; i < 3; i++)
			read_one(&t, buf, true);
		assert_int_equal(udrv_nvme_ctrl_reset(t.ctrl), 0);
		assert_true(udrv_nvme_qpair_poll(t.qp, 0) >= 0);
		assert_int_equal(t.qp->sq_tail, 0);
		for (unsigned i = 0; i < QSIZE; i++)
			read_one(&t, buf, true);
	}
	udrv_dma_free(buf);
	nt_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sqe__fast_reads_after_passthrough_and_reset_have_zero_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
