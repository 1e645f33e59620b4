/* SPDX-License-Identifier: MIT */
/* NVMe driver error handling against a misbehaving controller model: error
 * statuses, timeouts -> Abort -> reset, bad completions, fatal status, a
 * vanished device, and the reset API with requests in flight. Every request
 * must complete exactly once and nothing may crash. */
#include <stdlib.h>
#include <unistd.h>

#include "nvme_test.h"

static const struct udrv_nvme_model_opts mo_default = { .size = sizeof(mo_default) };
static const struct udrv_nvme_qpair_opts qo_fast = { .size = sizeof(qo_fast), .queue_size = 64,
						     .timeout_ms = 100 };

static void inject(struct nt *t, enum udrv_nvme_model_fault_kind kind, uint32_t count,
		   uint16_t status, uint32_t delay_us)
{
	struct udrv_nvme_model_fault f = { .size = sizeof(f), .kind = kind,
					   .sqid = UDRV_NVME_MODEL_ANY_IOQ, .opcode = -1,
					   .count = count, .status = status, .delay_us = delay_us };

	assert_int_equal(udrv_nvme_model_inject(t->model, &f), 0);
}

/* Submit n one-block reads; returns the buffer. */
static uint8_t *submit_reads(struct nt *t, struct nt_done *d, int n)
{
	uint8_t *buf = nt_dma(4096);

	for (int i = 0; i < n; i++)
		assert_int_equal(udrv_nvme_read(t->qp, 1, buf, (uint64_t)i, 1, 0, nt_cb, &d[i]), 0);
	return buf;
}

/* After recovery the qpair works again. */
static void assert_io_works(struct nt *t)
{
	struct nt_done d = { 0 };
	uint8_t *buf = nt_dma(4096);

	assert_int_equal(udrv_nvme_read(t->qp, 1, buf, 0, 1, 0, nt_cb, &d), 0);
	nt_wait(t->qp, &d.calls, 1, 5000);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.status, 0);
	udrv_dma_free(buf);
}

static void fault__error_status_reported(void **state)
{
	struct nt t;
	struct nt_done d[3] = { 0 };
	struct udrv_nvme_error_entry e[4];
	uint8_t *buf;

	nt_open(&t, &mo_default, NULL, &qo_fast);
	inject(&t, UDRV_NVME_MODEL_FAULT_STATUS, 1, 0x0281 /* media: unrecovered read */, 0);
	buf = submit_reads(&t, d, 3);
	for (int i = 0; i < 3; i++)
		nt_wait(t.qp, &d[i].calls, 1, 5000);
	assert_int_equal(d[0].calls, 1);
	assert_int_equal(d[0].status, 0x0281);
	assert_int_equal(d[1].status, 0);
	assert_int_equal(d[2].status, 0);
	assert_int_equal(udrv_nvme_error_log(t.ctrl, e, 4), 1);
	assert_int_equal(e[0].status, 0x0281);
	assert_int_equal(e[0].sqid, udrv_nvme_qpair_id(t.qp));
	udrv_dma_free(buf);
	nt_close(&t);
}

/* A slow command times out; the driver's Abort takes it back. */
static void fault__timeout_sends_abort(void **state)
{
	struct nt t;
	struct nt_done d[2] = { 0 };
	struct udrv_nvme_qpair_stats st;
	uint8_t *buf;

	nt_open(&t, &mo_default, NULL, &qo_fast);
	inject(&t, UDRV_NVME_MODEL_FAULT_DELAY, 1, 0, 5000000);
	buf = submit_reads(&t, d, 2);
	nt_wait(t.qp, &d[0].calls, 1, 3000);
	nt_wait(t.qp, &d[1].calls, 1, 3000);
	assert_int_equal(d[0].calls, 1);
	assert_int_equal(d[0].status, UDRV_NVME_STATUS_ABORT_REQUESTED);
	assert_int_equal(d[1].calls, 1);
	assert_int_equal(d[1].status, 0);
	udrv_nvme_qpair_stats(t.qp, &st);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.aborts_sent, 1);
	assert_int_equal(st.resets, 0);
	assert_io_works(&t);
	udrv_dma_free(buf);
	nt_close(&t);
}

