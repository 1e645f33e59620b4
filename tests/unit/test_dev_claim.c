/* SPDX-License-Identifier: MIT */
/*
 * One driver owns a device at a time (udrv_dev_claim): a second controller or
 * port on the same device is refused, the device cannot be closed under its
 * driver, and udrv_fini with a controller still open completes the requests
 * in flight as aborted and leaves handles that fail cleanly.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <udrv/udrv.h>
#include <udrv/net.h>
#include <udrv/net_model.h>
#include <udrv/nvme.h>
#include <udrv/nvme_model.h>

struct done {
	int calls;
	uint16_t status;
};

static void on_done(void *arg, const struct udrv_nvme_cpl *cpl)
{
	struct done *d = arg;

	d->calls++;
	d->status = cpl->status;
}

static int revokes;

static void count_revoke(void *arg)
{
	(void)arg;
	revokes++;
}

static void claim__second_claim__ebusy_naming_the_owner(void **state)
{
	struct udrv_dev *dev;

	(void)state;
	assert_int_equal(udrv_nvme_model_open(NULL, &dev, NULL), 0);
	assert_int_equal(udrv_dev_claim(dev, "test owner A", count_revoke, NULL), 0);
	assert_int_equal(udrv_dev_claim(dev, "test owner B", NULL, NULL), -EBUSY);
	assert_non_null(strstr(udrv_last_error(), "already driven by test owner A"));
	assert_int_equal(udrv_dev_close(dev), -EBUSY);
	assert_non_null(strstr(udrv_last_error(), "still driven by test owner A"));
	udrv_dev_unclaim(dev);
	assert_int_equal(udrv_dev_claim(dev, "test owner B", NULL, NULL), 0);
	udrv_dev_unclaim(dev);
	assert_int_equal(revokes, 0);
	assert_int_equal(udrv_dev_close(dev), 0);
	assert_int_equal(udrv_dev_claim(NULL, "x", NULL, NULL), -EINVAL);
	assert_int_equal(udrv_dev_close(NULL), 0);
}

static void claim__second_nvme_ctrl_on_a_device__ebusy(void **state)
{
	struct udrv_nvme_ctrl *a, *b = NULL;
	struct udrv_dev *dev;

	(void)state;
	assert_int_equal(udrv_nvme_model_open(NULL, &dev, NULL), 0);
	assert_int_equal(udrv_nvme_ctrl_open(dev, NULL, &a), 0);
	assert_int_equal(udrv_nvme_ctrl_open(dev, NULL, &b), -EBUSY);
	assert_null(b);
	assert_non_null(strstr(udrv_last_error(), "already driven by an NVMe controller"));
	udrv_nvme_ctrl_close(a);
	/* Closed: the device is free for the next driver. */
	assert_int_equal(udrv_nvme_ctrl_open(dev, NULL, &b), 0);
	udrv_nvme_ctrl_close(b);
	assert_int_equal(udrv_dev_close(dev), 0);
}

static void claim__second_net_port_on_a_device__ebusy(void **state)
{
	struct udrv_net_port *a, *b = NULL;
	struct udrv_dev *dev;

	(void)state;
	assert_int_equal(udrv_net_model_open(NULL, &dev), 0);
	assert_int_equal(udrv_net_open_dev(dev, NULL, &a), 0);
	assert_int_equal(udrv_net_open_dev(dev, NULL, &b), -EBUSY);
	assert_null(b);
	assert_non_null(strstr(udrv_last_error(), "already driven by a network port"));
	assert_int_equal(udrv_dev_close(dev), -EBUSY);
	assert_non_null(strstr(udrv_last_error(), "udrv_net_close"));
	udrv_net_close(a);
	assert_int_equal(udrv_net_open_dev(dev, NULL, &b), 0);
	udrv_net_close(b);
	assert_int_equal(udrv_dev_close(dev), 0);
}

/* Closing the device under its controller is refused, and the controller
 * goes on working (it used to crash in the submission path). */
