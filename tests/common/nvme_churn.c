/* SPDX-License-Identifier: MIT */
/* Queue pair churn (see nvme_churn.h). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <udrv/log.h>
#include <udrv/mem.h>

#include "nvme_churn.h"

struct churn_done {
	int calls;
	uint16_t status;
};

struct churn_thread {
	pthread_t tid;
	struct udrv_nvme_ctrl *ctrl;
	const struct nvme_churn_opts *o;
	unsigned index;
	unsigned rounds_done, max_qid;
	char err[256];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void churn_cb(void *arg, const struct udrv_nvme_cpl *cpl)
{
	struct churn_done *d = arg;

	d->calls++;
	d->status = cpl->status;
}

/* Poll until all n slots of d completed or wait_ms passed. */
static void churn_wait(struct udrv_nvme_qpair *qp, const struct churn_done *d, int n,
		       unsigned wait_ms)
{
	uint64_t end = now_ms() + wait_ms;

	for (;;) {
		int calls = 0;

		for (int i = 0; i < n; i++)
			calls += d[i].calls;
		if (calls >= n || now_ms() >= end || udrv_nvme_qpair_poll(qp, 0) < 0)
			return;
	}
}

/* One round; NULL or what went wrong. buf holds 3 blocks. */
static const char *churn_round(struct churn_thread *t, uint8_t *buf, uint64_t lba, uint8_t tag)
{
	const struct nvme_churn_opts *o = t->o;
	struct udrv_nvme_qpair_opts qo = { .size = sizeof(qo), .queue_size = 16,
					   .timeout_ms = o->wait_ms / 2 };
	uint32_t bs = o->lba_size;
	struct udrv_nvme_qpair *qp = NULL;
	struct udrv_nvme_qpair_stats st;
	struct churn_done d[3];
	const char *why = NULL;
	uint16_t qid;

	memset(d, 0, sizeof(d));
	if (udrv_nvme_qpair_create(t->ctrl, &qo, &qp) < 0) {
		snprintf(t->err, sizeof(t->err), "thread %u round %u: udrv_nvme_qpair_create "
			 "failed: %s", t->index, t->rounds_done + 1, udrv_last_error());
		return t->err;
	}
	qid = udrv_nvme_qpair_id(qp);
	if (qid > t->max_qid)
		t->max_qid = qid;
	memset(buf, tag, bs);
	memset(buf + bs, (uint8_t)~tag, 2u * bs);
	if (udrv_nvme_write(qp, o->nsid, buf, lba, 1, 0, churn_cb, &d[0]) < 0) {
		why = "write submission failed";
		goto destroy;
	}
	/* NVMe does not order commands: the reads go after the write completed. */
	churn_wait(qp, d, 1, o->wait_ms);
	if (udrv_nvme_read(qp, o->nsid, buf + bs, lba, 1, 0, churn_cb, &d[1]) < 0 ||
	    udrv_nvme_read(qp, o->nsid, buf + 2u * bs, lba, 1, 0, churn_cb, &d[2]) < 0) {
		why = "read submission failed";
		goto destroy;
	}
	churn_wait(qp, d, 3, o->wait_ms);
	udrv_nvme_qpair_stats(qp, &st);
	for (int i = 0; i < 3 && !why; i++) {
		if (d[i].calls == 0)
			why = "an I/O did not complete in time";
		else if (d[i].calls != 1)
			why = "an I/O completed more than once";
		else if (d[i].status != 0)
			why = "an I/O completed with an error status";
	}
	if (!why && (memcmp(buf + bs, buf, bs) || memcmp(buf + 2u * bs, buf, bs)))
		why = "the data read back differs from what was written";
	if (!why && (st.bad_cpls || st.timeouts || st.resets))
		why = "the qpair rejected a completion, timed out or was reset";
	if (!why && udrv_nvme_ctrl_failed(t->ctrl))
		why = "the controller failed";
destroy:
	if (why)
		snprintf(t->err, sizeof(t->err), "thread %u round %u (qid %u): %s", t->index,
			 t->rounds_done + 1, qid, why);
	udrv_nvme_qpair_destroy(qp);
	return why;
}

static void *churn_thread_main(void *arg)
{
	struct churn_thread *t = arg;
	void *buf = NULL;

	if (udrv_dma_alloc(3u * t->o->lba_size, 4096, &buf, NULL) < 0) {
		snprintf(t->err, sizeof(t->err), "thread %u: udrv_dma_alloc failed", t->index);
		return NULL;
	}
	for (unsigned r = 0; r < t->o->rounds; r++) {
		if (churn_round(t, buf, t->index * 64u + r % 64u, (uint8_t)(t->index * 16u + r + 1u)))
			break;
		t->rounds_done++;
	}
	udrv_dma_free(buf);
	return NULL;
}

int nvme_churn_run(struct udrv_nvme_ctrl *ctrl, const struct nvme_churn_opts *o,
		   struct nvme_churn_result *res)
{
	unsigned n = o->threads ? o->threads : 1, i, started = 0;
	struct churn_thread t[16];

	memset(res, 0, sizeof(*res));
	if (n > 16) {
		snprintf(res->err, sizeof(res->err), "at most 16 threads");
		return -1;
	}
	memset(t, 0, sizeof(t));
	for (i = 0; i < n; i++) {
		t[i].ctrl = ctrl;
		t[i].o = o;
		t[i].index = i;
	}
	if (n == 1) {
		churn_thread_main(&t[0]);
		started = 1;
	} else {
		for (; started < n; started++)
			if (pthread_create(&t[started].tid, NULL, churn_thread_main, &t[started]))
				break;
		for (i = 0; i < started; i++)
			pthread_join(t[i].tid, NULL);
		if (started < n)
			snprintf(res->err, sizeof(res->err), "pthread_create failed");
	}
	for (i = 0; i < started; i++) {
		res->rounds_done += t[i].rounds_done;
		if (t[i].max_qid > res->max_qid)
			res->max_qid = t[i].max_qid;
		if (t[i].err[0] && !res->err[0])
			snprintf(res->err, sizeof(res->err), "%s", t[i].err);
	}
	return res->err[0] ? -1 : 0;
}
