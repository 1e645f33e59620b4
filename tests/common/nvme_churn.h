/* SPDX-License-Identifier: MIT */
/*
 * Queue pair churn, shared by the unit test (against the controller model)
 * and the rig test (against QEMU's controller): create a qpair, write a
 * block, read it back twice, destroy the qpair, many times, from one thread
 * or several at once, so queue ids are reused. Nothing here asserts: each
 * run returns what went wrong, for the caller's test framework to report.
 */
#ifndef UDRV_TEST_NVME_CHURN_H
#define UDRV_TEST_NVME_CHURN_H

#include <stddef.h>
#include <stdint.h>

#include <udrv/nvme.h>

struct nvme_churn_opts {
	uint32_t nsid;
	uint32_t lba_size;        /* bytes */
	unsigned threads;         /* 1: run on the calling thread */
	unsigned rounds;          /* per thread */
	unsigned wait_ms;         /* per round before it counts as stuck */
};

struct nvme_churn_result {
	unsigned rounds_done;     /* over all threads */
	unsigned max_qid;         /* highest queue id a round got */
	char err[256];            /* the first failure, "" if none */
};

/* 0 if every round of every thread completed its 3 I/Os exactly once with
 * success, read back what it wrote, and the qpair saw no rejected
 * completion, timeout or reset; -1 with res->err set otherwise. Thread i
 * uses LBAs [i * 64, i * 64 + 64) of the namespace. */
int nvme_churn_run(struct udrv_nvme_ctrl *ctrl, const struct nvme_churn_opts *o,
		   struct nvme_churn_result *res);

#endif
