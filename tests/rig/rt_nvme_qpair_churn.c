/* SPDX-License-Identifier: MIT */
/*
 * nvme_qpair_churn__reused_qids_both_doorbell_modes: on a real controller
 * (QEMU's in the rig), create a qpair, do 3 I/Os, destroy it, hundreds of
 * times, first with shadow doorbells (the controller leaves EventIdx at the
 * tail it reached, so a stale one stalls a re-created queue; forced with
 * UDRV_NVME_CTRL_SHADOW_DB, which the driver does not use by default under
 * TCG), then with MMIO
 * doorbells (UDRV_NVME_CTRL_NO_SHADOW_DB); in each mode from one thread on a
 * single queue id, then from four threads sharing four. Writes LBAs 0..255
 * of namespace 1.
 *
 * usage: rt_nvme_qpair_churn [ROUNDS]   (default 200; the threads do ROUNDS / 2 each)
 */
#include <time.h>

#include "rigtest.h"
#include "../common/nvme_churn.h"

#define CHURN_THREADS 4

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void churn(struct udrv_dev *dev, uint32_t flags, const char *mode, unsigned threads,
		  unsigned rounds)
{
	struct udrv_nvme_ctrl_opts co = { .size = sizeof(co), .flags = flags,
					  .io_queues = threads };
	struct nvme_churn_opts o = { .nsid = 1, .threads = threads, .rounds = rounds,
				     .wait_ms = 5000 };
	struct udrv_nvme_ctrl_info info;
	struct udrv_nvme_ns_info ns;
	struct nvme_churn_result res;
	struct udrv_nvme_ctrl *ctrl;
	double t0;

	RT_OK(udrv_nvme_ctrl_open(dev, &co, &ctrl));
	RT_OK(udrv_nvme_ctrl_info(ctrl, &info));
	RT_CHECK(info.shadow_db_used == !(flags & UDRV_NVME_CTRL_NO_SHADOW_DB),
		 "%s: shadow doorbells %s", mode, info.shadow_db_used ? "used" : "not used");
	RT_CHECK(info.io_queues == threads, "%u I/O queues granted, %u asked for", info.io_queues,
		 threads);
	RT_OK(udrv_nvme_ns_find(ctrl, 1, &ns));
	RT_CHECK(ns.blocks >= CHURN_THREADS * 64, "namespace 1 has only %llu blocks",
		 (unsigned long long)ns.blocks);
	o.lba_size = ns.lba_size;
	t0 = now_s();
	RT_CHECK(nvme_churn_run(ctrl, &o, &res) == 0, "%s, %u thread(s): %s", mode, threads,
		 res.err);
	RT_CHECK(res.rounds_done == threads * rounds && res.max_qid <= threads,
		 "%u rounds done, highest qid %u", res.rounds_done, res.max_qid);
	printf("%s, %u thread(s) on %u queue id(s): %u create/3 I/Os/destroy rounds OK in %.1f s\n",
	       mode, threads, threads, res.rounds_done, now_s() - t0);
	udrv_nvme_ctrl_close(ctrl);
}

int main(int argc, char **argv)
{
	char bdfs[RT_MAX_BDFS][UDRV_BDF_STRLEN];
	unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 200;
	struct udrv_dev *dev;

	if (rounds < 2)
		RT_FAIL("ROUNDS must be at least 2");
	rt_bdfs("UDRV_TEST_NVME", bdfs, 1);
	RT_OK(udrv_dev_open(bdfs[0], &dev));
	churn(dev, UDRV_NVME_CTRL_SHADOW_DB, "shadow doorbells", 1, rounds);
	churn(dev, UDRV_NVME_CTRL_SHADOW_DB, "shadow doorbells", CHURN_THREADS, rounds / 2);
	churn(dev, UDRV_NVME_CTRL_NO_SHADOW_DB, "MMIO doorbells", 1, rounds);
	churn(dev, UDRV_NVME_CTRL_NO_SHADOW_DB, "MMIO doorbells", CHURN_THREADS, rounds / 2);
	udrv_dev_close(dev);
	return 0;
}