/* Lost completion: Abort finds nothing, the second expiry resets the
 * controller, the request completes as ABORTED, the queue works again. */
static void fault__lost_completion_resets(void **state)
{
	struct nt t;
	struct nt_done d[4] = { 0 };
	struct udrv_nvme_qpair_stats st;
	uint8_t *buf;

	nt_open(&t, &mo_default, NULL, &qo_fast);
	inject(&t, UDRV_NVME_MODEL_FAULT_LOSE_CPL, 1, 0, 0);
	buf = submit_reads(&t, d, 4);
	for (int i = 0; i < 4; i++)
		nt_wait(t.qp, &d[i].calls, 1, 3000);
	assert_int_equal(d[0].calls, 1);
	assert_int_equal(d[0].status, UDRV_NVME_STATUS_ABORTED);
	for (int i = 1; i < 4; i++) {
		assert_int_equal(d[i].calls, 1);
		assert_int_equal(d[i].status, 0);
	}
	udrv_nvme_qpair_stats(t.qp, &st);
	assert_int_equal(st.resets, 1);
	assert_false(udrv_nvme_ctrl_failed(t.ctrl));
	assert_io_works(&t);
	udrv_dma_free(buf);
	nt_close(&t);
}

static void run_bad_completion(enum udrv_nvme_model_fault_kind kind, uint16_t want_status,
			       uint64_t want_bad)
{
	struct nt t;
	struct nt_done d[3] = { 0 };
	struct udrv_nvme_qpair_stats st;
	uint8_t *buf;

	nt_open(&t, &mo_default, NULL, &qo_fast);
	inject(&t, kind, 1, 0, 0);
	buf = submit_reads(&t, d, 3);
	for (int i = 0; i < 3; i++)
		nt_wait(t.qp, &d[i].calls, 1, 3000);
	for (int i = 0; i < 30; i++)
		udrv_nvme_qpair_poll(t.qp, 0);
	assert_int_equal(d[0].calls, 1);
	assert_int_equal(d[0].status, want_status);
	assert_int_equal(d[1].calls, 1);
	assert_int_equal(d[2].calls, 1);
	udrv_nvme_qpair_stats(t.qp, &st);
	assert_int_equal(st.bad_cpls, want_bad);
	assert_int_equal(udrv_nvme_qpair_outstanding(t.qp), 0);
	assert_io_works(&t);
	udrv_dma_free(buf);
	nt_close(&t);
}

/* cid 0x0fff is beyond the 63 requests: reported, dropped; the real
 * request never completes on the device, so it is recovered by reset. */
static void fault__cid_out_of_range_detected(void **state)
{
	run_bad_completion(UDRV_NVME_MODEL_FAULT_CID_RANGE, UDRV_NVME_STATUS_ABORTED, 1);
}

/* The same completion twice: the second finds the request not in flight. */
static void fault__duplicate_cid_detected(void **state)
{
	run_bad_completion(UDRV_NVME_MODEL_FAULT_DUP_CID, 0, 1);
}

/* A stale phase tag looks like "nothing new": the request and those behind
 * it stall, time out and are recovered by Abort then reset. */
static void fault__stale_phase_detected(void **state)
{
	struct nt t;
	struct nt_done d[3] = { 0 };
	struct udrv_nvme_qpair_stats st;
	uint8_t *buf;

	nt_open(&t, &mo_default, NULL, &qo_fast);
	inject(&t, UDRV_NVME_MODEL_FAULT_STALE_PHASE, 1, 0, 0);
	buf = submit_reads(&t, d, 3);
	for (int i = 0; i < 3; i++)
		nt_wait(t.qp, &d[i].calls, 1, 3000);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(d[i].calls, 1);
		assert_int_equal(d[i].status, UDRV_NVME_STATUS_ABORTED);
	}
	udrv_nvme_qpair_stats(t.qp, &st);
	assert_true(st.timeouts >= 1);
	assert_int_equal(st.resets, 1);
	assert_io_works(&t);
	udrv_dma_free(buf);
	nt_close(&t);
}

