/* SPDX-License-Identifier: MIT */
/*
 * Guard rails: misuse of the NVMe API is refused with a message that names
 * the caller's mistake (udrv_last_error() is always about this call), never
 * blamed on the device and never a crash.
 */
#include <pthread.h>
#include <stdio.h>

#include "nvme_test.h"

static const struct udrv_nvme_model_opts mo_default = { .size = sizeof(mo_default) };
static const struct udrv_nvme_model_opts mo_nosgl = { .size = sizeof(mo_nosgl),
						      .flags = UDRV_NVME_MODEL_NO_SGL };

/* Leave an unrelated message behind, so a call that logs nothing fails the
 * message checks below. */
static void stale_error(void)
{
	void *p;

	assert_int_equal(udrv_dma_alloc(0, 0, &p, NULL), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "size must be > 0"));
}

#define assert_error(call, rc, text)                                              \
	do {                                                                       \
		stale_error();                                                     \
		assert_int_equal((call), (rc));                                    \
		if (!strstr(udrv_last_error(), (text)))                            \
			fail_msg("last error \"%s\" lacks \"%s\"", udrv_last_error(), (text)); \
	} while (0)

static void guard__unaligned_buffer__einval_names_dword_rule(void **state)
{
	struct nt_done d = { 0 };
	struct nt t;
	uint8_t *buf;

	(void)state;
	nt_open(&t, &mo_default, NULL, NULL);
	buf = nt_dma(256 * 1024);
	assert_error(udrv_nvme_read(t.qp, 1, buf + 1, 0, 1, 0, nt_cb, &d), -EINVAL,
		     "does not start on a 4-byte boundary");
	assert_error(udrv_nvme_write(t.qp, 1, buf + 2, 0, 1, 0, nt_cb, &d), -EINVAL,
		     "dword-aligned data");
	/* Beyond the transfer limit (split) as well. */
	assert_error(udrv_nvme_read(t.qp, 1, buf + 1, 0, 512, 0, nt_cb, &d), -EINVAL,
		     "does not start on a 4-byte boundary");
	assert_int_equal(udrv_nvme_qpair_outstanding(t.qp), 0);
	/* Dword aligned (not page aligned) is fine. */
	assert_int_equal(udrv_nvme_read(t.qp, 1, buf + 4, 0, 1, 0, nt_cb, &d), 0);
	nt_wait(t.qp, &d.calls, 1, 5000);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.status, 0);
	udrv_dma_free(buf);
	nt_close(&t);
}

static void guard__unknown_io_flags__einval(void **state)
{
	struct nt_done d = { 0 };
	struct nt t;
	uint8_t *buf;

	(void)state;
	nt_open(&t, &mo_default, NULL, NULL);
	buf = nt_dma(4096);
	assert_error(udrv_nvme_read(t.qp, 1, buf, 0, 1, 2, nt_cb, &d), -EINVAL,
		     "io_flags 0x2 has bits udrv does not know");
	assert_error(udrv_nvme_write(t.qp, 1, buf, 0, 1, 0x80000000u, nt_cb, &d), -EINVAL,
		     "UDRV_NVME_IO_FUA");
	assert_error(udrv_nvme_write_zeroes(t.qp, 1, 0, 1, 4, nt_cb, &d), -EINVAL, "io_flags 0x4");
	assert_int_equal(udrv_nvme_write(t.qp, 1, buf, 0, 1, UDRV_NVME_IO_FUA, nt_cb, &d), 0);
	nt_wait(t.qp, &d.calls, 1, 5000);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.status, 0);
	udrv_dma_free(buf);
	nt_close(&t);
}

