/* SPDX-License-Identifier: MIT */
/*
 * What the tools share (apps/common): range-checked option values and the
 * memory mode of a model device, against a fake sysfs with no hugepages.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <udrv/udrv.h>
#include <udrv/nvme.h>
#include <udrv/nvme_model.h>

#include "devspec.h"
#include "fake_sysfs.h"
#include "opt.h"

static char *errbuf;
static size_t errlen;
static FILE *errf;

static int capture(void **state)
{
	(void)state;
	errf = open_memstream(&errbuf, &errlen);
	opt_set_prog("udrv-test", errf);
	return errf ? 0 : -1;
}

static int release(void **state)
{
	(void)state;
	fclose(errf);
	free(errbuf);
	opt_set_prog("udrv-test", NULL);
	return 0;
}

static const char *errors(void)
{
	fflush(errf);
	return errbuf;
}

static void opt_uint__range_and_form(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(opt_uint("-n", "a namespace id", "4294967294", 1, 0xfffffffe, &v), 0);
	assert_int_equal(v, 0xfffffffe);
	assert_int_equal(opt_uint("-n", "a namespace id", "0x10", 1, 100, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(opt_uint("-n", "a namespace id", "010", 1, 100, &v), 0);
	assert_int_equal(v, 10); /* decimal, not octal */
	v = 7;
	assert_int_equal(opt_uint("-n", "a namespace id", "4294967297", 1, 0xfffffffe, &v), -1);
	assert_int_equal(v, 7);
	assert_non_null(strstr(errors(), "udrv-test: -n 4294967297: a namespace id must be "
					 "1..4294967294\nTry 'udrv-test --help'."));
	assert_int_equal(opt_uint("-q", "the depth", "99999999999999999999", 1, 10, &v), -1);
	assert_int_equal(opt_uint("-q", "the depth", "-1", 1, 10, &v), -1);
	assert_int_equal(opt_uint("-q", "the depth", " 1", 1, 10, &v), -1);
	assert_int_equal(opt_uint("-q", "the depth", "+1", 1, 10, &v), -1);
	assert_int_equal(opt_uint("-q", "the depth", "", 1, 10, &v), -1);
	assert_int_equal(opt_uint("-q", "the depth", "0x", 1, 10, &v), -1);
	assert_int_equal(v, 7);
}

