/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: NVMe controller bring-up against Identify data the
 * fuzzer writes (Identify Controller, Identify Namespace, the active
 * namespace list) and log pages (SMART / health, error log). Each input brings
 * the controller up on the model (opened once; CC.EN starts it afresh), reads
 * the namespaces, the health and error logs, creates and destroys a qpair,
 * and closes the controller.
 *
 * Invariants beyond ASan/UBSan: open either succeeds or fails cleanly; what
 * the driver reports stays within what it may (namespace count and ids,
 * block size, capacity arithmetic that cannot overflow); and every DMA byte
 * the driver allocated is free again after close.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <udrv/udrv.h>
#include <udrv/mem.h>
#include <udrv/nvme.h>
#include <udrv/nvme_model.h>

#include "fuzz_common.h"

static size_t dma_used(void)
{
	struct udrv_mem_stats st;

	udrv_mem_stats(&st);
	return st.used_bytes;
}

static struct udrv_dev *dev;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct udrv_nvme_model_opts mo = { .size = sizeof(mo), .namespaces = 3, .blocks = 1024,
					   .max_io_queues = 2,
					   .flags = UDRV_NVME_MODEL_NULL };

	(void)argc;
	(void)argv;
	fz_env();
	if (udrv_nvme_model_open(&mo, &dev, NULL))
		fz_fail("model open");
	udrvi_model_set_tamper(dev, fz_tamper, NULL);
	udrvi_model_set_manual(dev, true); /* one input, one execution */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct udrv_nvme_ctrl_opts co = { .size = sizeof(co), .io_queues = 1,
					  .admin_timeout_ms = 2000 };
	struct udrv_nvme_ctrl_info info;
	struct udrv_nvme_ctrl *ctrl;
	struct udrv_nvme_qpair *qp;
	struct udrv_nvme_health h;
	struct udrv_nvme_error_entry e[4];
	size_t used0;
	int rc;

	used0 = dma_used();
	fz_start(data, size, FZ_KIND(UDRVI_MODEL_NVME_IDENTIFY) | FZ_KIND(UDRVI_MODEL_NVME_LOG));
	rc = udrv_nvme_ctrl_open(dev, &co, &ctrl);
	if (rc == 0) {
		if (udrv_nvme_ctrl_info(ctrl, &info))
			fz_fail("ctrl_info on an open controller");
		unsigned n = udrv_nvme_ns_count(ctrl);
		uint32_t last = 0;

		if (n > info.nn)
			fz_fail("%u active namespaces, Identify NN is %u", n, info.nn);
		for (unsigned i = 0; i <= n; i++) {
			struct udrv_nvme_ns_info ns;

			if (udrv_nvme_ns_info(ctrl, i, &ns) != 0) {
				if (i < n)
					fz_fail("namespace index %u of %u has no info", i, n);
				continue;
			}
			if (i == n)
				fz_fail("namespace index %u of %u has info", i, n);
			if (ns.nsid <= last || ns.nsid > info.nn || ns.lba_size < 512 ||
			    (ns.lba_size & (ns.lba_size - 1)) ||
			    ns.capacity_bytes / ns.lba_size != ns.blocks)
				fz_fail("namespace %u: nsid %u (NN %u), lba size %u, %llu blocks, "
					"%llu bytes", i, ns.nsid, info.nn, ns.lba_size,
					(unsigned long long)ns.blocks,
					(unsigned long long)ns.capacity_bytes);
			last = ns.nsid;
		}
		(void)udrv_nvme_health(ctrl, &h);
		(void)udrv_nvme_error_log(ctrl, e, 4);
		if (udrv_nvme_qpair_create(ctrl, NULL, &qp) == 0)
			udrv_nvme_qpair_destroy(qp);
		udrv_nvme_ctrl_close(ctrl);
	}
	fz.armed = false;
	if (dma_used() != used0)
		fz_fail("%zu DMA bytes in use after close, %zu before open", dma_used(), used0);
	return 0;
}