static void guard__range_nlb0_iovcnt0_write_zeroes__each_logged(void **state)
{
	struct nt_done d = { 0 };
	struct iovec iov;
	struct nt t;
	uint8_t *buf;

	(void)state;
	nt_open(&t, &mo_default, NULL, NULL); /* 32768 blocks of 512 bytes */
	buf = nt_dma(4096);
	iov.iov_base = buf;
	iov.iov_len = 512;
	assert_error(udrv_nvme_read(t.qp, 1, buf, 32768, 1, 0, nt_cb, &d), -ERANGE,
		     "blocks 32768..32768 lie outside namespace 1, which has 32768 blocks");
	assert_error(udrv_nvme_write(t.qp, 1, buf, 32767, 2, 0, nt_cb, &d), -ERANGE,
		     "outside namespace 1");
	assert_error(udrv_nvme_read(t.qp, 1, buf, 0, 0, 0, nt_cb, &d), -EINVAL,
		     "a request of 0 blocks");
	assert_error(udrv_nvme_readv(t.qp, 1, &iov, 0, 0, 1, 0, nt_cb, &d), -EINVAL,
		     "at least one iovec element");
	assert_error(udrv_nvme_writev(t.qp, 1, NULL, 1, 0, 1, 0, nt_cb, &d), -EINVAL, "iov NULL");
	assert_error(udrv_nvme_write_zeroes(t.qp, 1, 0, 65537, 0, nt_cb, &d), -EINVAL,
		     "covers at most 65536");
	assert_error(udrv_nvme_read(t.qp, 7, buf, 0, 1, 0, nt_cb, &d), -EINVAL,
		     "namespace 7 is not an active namespace");
	assert_int_equal(d.calls, 0);
	assert_int_equal(udrv_nvme_qpair_outstanding(t.qp), 0);
	udrv_dma_free(buf);
	nt_close(&t);
}

/* Without SGL the iovec rule that breaks is named, not "not DMA memory". */
static void guard__iovec_not_prpable_without_sgl__names_the_rule(void **state)
{
	struct nt_done d = { 0 };
	struct iovec iov[2];
	struct nt t;
	uint8_t *buf, local[512];

	(void)state;
	nt_open(&t, &mo_nosgl, NULL, NULL);
	buf = nt_dma(3 * 4096);
	iov[0] = (struct iovec){ .iov_base = buf, .iov_len = 4096 };
	iov[1] = (struct iovec){ .iov_base = buf + 4096 + 512, .iov_len = 512 };
	assert_error(udrv_nvme_readv(t.qp, 1, iov, 2, 0, 9, 0, nt_cb, &d), -EINVAL,
		     "iovec element 1 starts at");
	assert_null(strstr(udrv_last_error(), "not udrv DMA memory"));
	assert_non_null(strstr(udrv_last_error(), "has none"));
	iov[0] = (struct iovec){ .iov_base = buf, .iov_len = 512 };
	iov[1] = (struct iovec){ .iov_base = buf + 4096, .iov_len = 4096 };
	assert_error(udrv_nvme_writev(t.qp, 1, iov, 2, 0, 9, 0, nt_cb, &d), -EINVAL,
		     "iovec element 0 ends inside a 4 KiB page");
	iov[0] = (struct iovec){ .iov_base = buf + 2, .iov_len = 512 };
	assert_error(udrv_nvme_readv(t.qp, 1, iov, 1, 0, 1, 0, nt_cb, &d), -EINVAL,
		     "does not start on a 4-byte boundary");
	iov[0] = (struct iovec){ .iov_base = local, .iov_len = 512 };
	assert_error(udrv_nvme_readv(t.qp, 1, iov, 1, 0, 1, 0, nt_cb, &d), -EINVAL,
		     "is not udrv DMA memory");
	assert_error(udrv_nvme_read(t.qp, 1, local, 0, 1, 0, nt_cb, &d), -EINVAL,
		     "is not udrv DMA memory");
	assert_int_equal(d.calls, 0);
	udrv_dma_free(buf);
	nt_close(&t);
}

/* cb may be NULL: the command runs, nothing is called back. */
static void guard__null_callback__allowed(void **state)
{
	struct nt t;
	uint8_t *buf;

	(void)state;
	nt_open(&t, &mo_default, NULL, NULL);
	buf = nt_dma(4096);
	assert_int_equal(udrv_nvme_read(t.qp, 1, buf, 0, 1, 0, NULL, NULL), 0);
	for (uint64_t end = nt_now_ms() + 5000;
	     udrv_nvme_qpair_outstanding(t.qp) && nt_now_ms() < end;)
		assert_true(udrv_nvme_qpair_poll(t.qp, 0) >= 0);
	assert_int_equal(udrv_nvme_qpair_outstanding(t.qp), 0);
	udrv_dma_free(buf);
	nt_close(&t);
}

