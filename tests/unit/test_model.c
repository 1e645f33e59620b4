/* SPDX-License-Identifier: MIT */
/* The device-model backend, with the trivial register-only model. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <udrv/udrv.h>

static struct udrv_dev *dev;
static volatile uint8_t *bar;

static int setup(void **state)
{
	struct udrv_opts o = { .size = sizeof(o), .mem = UDRV_MEM_ANON };
	size_t len;
	void *b;

	(void)state;
	assert_int_equal(udrv_init(&o), 0);
	assert_int_equal(udrv_dev_open_model(&udrv_model_trivial_ops, NULL, "trivial0", &dev), 0);
	assert_int_equal(udrv_dev_map_bar(dev, 0, &b, &len), 0);
	assert_int_equal(len, 4096);
	bar = b;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	udrv_dev_close(dev);
	udrv_fini();
	return 0;
}

/* Wait (bounded) for the model thread to count n doorbells. */
static bool wait_count(uint32_t n)
{
	for (int i = 0; i < 2000000; i++) {
		if (udrv_mmio_read32(bar, UDRV_TRIVIAL_COUNT) == n)
			return true;
		sched_yield();
	}
	return false;
}

static void model__registers_and_doorbell_echo(void **state)
{
	(void)state;
	assert_true(udrv_dev_is_model(dev));
	assert_string_equal(udrv_dev_name(dev), "trivial0");
	assert_int_equal(udrv_mmio_read32(bar, UDRV_TRIVIAL_ID), UDRV_TRIVIAL_MAGIC);
	udrv_mmio_write32(bar, UDRV_TRIVIAL_SCRATCH, 0xdeadbeef);
	assert_int_equal(udrv_mmio_read32(bar, UDRV_TRIVIAL_SCRATCH), 0xdeadbeef);
	for (uint32_t i = 1; i <= 50; i++) {
		udrv_mmio_write32(bar, UDRV_TRIVIAL_DOORBELL, i);
		assert_true(wait_count(i));
		assert_int_equal(udrv_mmio_read32(bar, UDRV_TRIVIAL_ECHO), i);
	}
}

static void model__config_ids_and_readonly_fields(void **state)
{
	uint16_t vendor, device;
	uint32_t junk = 0xffffffff;

	(void)state;
	assert_int_equal(udrv_dev_ids(dev, &vendor, &device), 0);
	assert_int_equal(vendor, 0x1b36);
	assert_int_equal(device, 0xffff);
	assert_int_equal(udrv_dev_cfg_write(dev, 0, &junk, 4), 0);
	assert_int_equal(udrv_dev_ids(dev, &vendor, NULL), 0);
	assert_int_equal(vendor, 0x1b36);
	assert_int_equal(udrv_dev_cfg_read(dev, 4090, &junk, 8), -ERANGE);
}

static void model__dma_by_iova_only_and_needs_bus_master(void **state)
{
	uint64_t iova;
	uint8_t *p;

	(void)state;
	assert_int_equal(udrv_dma_alloc(4096, 0, (void **)&p, &iova), 0);
	/* Bus mastering off: the model's DMA faults, as the IOMMU would block it. */
	assert_null(udrv_model_dma(dev, iova, 64));
	assert_int_equal(udrv_model_dma_faults(dev), 1);
	assert_int_equal(udrv_dev_set_bus_master(dev, true), 0);
	assert_true(udrv_model_bus_master(dev));
	assert_ptr_equal(udrv_model_dma(dev, iova, 4096), p);
	/* A virtual address is not an IOVA. */
	assert_null(udrv_model_dma(dev, (uint64_t)(uintptr_t)p, 64));
	assert_int_equal(udrv_model_dma_faults(dev), 2);
	udrv_dma_free(p);
}

static void model__reset_restores_registers_and_bus_master(void **state)
{
	(void)state;
	udrv_dev_set_bus_master(dev, true);
	udrv_mmio_write32(bar, UDRV_TRIVIAL_SCRATCH, 7);
	assert_int_equal(udrv_dev_reset(dev), 0);
	assert_int_equal(udrv_mmio_read32(bar, UDRV_TRIVIAL_SCRATCH), 0);
	assert_false(udrv_model_bus_master(dev));
}

static void model__events_raised_are_visible_to_data_path(void **state)
{
	const volatile uint32_t *ev;

	(void)state;
	ev = udrv_dev_events(dev);
	assert_int_equal(__atomic_load_n(ev, __ATOMIC_ACQUIRE), 0);
	udrv_dev_raise_event(dev, UDRV_DEV_EV_FAILED);
	assert_int_equal(__atomic_load_n(ev, __ATOMIC_ACQUIRE), UDRV_DEV_EV_FAILED);
}

static void model__bad_ops__einval(void **state)
{
	struct udrv_model_ops ops = udrv_model_trivial_ops;
	struct udrv_dev *d;

	(void)state;
	ops.size = 8;
	assert_int_equal(udrv_dev_open_model(&ops, NULL, "bad", &d), -EINVAL);
	ops = udrv_model_trivial_ops;
	ops.bar_size[0] = 100;
	assert_int_equal(udrv_dev_open_model(&ops, NULL, "bad", &d), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "multiple of 4096"));
}

/* udrv_model_ctx gives a model's own context back only for the ops it was
 * opened with: that is how a model finds itself behind a device handle. */
static void model__ctx_only_for_its_own_ops(void **state)
{
	struct udrv_model_ops other = udrv_model_trivial_ops;
	int mine = 7;
	struct udrv_dev *d;

	(void)state;
	assert_int_equal(udrv_dev_open_model(&udrv_model_trivial_ops, &mine, "ctx", &d), 0);
	assert_ptr_equal(udrv_model_ctx(d, &udrv_model_trivial_ops), &mine);
	assert_null(udrv_model_ctx(d, &other));        /* same content, other ops */
	assert_null(udrv_model_ctx(dev, &udrv_model_trivial_ops)); /* opened with NULL */
	assert_null(udrv_model_ctx(NULL, &udrv_model_trivial_ops));
	assert_null(udrv_model_ctx(d, NULL));
	udrv_dev_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(model__registers_and_doorbell_echo, setup, teardown),
		cmocka_unit_test_setup_teardown(model__config_ids_and_readonly_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(model__dma_by_iova_only_and_needs_bus_master, setup, teardown),
		cmocka_unit_test_setup_teardown(model__reset_restores_registers_and_bus_master, setup, teardown),
		cmocka_unit_test_setup_teardown(model__events_raised_are_visible_to_data_path, setup, teardown),
		cmocka_unit_test_setup_teardown(model__bad_ops__einval, setup, teardown),
		cmocka_unit_test_setup_teardown(model__ctx_only_for_its_own_ops, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