static void run_fatal(enum udrv_nvme_model_fault_kind kind)
{
	struct nt t;
	struct nt_done d[4] = { 0 };
	uint8_t *buf;
	int rc = 0;
	uint64_t end;

	nt_open(&t, &mo_default, NULL, &qo_fast);
	inject(&t, UDRV_NVME_MODEL_FAULT_DELAY, 4, 0, 10000000);
	buf = submit_reads(&t, d, 4);
	udrv_nvme_qpair_ring_doorbell(t.qp);
	inject(&t, kind, 1, 0, 0);
	end = nt_now_ms() + 3000;
	while (nt_now_ms() < end && rc >= 0)
		rc = udrv_nvme_qpair_poll(t.qp, 0);
	assert_int_equal(rc, -ENODEV);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(d[i].calls, 1);
		assert_int_equal(d[i].status, UDRV_NVME_STATUS_ABORTED);
	}
	assert_true(udrv_nvme_ctrl_failed(t.ctrl));
	assert_true(*udrv_dev_events(t.dev) & UDRV_DEV_EV_FAILED);
	assert_int_equal(udrv_nvme_read(t.qp, 1, buf, 0, 1, 0, nt_cb, &d[0]), -ENODEV);
	assert_int_equal(udrv_nvme_qpair_poll(t.qp, 0), -ENODEV);
	assert_int_equal(udrv_nvme_ctrl_reset(t.ctrl), -ENODEV);
	for (int i = 0; i < 4; i++)
		assert_int_equal(d[i].calls, 1);
	udrv_dma_free(buf);
	nt_close(&t);
}

static void fault__cfs_fails_requests(void **state)
{
	run_fatal(UDRV_NVME_MODEL_FAULT_CFS);
}

static void fault__all_ones_means_gone(void **state)
{
	run_fatal(UDRV_NVME_MODEL_FAULT_GONE);
}

/* The kernel asks for the device back (UDRV_DEV_EV_REMOVE, what the runtime's
 * event thread sets on the VFIO request IRQ): the owner's next polls complete
 * every request in flight with ABORTED, once, and the qpair says -ENODEV. */
static void fault__remove_request_aborts_in_flight_at_next_poll(void **state)
{
	struct nt t;
	struct nt_done d[4] = { 0 };
	uint8_t *buf;
	int rc = 0;
	uint64_t end;

	(void)state;
	nt_open(&t, &mo_default, NULL, &qo_fast);
	inject(&t, UDRV_NVME_MODEL_FAULT_DELAY, 4, 0, 10000000);
	buf = submit_reads(&t, d, 4);
	udrv_nvme_qpair_ring_doorbell(t.qp);
	udrv_dev_raise_event(t.dev, UDRV_DEV_EV_REMOVE);
	end = nt_now_ms() + 3000;
	while (nt_now_ms() < end && rc >= 0)
		rc = udrv_nvme_qpair_poll(t.qp, 0);
	assert_int_equal(rc, -ENODEV);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(d[i].calls, 1);
		assert_int_equal(d[i].status, UDRV_NVME_STATUS_ABORTED);
	}
	assert_true(udrv_nvme_ctrl_failed(t.ctrl));
	assert_int_equal(udrv_nvme_read(t.qp, 1, buf, 0, 1, 0, nt_cb, &d[0]), -ENODEV);
	assert_int_equal(d[0].calls, 1);
	udrv_dma_free(buf);
	nt_close(&t);
}

/* The reset API with requests in flight: all complete once as ABORTED,
 * the queues are re-created, new I/O works. */
static void reset__completes_in_flight_requests(void **state)
{
	struct udrv_nvme_qpair_opts qo = { .size = sizeof(qo), .queue_size = 64 };
	struct nt t;
	struct nt_done d[16] = { 0 };
	struct udrv_nvme_qpair_stats st;
	uint8_t *buf;

	nt_open(&t, &mo_default, NULL, &qo);
	inject(&t, UDRV_NVME_MODEL_FAULT_DELAY, 16, 0, 20000000);
	buf = submit_reads(&t, d, 16);
	for (int i = 0; i < 20; i++)
		udrv_nvme_qpair_poll(t.qp, 0);
	assert_int_equal(udrv_nvme_qpair_outstanding(t.qp), 16);
	assert_int_equal(udrv_nvme_ctrl_reset(t.ctrl), 0);
	/* Commands the model had not fetched before the reset must not keep the fault. */
	udrv_nvme_model_clear_faults(t.model);
	udrv_nvme_qpair_poll(t.qp, 0);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(d[i].calls, 1);
		assert_int_equal(d[i].status, UDRV_NVME_STATUS_ABORTED);
	}
	udrv_nvme_qpair_stats(t.qp, &st);
	assert_int_equal(st.resets, 1);
	assert_io_works(&t);
	for (int i = 0; i < 16; i++)
		assert_int_equal(d[i].calls, 1);
	udrv_dma_free(buf);
	nt_close(&t);
}