static void opt_size__suffixes_and_no_wrap(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(opt_size("-o", "the I/O size", "4k", 1, 1ull << 30, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(opt_size("-o", "the I/O size", "1M", 1, 1ull << 30, &v), 0);
	assert_int_equal(v, 1u << 20);
	/* 2^54 + 1 KiB: shifted by 10 it wraps to 1 KiB */
	assert_int_equal(opt_size("-o", "the I/O size", "18014398509481985k", 1, UINT64_MAX, &v), -1);
	assert_int_equal(opt_size("-o", "the I/O size", "2g", 1, 1ull << 30, &v), -1);
	assert_int_equal(opt_size("-o", "the I/O size", "4kb", 1, 1ull << 30, &v), -1);
	assert_int_equal(opt_size("-o", "the I/O size", "0", 1, 1ull << 30, &v), -1);
	assert_int_equal(v, 1u << 20);
}

static void opt_seconds__finite_only(void **state)
{
	static const char *const bad[] = { "inf", "nan", "1e400", "0x1p3", "-1", "0", ".", "1.2.3",
					   "", "1s", "infinity" };
	double v = 0;

	(void)state;
	assert_int_equal(opt_seconds("-t", "0.5", 0, 100, true, &v), 0);
	assert_true(v == 0.5);
	assert_int_equal(opt_seconds("-t", "100", 0, 100, true, &v), 0);
	assert_int_equal(opt_seconds("-t", "100.5", 0, 100, true, &v), -1);
	assert_int_equal(opt_seconds("-t", "1.5", 0, 100, false, &v), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(opt_seconds("-t", bad[i], 0, 100, true, &v), -1);
	assert_true(v == 100);
}

static void opt_cpu_list__forms_and_refusals(void **state)
{
	int cpus[8];
	unsigned n;
	char bad[32];

	(void)state;
	assert_int_equal(opt_cpu_list("-c", "0,", cpus, 8, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cpus[0], 0);
	assert_int_equal(opt_cpu_list("-c", ",", cpus, 8, &n), -1);
	assert_non_null(strstr(errors(), "-c ',': a CPU list is"));
	assert_int_equal(opt_cpu_list("-c", "", cpus, 8, &n), -1);
	assert_int_equal(opt_cpu_list("-c", "0,0", cpus, 8, &n), -1);
	assert_non_null(strstr(errors(), "CPU 0 is listed twice"));
	assert_int_equal(opt_cpu_list("-c", "1-0", cpus, 8, &n), -1);
	assert_int_equal(opt_cpu_list("-c", "0,x", cpus, 8, &n), -1);
	snprintf(bad, sizeof(bad), "0,%d", CPU_SETSIZE - 1); /* not on this machine */
	assert_int_equal(opt_cpu_list("-c", bad, cpus, 8, &n), -1);
	assert_non_null(strstr(errors(), "is not one this process may run on (allowed: "));
	assert_int_equal(opt_cpu_list("-c", "4096", cpus, 8, &n), -1);
}

static void devspec__length_and_model(void **state)
{
	char spec[300];
	const char *specs[2] = { spec, "model" };

	(void)state;
	assert_true(app_is_model_spec("model"));
	assert_true(app_is_model_spec("model:null"));
	assert_false(app_is_model_spec("modelx"));
	assert_false(app_is_model_spec("0000:01:00.0"));
	memset(spec, 'a', 255);
	spec[255] = '\0';
	assert_int_equal(app_check_devspecs("-d", specs, 2), 0);
	memset(spec, 'a', 256);
	spec[256] = '\0';
	assert_int_equal(app_check_devspecs("-d", specs, 2), -1);
	assert_non_null(strstr(errors(), "the device is 256 characters long, at most 255"));
}

/* No hugepages at all: `udrv-nvme identify -d model` (--help's first example)
 * works, because a model alone runs on ordinary pages. */
static void memory__model_runs_without_hugepages(void **state)
{
	struct fake_sysfs *fs = fake_sysfs_create();
	const char *spec = "model";
	struct udrv_nvme_ctrl *ctrl;
	struct udrv_dev *dev;

	(void)state;
	assert_non_null(fs);
	assert_int_equal(fake_sysfs_add_hugepages(fs, 2048, 0, 0), 0);
	unsetenv("UDRV_MEM");
	assert_int_equal(app_init_memory(&spec, 1), 0);
	assert_int_equal(udrv_nvme_model_open_spec(spec, &dev, NULL), 1);
	assert_int_equal(udrv_nvme_ctrl_open(dev, NULL, &ctrl), 0);
	udrv_nvme_ctrl_close(ctrl);
	udrv_dev_close(dev);
	udrv_fini();
	/* The control: with hugepages asked for, the same open fails. */
	setenv("UDRV_MEM", "huge", 1);
	assert_int_equal(app_init_memory(&spec, 1), 0);
	assert_int_equal(udrv_nvme_model_open_spec(spec, &dev, NULL), 1);
	assert_int_equal(udrv_nvme_ctrl_open(dev, NULL, &ctrl), -ENOMEM);
	assert_non_null(strstr(udrv_last_error(), "hugepages"));
	udrv_dev_close(dev);
	udrv_fini();
	unsetenv("UDRV_MEM");
	fake_sysfs_destroy(fs);
}

/* A real device among the models keeps the default (hugepages). */
static void memory__real_device_keeps_hugepages(void **state)
{
	const char *specs[2] = { "model", "0000:01:00.0" };
	struct udrv_mem_stats st;
	void *p;

	(void)state;
	unsetenv("UDRV_MEM");
	assert_int_equal(app_init_memory(specs, 2), 0);
	/* Not initialised by app_init_memory: UDRV_MEM=anon (set here) decides. */
	setenv("UDRV_MEM", "anon", 1);
	assert_int_equal(udrv_dma_alloc(4096, 0, &p, NULL), 0);
	udrv_mem_stats(&st);
	assert_int_equal(st.page_size, 4096);
	udrv_dma_free(p);
	udrv_fini();
}

#define T(f) cmocka_unit_test_setup_teardown(f, capture, release)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(opt_uint__range_and_form),
		T(opt_size__suffixes_and_no_wrap),
		T(opt_seconds__finite_only),
		T(opt_cpu_list__forms_and_refusals),
		T(devspec__length_and_model),
		T(memory__model_runs_without_hugepages),
		T(memory__real_device_keeps_hugepages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
