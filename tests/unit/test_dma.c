/* SPDX-License-Identifier: MIT */
/* The DMA allocator and virtual-to-IOVA translation (anonymous memory, no device). */
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

static int setup(void **state)
{
	struct udrv_opts o = { .size = sizeof(o), .mem = UDRV_MEM_ANON, .chunk_size = 4u << 20 };

	(void)state;
	return udrv_init(&o);
}

static int teardown(void **state)
{
	(void)state;
	udrv_fini();
	return 0;
}

static void alloc__zeroed_aligned_iova_differs_from_va(void **state)
{
	static const size_t aligns[] = { 0, 64, 4096, 1u << 16, 2u << 20 };

	(void)state;
	for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
		uint8_t *p;
		uint64_t iova;
		size_t a = aligns[i] ? aligns[i] : 64;

		assert_int_equal(udrv_dma_alloc(1000, aligns[i], (void **)&p, &iova), 0);
		assert_int_equal((uintptr_t)p % a, 0);
		assert_int_equal(iova % a, 0);
		assert_true(iova != (uint64_t)(uintptr_t)p);
		for (int j = 0; j < 1000; j++)
			assert_int_equal(p[j], 0);
		memset(p, 0xa5, 1000);
		udrv_dma_free(p);
	}
}

static void alloc__reused_memory_is_zeroed_again(void **state)
{
	uint8_t *p, *q;

	(void)state;
	assert_int_equal(udrv_dma_alloc(8192, 0, (void **)&p, NULL), 0);
	memset(p, 0xff, 8192);
	udrv_dma_free(p);
	assert_int_equal(udrv_dma_alloc(8192, 0, (void **)&q, NULL), 0);
	assert_ptr_equal(p, q);
	for (int j = 0; j < 8192; j++)
		assert_int_equal(q[j], 0);
	udrv_dma_free(q);
}

static void translate__every_byte_constant_offset_within_chunk(void **state)
{
	uint8_t *p;
	uint64_t iova;

	(void)state;
	assert_int_equal(udrv_dma_alloc(3u << 20, 0, (void **)&p, &iova), 0);
	for (size_t off = 0; off < (3u << 20); off += 4093)
		assert_true(udrv_virt_to_iova(p + off) == iova + off);
	assert_true(udrv_virt_to_iova(p + (3u << 20) - 1) == iova + (3u << 20) - 1);
	udrv_dma_free(p);
}

static void translate__non_dma_address__invalid(void **state)
{
	int local;
	void *p;

	(void)state;
	assert_int_equal(udrv_dma_alloc(64, 0, &p, NULL), 0);
	assert_true(udrv_virt_to_iova(&local) == UDRV_IOVA_INVALID);
	assert_true(udrv_virt_to_iova(NULL) == UDRV_IOVA_INVALID);
	assert_true(udrv_virt_to_iova(state) == UDRV_IOVA_INVALID);
	udrv_dma_free(p);
}

static void alloc__larger_than_chunk__gets_own_chunk(void **state)
{
	struct udrv_mem_stats st;
	void *small, *big;
	uint64_t iova;

	(void)state;
	assert_int_equal(udrv_dma_alloc(4096, 0, &small, NULL), 0);
	assert_int_equal(udrv_dma_alloc(9u << 20, 0, &big, &iova), 0);
	udrv_mem_stats(&st);
	assert_int_equal(st.chunks, 2);
	assert_true(st.mapped_bytes >= (4u << 20) + (9u << 20));
	assert_true(udrv_virt_to_iova((uint8_t *)big + (9u << 20) - 1) == iova + (9u << 20) - 1);
	udrv_dma_free(big);
	udrv_dma_free(small);
	udrv_mem_stats(&st);
	assert_int_equal(st.used_bytes, 0);
}

static void alloc__many_small_then_free_all__coalesces(void **state)
{
	void *p[256];
	void *whole;
	struct udrv_mem_stats st;

	(void)state;
	for (int i = 0; i < 256; i++)
		assert_int_equal(udrv_dma_alloc(100 + (size_t)i * 7, 0, &p[i], NULL), 0);
	for (int i = 0; i < 256; i += 2)
		udrv_dma_free(p[i]);
	for (int i = 1; i < 256; i += 2)
		udrv_dma_free(p[i]);
	udrv_mem_stats(&st);
	assert_int_equal(st.used_bytes, 0);
	assert_int_equal(st.chunks, 1);
	/* After coalescing, the whole chunk is one free block again. */
	assert_int_equal(udrv_dma_alloc(4u << 20, 0, &whole, NULL), 0);
	udrv_mem_stats(&st);
	assert_int_equal(st.chunks, 1);
	udrv_dma_free(whole);
}

static void alloc__bad_arguments__einval(void **state)
{
	void *p;

	(void)state;
	assert_int_equal(udrv_dma_alloc(0, 0, &p, NULL), -EINVAL);
	assert_int_equal(udrv_dma_alloc(64, 3000, &p, NULL), -EINVAL);
	assert_int_equal(udrv_dma_alloc(64, 1u << 30, &p, NULL), -EINVAL);
	assert_int_equal(udrv_dma_alloc(64, 0, NULL, NULL), -EINVAL);
}