/* A callback that resubmits during the abort-all of a reset must not have
 * its new request aborted too. */
struct resub {
	struct udrv_nvme_qpair *qp;
	uint8_t *buf;
	struct nt_done first, second;
};

static void resub_cb(void *arg, const struct udrv_nvme_cpl *cpl)
{
	struct resub *r = arg;

	nt_cb(&r->first, cpl);
	assert_int_equal(udrv_nvme_read(r->qp, 1, r->buf, 0, 1, 0, nt_cb, &r->second), 0);
}

static void reset__resubmit_from_callback(void **state)
{
	struct nt t;
	struct resub r = { 0 };

	nt_open(&t, &mo_default, NULL, &qo_fast);
	r.qp = t.qp;
	r.buf = nt_dma(4096);
	inject(&t, UDRV_NVME_MODEL_FAULT_DELAY, 1, 0, 20000000);
	assert_int_equal(udrv_nvme_read(t.qp, 1, r.buf, 0, 1, 0, resub_cb, &r), 0);
	udrv_nvme_qpair_ring_doorbell(t.qp);
	assert_int_equal(udrv_nvme_ctrl_reset(t.ctrl), 0);
	udrv_nvme_model_clear_faults(t.model);
	nt_wait(t.qp, &r.second.calls, 1, 3000);
	assert_int_equal(r.first.calls, 1);
	assert_int_equal(r.first.status, UDRV_NVME_STATUS_ABORTED);
	assert_int_equal(r.second.calls, 1);
	assert_int_equal(r.second.status, 0);
	udrv_dma_free(r.buf);
	nt_close(&t);
}

/* Destroying a qpair with requests in flight completes them once. */
static void qpair__destroy_completes_outstanding(void **state)
{
	struct nt t;
	struct nt_done d[5] = { 0 };
	uint8_t *buf;

	nt_open(&t, &mo_default, NULL, &qo_fast);
	inject(&t, UDRV_NVME_MODEL_FAULT_DELAY, 5, 0, 20000000);
	buf = submit_reads(&t, d, 5);
	udrv_nvme_qpair_ring_doorbell(t.qp);
	udrv_nvme_qpair_destroy(t.qp);
	t.qp = NULL;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(d[i].calls, 1);
		assert_int_equal(d[i].status, UDRV_NVME_STATUS_ABORTED);
	}
	udrv_dma_free(buf);
	nt_close(&t);
}

/* An admin command that never completes in time is abandoned with
 * -ETIMEDOUT; its late completion must not touch the caller's stack, and a
 * reset makes the admin queue usable again. */
static void admin__timeout_abandons_then_reset_recovers(void **state)
{
	struct nt t;
	struct udrv_nvme_model_fault f = { .size = sizeof(f), .kind = UDRV_NVME_MODEL_FAULT_DELAY,
					   .sqid = 0, .opcode = 0x06, .count = 1,
					   .delay_us = 300000 };
	struct udrv_nvme_cmd cmd = { .opcode = 0x06, .cdw10 = 1 };
	struct udrv_nvme_cpl cpl;
	uint8_t *id = nt_dma(4096);
	struct udrv_nvme_health h;

	nt_open(&t, &mo_default, NULL, &qo_fast);
	assert_int_equal(udrv_nvme_model_inject(t.model, &f), 0);
	assert_int_equal(udrv_nvme_admin_cmd(t.ctrl, &cmd, id, 4096, &cpl, 50), -ETIMEDOUT);
	/* Let the late completion arrive and be reaped by the next command. */
	usleep(400000);
	assert_int_equal(udrv_nvme_health(t.ctrl, &h), 0);
	assert_int_equal(udrv_nvme_ctrl_reset(t.ctrl), 0);
	assert_int_equal(udrv_nvme_admin_cmd(t.ctrl, &cmd, id, 4096, &cpl, 0), 0);
	assert_int_equal(cpl.status, 0);
	assert_io_works(&t);
	udrv_dma_free(id);
	nt_close(&t);
}

