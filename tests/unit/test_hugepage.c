/* SPDX-License-Identifier: MIT */
/*
 * Hugepage DMA memory: the shortage errors against a fake sysfs, then real
 * hugepages on this machine (the program exits 77, skipped, when none can be
 * reserved).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <udrv/udrv.h>

#include "fake_sysfs.h"

#define HP_DIR "/sys/kernel/mm/hugepages/hugepages-2048kB/"

static const struct udrv_opts huge_opts = {
	.size = sizeof(struct udrv_opts), .mem = UDRV_MEM_HUGE, .page_size = 2u << 20,
	.chunk_size = 16u << 20,
};

static void shortage__too_few_free__says_how_many_and_how(void **state)
{
	struct fake_sysfs *fs = fake_sysfs_create();
	void *p;

	(void)state;
	fake_sysfs_add_hugepages(fs, 2048, 2, 2);
	assert_int_equal(udrv_init(&huge_opts), 0);
	assert_int_equal(udrv_dma_alloc(12u << 20, 0, &p, NULL), -ENOMEM);
	assert_non_null(strstr(udrv_last_error(), "6 free 2 MiB hugepages are needed"));
	assert_non_null(strstr(udrv_last_error(), "only 2 are free"));
	assert_non_null(strstr(udrv_last_error(), "udrv-setup hugepages"));
	udrv_fini();
	fake_sysfs_destroy(fs);
}

static void shortage__none_configured__says_reserve(void **state)
{
	struct fake_sysfs *fs = fake_sysfs_create();
	void *p;

	(void)state;
	assert_int_equal(udrv_init(&huge_opts), 0);
	assert_int_equal(udrv_dma_alloc(4096, 0, &p, NULL), -ENOMEM);
	assert_non_null(strstr(udrv_last_error(), "hugepages"));
	assert_non_null(strstr(udrv_last_error(), "nr_hugepages"));
	udrv_fini();
	fake_sysfs_destroy(fs);
}

/* 1 GiB pages short: the hint names 1G pages, not the 2 MiB commands. */
static void shortage__1g_pages__suggests_1g_commands(void **state)
{
	struct udrv_opts o = huge_opts;
	struct fake_sysfs *fs = fake_sysfs_create();
	void *p;

	(void)state;
	o.page_size = 1u << 30;
	fake_sysfs_add_hugepages(fs, 1048576, 1, 0);
	assert_int_equal(udrv_init(&o), 0);
	assert_int_equal(udrv_dma_alloc(4096, 0, &p, NULL), -ENOMEM);
	assert_non_null(strstr(udrv_last_error(), "1 free 1 GiB hugepages are needed"));
	assert_non_null(strstr(udrv_last_error(), "`udrv-setup hugepages 2 --size 1G`"));
	assert_non_null(strstr(udrv_last_error(), "echo 2 > /sys/kernel/mm/hugepages/"
					       "hugepages-1048576kB/nr_hugepages"));
	assert_null(strstr(udrv_last_error(), "/proc/sys/vm/nr_hugepages"));
	udrv_fini();
	fake_sysfs_destroy(fs);
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%ld\n", v) > 0;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

static void real__chunk_is_hugepage_backed_aligned_and_translated(void **state)
{
	struct udrv_mem_stats st;
	uint8_t *p;
	uint64_t iova;
	long before = read_long(HP_DIR "free_hugepages");

	(void)state;
	assert_int_equal(udrv_init(&huge_opts), 0);
	assert_int_equal(udrv_dma_alloc(5u << 20, 2u << 20, (void **)&p, &iova), 0);
	assert_int_equal(iova % (2u << 20), 0);
	assert_int_equal((uintptr_t)p % (2u << 20), 0);
	memset(p, 0x5a, 5u << 20);
	assert_true(udrv_virt_to_iova(p + (5u << 20) - 1) == iova + (5u << 20) - 1);
	udrv_mem_stats(&st);
	assert_int_equal(st.page_size, 2u << 20);
	assert_int_equal(st.mapped_bytes, 16u << 20);
	/* The 8 pages of the chunk came out of the free pool. */
	assert_int_equal(read_long(HP_DIR "free_hugepages"), before - 8);
	udrv_dma_free(p);
	udrv_fini();
	assert_int_equal(read_long(HP_DIR "free_hugepages"), before);
}

int main(void)
{
	const struct CMUnitTest fake[] = {
		cmocka_unit_test(shortage__too_few_free__says_how_many_and_how),
		cmocka_unit_test(shortage__none_configured__says_reserve),
		cmocka_unit_test(shortage__1g_pages__suggests_1g_commands),
	};
	const struct CMUnitTest real[] = {
		cmocka_unit_test(real__chunk_is_hugepage_backed_aligned_and_translated),
	};
	long nr, free_pages;
	int ret;

	ret = cmocka_run_group_tests_name("hugepage_shortage", fake, NULL, NULL);
	if (ret)
		return ret;
	nr = read_long(HP_DIR "nr_hugepages");
	free_pages = read_long(HP_DIR "free_hugepages");
	if (free_pages >= 0 && free_pages < 8)
		write_long("/proc/sys/vm/nr_hugepages", nr + 8 - free_pages);
	if (read_long(HP_DIR "free_hugepages") < 8) {
		printf("SKIP: real hugepages: fewer than 8 free 2 MiB hugepages and none could be "
		       "reserved (run as root or `udrv-setup hugepages 8`)\n");
		return 77;
	}
	ret = cmocka_run_group_tests_name("hugepage_real", real, NULL, NULL);
	if (read_long(HP_DIR "nr_hugepages") != nr && nr >= 0)
		write_long("/proc/sys/vm/nr_hugepages", nr);
	return ret;
}