static void claim__dev_close_before_ctrl_close__ebusy_and_io_goes_on(void **state)
{
	struct udrv_nvme_qpair *qp;
	struct udrv_nvme_ctrl *ctrl;
	struct udrv_dev *dev;
	struct done d = { 0 };
	void *buf;

	(void)state;
	assert_int_equal(udrv_nvme_model_open(NULL, &dev, NULL), 0);
	assert_int_equal(udrv_nvme_ctrl_open(dev, NULL, &ctrl), 0);
	assert_int_equal(udrv_nvme_qpair_create(ctrl, NULL, &qp), 0);
	assert_int_equal(udrv_dma_alloc(4096, 4096, &buf, NULL), 0);
	assert_int_equal(udrv_dev_close(dev), -EBUSY);
	assert_non_null(strstr(udrv_last_error(), "udrv_dev_close refused: the device is still "
				"driven by an NVMe controller: close it with udrv_nvme_ctrl_close first"));
	assert_int_equal(udrv_nvme_read(qp, 1, buf, 0, 1, 0, on_done, &d), 0);
	for (time_t end = time(NULL) + 5; !d.calls && time(NULL) < end;)
		assert_true(udrv_nvme_qpair_poll(qp, 0) >= 0);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.status, 0);
	udrv_dma_free(buf);
	udrv_nvme_qpair_destroy(qp);
	udrv_nvme_ctrl_close(ctrl);
	assert_int_equal(udrv_dev_close(dev), 0);
}

/* udrv_fini with a controller open: the requests in flight complete once,
 * as aborted, during udrv_fini; afterwards every call on the old handles
 * says -ENODEV and closing them is safe (ASan watches for use after free). */
static void fini__ctrl_open__in_flight_aborted_handles_fail_cleanly(void **state)
{
	struct udrv_nvme_model_fault f = { .size = sizeof(f), .kind = UDRV_NVME_MODEL_FAULT_DELAY,
					   .sqid = UDRV_NVME_MODEL_ANY_IOQ, .opcode = -1,
					   .count = 4, .delay_us = 10000000 };
	struct udrv_nvme_model *model;
	struct udrv_nvme_qpair *qp;
	struct udrv_nvme_ctrl *ctrl;
	struct udrv_dev *dev;
	struct done d[5];
	uint8_t *buf;

	(void)state;
	memset(d, 0, sizeof(d));
	assert_int_equal(udrv_nvme_model_open(NULL, &dev, &model), 0);
	assert_int_equal(udrv_nvme_ctrl_open(dev, NULL, &ctrl), 0);
	assert_int_equal(udrv_nvme_qpair_create(ctrl, NULL, &qp), 0);
	assert_int_equal(udrv_nvme_model_inject(model, &f), 0);
	assert_int_equal(udrv_dma_alloc(4 * 4096, 4096, (void **)&buf, NULL), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(udrv_nvme_read(qp, 1, buf + i * 4096, (uint64_t)i, 1, 0, on_done,
						&d[i]), 0);
	udrv_nvme_qpair_ring_doorbell(qp);
	udrv_fini();
	for (int i = 0; i < 4; i++) {
		assert_int_equal(d[i].calls, 1);
		assert_int_equal(d[i].status, UDRV_NVME_STATUS_ABORTED);
	}
	assert_true(udrv_nvme_ctrl_failed(ctrl));
	assert_int_equal(udrv_nvme_qpair_poll(qp, 0), -ENODEV);
	assert_int_equal(udrv_nvme_read(qp, 1, buf, 0, 1, 0, on_done, &d[4]), -ENODEV);
	udrv_nvme_qpair_ring_doorbell(qp);
	assert_int_equal(udrv_nvme_qpair_create(ctrl, NULL, &qp), -ENODEV);
	assert_int_equal(udrv_nvme_ctrl_reset(ctrl), -ENODEV);
	assert_int_equal(d[4].calls, 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(d[i].calls, 1);
	udrv_nvme_qpair_destroy(qp);
	udrv_nvme_ctrl_close(ctrl);
	/* The runtime comes back for whoever calls it next. */
	assert_int_equal(udrv_dma_alloc(4096, 0, (void **)&buf, NULL), 0);
	udrv_dma_free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(claim__second_claim__ebusy_naming_the_owner),
		cmocka_unit_test(claim__second_nvme_ctrl_on_a_device__ebusy),
		cmocka_unit_test(claim__second_net_port_on_a_device__ebusy),
		cmocka_unit_test(claim__dev_close_before_ctrl_close__ebusy_and_io_goes_on),
		cmocka_unit_test(fini__ctrl_open__in_flight_aborted_handles_fail_cleanly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