/* Many requests through a device that mixes error statuses, duplicate and
 * out-of-range completions, delays and a lost completion: every request
 * completes exactly once, and the queue keeps working. */
static void fault__mixed_faults_exactly_once(void **state)
{
	struct nt t;
	enum { N = 400 };
	struct nt_done *d = calloc(N, sizeof(*d));
	struct udrv_nvme_qpair_stats st;
	uint8_t *buf = nt_dma(4096);
	struct udrv_nvme_model_fault f[] = {
		{ .kind = UDRV_NVME_MODEL_FAULT_STATUS, .skip = 10, .count = 5, .status = 0x0281 },
		{ .kind = UDRV_NVME_MODEL_FAULT_DUP_CID, .skip = 30, .count = 3 },
		{ .kind = UDRV_NVME_MODEL_FAULT_DELAY, .skip = 50, .count = 20, .delay_us = 2000 },
		{ .kind = UDRV_NVME_MODEL_FAULT_CID_RANGE, .skip = 120, .count = 1 },
		{ .kind = UDRV_NVME_MODEL_FAULT_LOSE_CPL, .skip = 200, .count = 1 },
	};
	int next = 0, errors = 0, aborted = 0;
	uint64_t end;

	nt_open(&t, &mo_default, NULL, &qo_fast);
	for (unsigned i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		f[i].size = sizeof(f[i]);
		f[i].sqid = UDRV_NVME_MODEL_ANY_IOQ;
		f[i].opcode = -1;
		assert_int_equal(udrv_nvme_model_inject(t.model, &f[i]), 0);
	}
	end = nt_now_ms() + 20000;
	while (nt_now_ms() < end) {
		int done = 0;

		while (next < N) {
			int rc = udrv_nvme_read(t.qp, 1, buf, (uint64_t)next, 1, 0, nt_cb, &d[next]);

			if (rc == -EAGAIN)
				break;
			assert_int_equal(rc, 0);
			next++;
		}
		assert_true(udrv_nvme_qpair_poll(t.qp, 0) >= 0);
		for (int i = 0; i < N; i++)
			done += d[i].calls;
		if (next == N && done == N)
			break;
	}
	for (int i = 0; i < 50; i++)
		udrv_nvme_qpair_poll(t.qp, 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(d[i].calls, 1);
		if (d[i].status == 0x0281)
			errors++;
		if (d[i].status == UDRV_NVME_STATUS_ABORTED)
			aborted++;
	}
	udrv_nvme_qpair_stats(t.qp, &st);
	assert_int_equal(errors, 5);
	assert_true(aborted >= 2); /* the out-of-range and the lost one, at least */
	assert_true(st.bad_cpls >= 4); /* three duplicates, one out of range */
	assert_int_equal(udrv_nvme_qpair_outstanding(t.qp), 0);
	udrv_nvme_model_clear_faults(t.model);
	assert_io_works(&t);
	free(d);
	udrv_dma_free(buf);
	nt_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fault__error_status_reported),
		cmocka_unit_test(fault__timeout_sends_abort),
		cmocka_unit_test(fault__lost_completion_resets),
		cmocka_unit_test(fault__cid_out_of_range_detected),
		cmocka_unit_test(fault__duplicate_cid_detected),
		cmocka_unit_test(fault__stale_phase_detected),
		cmocka_unit_test(fault__cfs_fails_requests),
		cmocka_unit_test(fault__all_ones_means_gone),
		cmocka_unit_test(fault__remove_request_aborts_in_flight_at_next_poll),
		cmocka_unit_test(reset__completes_in_flight_requests),
		cmocka_unit_test(reset__resubmit_from_callback),
		cmocka_unit_test(qpair__destroy_completes_outstanding),
		cmocka_unit_test(admin__timeout_abandons_then_reset_recovers),
		cmocka_unit_test(fault__mixed_faults_exactly_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
