/* SPDX-License-Identifier: MIT */
/* Defects the fuzzers (tests/fuzz) found in the NVMe driver, each replayed
 * through the model's tamper hook (lib/model_hook.h). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "nvme_test.h"
#include "model_hook.h"

#define BLOCKS 4096u

/* Identify Namespace: its first field, NSZE, equals the model's size. */
static enum udrvi_tamper_action huge_nsze(void *arg, enum udrvi_model_data what, void *buf,
					  size_t len)
{
	uint64_t nsze;

	(void)arg;
	if (what != UDRVI_MODEL_NVME_IDENTIFY || len < 8)
		return UDRVI_TAMPER_KEEP;
	memcpy(&nsze, buf, 8);
	if (nsze == BLOCKS) {
		nsze = 0xc000000000000000ull; /* times 512 bytes wraps 64 bits */
		memcpy(buf, &nsze, 8);
	}
	return UDRVI_TAMPER_KEEP;
}

/* fuzz_nvme_bringup: a namespace of NSZE blocks whose size in bytes does not
 * fit 64 bits was taken, and reported a wrapped capacity_bytes. */
static void identify__namespace_bytes_beyond_64_bits_skipped(void **state)
{
	struct udrv_nvme_model_opts mo = { .size = sizeof(mo), .blocks = BLOCKS };
	struct udrv_nvme_ns_info ns;
	struct udrv_nvme_ctrl *ctrl;
	struct udrv_dev *dev;

	(void)state;
	assert_int_equal(udrv_nvme_model_open(&mo, &dev, NULL), 0);
	udrvi_model_set_tamper(dev, huge_nsze, NULL);
	assert_int_equal(udrv_nvme_ctrl_open(dev, NULL, &ctrl), 0);
	assert_int_equal(udrv_nvme_ns_count(ctrl), 0);
	assert_int_equal(udrv_nvme_ns_find(ctrl, 1, &ns), -ENOENT);
	udrv_nvme_ctrl_close(ctrl);
	udrv_dev_close(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(identify__namespace_bytes_beyond_64_bits_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