/* Each refusal names its own reason, never an older or unrelated one. */
static void alloc__bad_arguments__message_names_the_rule(void **state)
{
	void *p = &p;

	(void)state;
	assert_int_equal(udrv_dma_alloc(4096, 3, &p, NULL), -EINVAL);
	assert_null(p);
	assert_non_null(strstr(udrv_last_error(), "align must be a power of two"));
	assert_int_equal(udrv_dma_alloc(4096, 48, &p, NULL), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "align must be a power of two"));
	assert_int_equal(udrv_dma_alloc(0, 64, &p, NULL), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "size must be > 0"));
	assert_int_equal(udrv_dma_alloc((size_t)100 << 30, 0, &p, NULL), -ENOMEM);
	assert_null(strstr(udrv_last_error(), "size must be > 0"));
	assert_non_null(strstr(udrv_last_error(), "100 GiB of DMA memory is more than the"));
	assert_non_null(strstr(udrv_last_error(), "va_window"));
	assert_int_equal(udrv_dma_alloc(64, 1u << 30, &p, NULL), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "align must be at most the"));
}

static void free__foreign_or_double__ignored_and_logged(void **state)
{
	int local;
	void *p;

	(void)state;
	udrv_dma_free(&local);
	assert_non_null(strstr(udrv_last_error(), "not an allocation"));
	assert_int_equal(udrv_dma_alloc(64, 0, &p, NULL), 0);
	udrv_dma_free(p);
	udrv_dma_free(p);
	assert_non_null(strstr(udrv_last_error(), "double free"));
}

/* MemAvailable in bytes from /proc/meminfo; 0 when unknown. */
static unsigned long long mem_available(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

/* A chunk bigger than memory is refused before it is populated (no OOM
 * kill), and the message names UDRV_CHUNK_MB, which caused it. */
static void alloc__chunk_beyond_memory__names_udrv_chunk_mb(void **state)
{
	struct udrv_opts o = { .size = sizeof(o), .mem = UDRV_MEM_ANON };
	unsigned long long avail = mem_available();
	void *p;

	(void)state;
	if (avail == 0 || avail >= (64ull << 30)) {
		skip(); /* 64 GiB (the largest UDRV_CHUNK_MB) would fit: not safe to try */
		return;
	}
	udrv_fini(); /* the fixture's runtime: this test sets its own */
	setenv("UDRV_CHUNK_MB", "65536", 1);
	assert_int_equal(udrv_init(&o), 0);
	assert_int_equal(udrv_dma_alloc(4096, 0, &p, NULL), -ENOMEM);
	unsetenv("UDRV_CHUNK_MB");
	assert_non_null(strstr(udrv_last_error(), "cannot allocate 64 GiB of memory"));
	assert_non_null(strstr(udrv_last_error(), "UDRV_CHUNK_MB=65536"));
}

static void init__twice__ealready_and_bad_opts_einval(void **state)
{
	struct udrv_opts bad = { .size = 3 };

	(void)state;
	assert_int_equal(udrv_init(NULL), -EALREADY);
	assert_int_equal(udrv_init(&bad), -EINVAL);
}

/* No chunk size given: the first chunk is one page (2 MiB here), each next
 * one twice the last, capped at 64 MiB; a request larger than that still
 * gets a chunk of its own size. UDRV_CHUNK_MB would fix the size. */
static void chunks__default_size__start_at_one_page_and_double(void **state)
{
	struct udrv_opts o = { .size = sizeof(o), .mem = UDRV_MEM_ANON };
	static const size_t want[] = { 2, 4, 8, 16, 32, 64, 64 };
	struct udrv_mem_stats st;
	void *p[7];
	size_t mapped = 0;

	(void)state;
	unsetenv("UDRV_CHUNK_MB");
	assert_int_equal(udrv_init(&o), 0);
	for (unsigned i = 0; i < 7; i++) {
		/* Just over what is left: each allocation needs a new chunk. */
		assert_int_equal(udrv_dma_alloc((want[i] << 20) - 4096, 4096, &p[i], NULL), 0);
		mapped += want[i] << 20;
		udrv_mem_stats(&st);
		assert_int_equal(st.chunks, i + 1);
		assert_int_equal(st.mapped_bytes, mapped);
	}
	assert_int_equal(udrv_dma_alloc(100u << 20, 0, &p[0], NULL), 0);
	udrv_mem_stats(&st);
	assert_int_equal(st.mapped_bytes, mapped + (100u << 20));
	udrv_fini();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(alloc__zeroed_aligned_iova_differs_from_va, setup, teardown),
		cmocka_unit_test_setup_teardown(alloc__reused_memory_is_zeroed_again, setup, teardown),
		cmocka_unit_test_setup_teardown(translate__every_byte_constant_offset_within_chunk, setup, teardown),
		cmocka_unit_test_setup_teardown(translate__non_dma_address__invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(alloc__larger_than_chunk__gets_own_chunk, setup, teardown),
		cmocka_unit_test_setup_teardown(alloc__many_small_then_free_all__coalesces, setup, teardown),
		cmocka_unit_test_setup_teardown(alloc__bad_arguments__einval, setup, teardown),
		cmocka_unit_test_setup_teardown(alloc__bad_arguments__message_names_the_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(free__foreign_or_double__ignored_and_logged, setup, teardown),
		cmocka_unit_test_setup_teardown(init__twice__ealready_and_bad_opts_einval, setup, teardown),
		cmocka_unit_test_setup_teardown(alloc__chunk_beyond_memory__names_udrv_chunk_mb, setup,
						teardown),
		cmocka_unit_test(chunks__default_size__start_at_one_page_and_double),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