struct reentry {
	struct udrv_nvme_qpair *qp;
	int calls, poll_rc;
	char msg[512];
};

static void poll_from_callback(void *arg, const struct udrv_nvme_cpl *cpl)
{
	struct reentry *r = arg;

	(void)cpl;
	r->calls++;
	r->poll_rc = udrv_nvme_qpair_poll(r->qp, 0);
	snprintf(r->msg, sizeof(r->msg), "%s", udrv_last_error());
}

static void guard__poll_from_own_callback__einval_blames_the_caller(void **state)
{
	struct udrv_nvme_qpair_stats st;
	struct reentry r = { 0 };
	struct nt t;
	uint8_t *buf;

	(void)state;
	nt_open(&t, &mo_default, NULL, NULL);
	buf = nt_dma(4096);
	r.qp = t.qp;
	assert_int_equal(udrv_nvme_read(t.qp, 1, buf, 0, 1, 0, poll_from_callback, &r), 0);
	nt_wait(t.qp, &r.calls, 1, 5000);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.poll_rc, -EINVAL);
	assert_non_null(strstr(r.msg, "udrv_nvme_qpair_poll called from inside one of its own "
				    "completion callbacks"));
	assert_null(strstr(r.msg, "misbehaving"));
	/* The qpair is intact. */
	r.calls = 0;
	assert_int_equal(udrv_nvme_read(t.qp, 1, buf, 0, 1, 0, nt_cb,
					&(struct nt_done){ 0 }), 0);
	for (uint64_t end = nt_now_ms() + 5000;
	     udrv_nvme_qpair_outstanding(t.qp) && nt_now_ms() < end;)
		assert_true(udrv_nvme_qpair_poll(t.qp, 0) >= 0);
	udrv_nvme_qpair_stats(t.qp, &st);
	assert_int_equal(st.bad_cpls, 0);
	udrv_dma_free(buf);
	nt_close(&t);
}

/* Thread A's callback waits inside A's poll while thread B polls and
 * submits on the same qpair: B is refused and told why. */
struct two_threads {
	struct udrv_nvme_qpair *qp;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stage; /* 1: A is inside its callback; 2: B is done */
	int poll_rc, flush_rc;
	char poll_msg[512], flush_msg[512];
};

static void hold_in_callback(void *arg, const struct udrv_nvme_cpl *cpl)
{
	struct two_threads *s = arg;

	(void)cpl;
	pthread_mutex_lock(&s->lock);
	s->stage = 1;
	pthread_cond_broadcast(&s->cond);
	while (s->stage != 2)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

static void *second_thread(void *arg)
{
	struct two_threads *s = arg;

	pthread_mutex_lock(&s->lock);
	while (s->stage != 1)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	s->poll_rc = udrv_nvme_qpair_poll(s->qp, 0);
	snprintf(s->poll_msg, sizeof(s->poll_msg), "%s", udrv_last_error());
	s->flush_rc = udrv_nvme_flush(s->qp, 1, NULL, NULL);
	snprintf(s->flush_msg, sizeof(s->flush_msg), "%s", udrv_last_error());
	pthread_mutex_lock(&s->lock);
	s->stage = 2;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void guard__poll_and_submit_from_second_thread__ebusy_blames_the_caller(void **state)
{
	struct two_threads s = { .lock = PTHREAD_MUTEX_INITIALIZER,
				 .cond = PTHREAD_COND_INITIALIZER };
	struct nt t;
	pthread_t b;
	uint8_t *buf;

	(void)state;
	nt_open(&t, &mo_default, NULL, NULL);
	buf = nt_dma(4096);
	s.qp = t.qp;
	assert_int_equal(pthread_create(&b, NULL, second_thread, &s), 0);
	assert_int_equal(udrv_nvme_read(t.qp, 1, buf, 0, 1, 0, hold_in_callback, &s), 0);
	for (uint64_t end = nt_now_ms() + 5000; s.stage != 2 && nt_now_ms() < end;)
		assert_true(udrv_nvme_qpair_poll(t.qp, 0) >= 0);
	pthread_join(b, NULL);
	assert_int_equal(s.stage, 2);
	assert_int_equal(s.poll_rc, -EBUSY);
	assert_non_null(strstr(s.poll_msg, "udrv_nvme_qpair_poll called while another thread is "
					   "polling it: a qpair belongs to one thread at a time"));
	assert_int_equal(s.flush_rc, -EBUSY);
	assert_non_null(strstr(s.flush_msg, "a command was submitted to it while another thread "
					    "is polling it"));
	assert_int_equal(udrv_nvme_qpair_outstanding(t.qp), 0);
	udrv_dma_free(buf);
	nt_close(&t);
}

/* Identify is device-written: a namespace id or NN near 2^32 must not size
 * an allocation (the namespace table is indexed by nsid). */
static void identify__nsid_and_nn_near_2_32__bounded(void **state)
{
	struct udrv_nvme_model_opts mo = { .size = sizeof(mo), .namespaces = 2 };
	struct udrv_nvme_model_fault nn = { .size = sizeof(nn),
					    .kind = UDRV_NVME_MODEL_FAULT_PATCH_DATA,
					    .sqid = 0, .opcode = 0x06, .offset = 516,
					    .value = 0xffffffffu };
	struct udrv_nvme_model_fault list = nn;
	static const uint32_t lies[] = { 0xfffffff0u, 0xfffffffeu, 8193u };
	struct udrv_nvme_ns_info ns;
	struct udrv_nvme_ctrl_info info;
	struct udrv_nvme_model *model;
	struct udrv_nvme_ctrl *ctrl;
	struct udrv_dev *dev;

	(void)state;
	for (unsigned i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		assert_int_equal(udrv_nvme_model_open(&mo, &dev, &model), 0);
		/* Identify Controller: NN = 2^32 - 1; then the active namespace
		 * list: its second entry (after nsid 1) is the lie. */
		assert_int_equal(udrv_nvme_model_inject(model, &nn), 0);
		list.offset = 4;
		list.value = lies[i];
		assert_int_equal(udrv_nvme_model_inject(model, &list), 0);
		assert_int_equal(udrv_nvme_ctrl_open(dev, NULL, &ctrl), 0);
		assert_int_equal(udrv_nvme_ctrl_info(ctrl, &info), 0);
		assert_int_equal(info.nn, 0xffffffffu);
		assert_int_equal(udrv_nvme_ns_count(ctrl), 1);
		assert_int_equal(udrv_nvme_ns_find(ctrl, 1, &ns), 0);
		assert_int_equal(udrv_nvme_ns_find(ctrl, lies[i], NULL), -ENOENT);
		udrv_nvme_ctrl_close(ctrl);
		assert_int_equal(udrv_dev_close(dev), 0);
	}
	/* The hook itself refuses an offset beyond the page. */
	assert_int_equal(udrv_nvme_model_open(&mo, &dev, &model), 0);
	list.offset = 4093;
	assert_int_equal(udrv_nvme_model_inject(model, &list), -EINVAL);
	assert_int_equal(udrv_dev_close(dev), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(guard__unaligned_buffer__einval_names_dword_rule),
		cmocka_unit_test(guard__unknown_io_flags__einval),
		cmocka_unit_test(guard__range_nlb0_iovcnt0_write_zeroes__each_logged),
		cmocka_unit_test(guard__iovec_not_prpable_without_sgl__names_the_rule),
		cmocka_unit_test(guard__null_callback__allowed),
		cmocka_unit_test(guard__poll_from_own_callback__einval_blames_the_caller),
		cmocka_unit_test(guard__poll_and_submit_from_second_thread__ebusy_blames_the_caller),
		cmocka_unit_test(identify__nsid_and_nn_near_2_32__bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
