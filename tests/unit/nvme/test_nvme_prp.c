/* SPDX-License-Identifier: MIT */
/* PRP and SGL construction, tested directly (no device). */
#include "nvme_test.h"

#include "../../../drivers/nvme/nvme_priv.h"

static uint64_t iova(const void *p)
{
	return udrv_virt_to_iova(p);
}

static void prp_build__single_page(void **state)
{
	uint8_t *buf = nt_dma(8192);
	uint64_t list[8], p1 = 1, p2 = 1;
	struct iovec v = { buf + 100, 512 };

	assert_int_equal(udrvi_nvme_prp_build(&v, 1, &p1, &p2, list, 0xdead000, 8), 0);
	assert_int_equal(p1, iova(buf + 100));
	assert_int_equal(p2, 0);
	assert_int_not_equal(p1, (uint64_t)(uintptr_t)(buf + 100)); /* IOVA, not VA */
	udrv_dma_free(buf);
}

static void prp_build__two_pages_use_prp2(void **state)
{
	uint8_t *buf = nt_dma(3 * 4096);
	uint64_t list[8], p1, p2;
	struct iovec v = { buf + 4000, 512 };

	assert_int_equal(udrvi_nvme_prp_build(&v, 1, &p1, &p2, list, 0xdead000, 8), 0);
	assert_int_equal(p1, iova(buf + 4000));
	assert_int_equal(p2, iova(buf + 4096));
	udrv_dma_free(buf);
}

static void prp_build__crosses_page_boundary(void **state)
{
	uint8_t *buf = nt_dma(6 * 4096);
	uint64_t list[8], p1, p2;
	struct iovec v = { buf + 2048, 4 * 4096 };

	assert_int_equal(udrvi_nvme_prp_build(&v, 1, &p1, &p2, list, 0xdead000, 8), 0);
	assert_int_equal(p1, iova(buf + 2048));
	assert_int_equal(p2, 0xdead000);
	for (int i = 0; i < 4; i++)
		assert_int_equal(list[i], iova(buf + 4096 * (i + 1)));
	udrv_dma_free(buf);
}

static void prp_build__list_too_small_refused(void **state)
{
	uint8_t *buf = nt_dma(6 * 4096);
	uint64_t list[2], p1, p2;
	struct iovec v = { buf, 5 * 4096 };

	assert_int_equal(udrvi_nvme_prp_build(&v, 1, &p1, &p2, list, 0xdead000, 2), -EINVAL);
	udrv_dma_free(buf);
}

static void prp_build__iovec_alignment_rules(void **state)
{
	uint8_t *a = nt_dma(8192), *b = nt_dma(8192);
	uint64_t list[8], p1, p2;
	struct iovec ok[2] = { { a + 1024, 3072 }, { b, 100 } };
	struct iovec mid_start[2] = { { a, 4096 }, { b + 8, 100 } };
	struct iovec mid_end[2] = { { a, 100 }, { b, 4096 } };

	assert_int_equal(udrvi_nvme_prp_build(ok, 2, &p1, &p2, list, 0xdead000, 8), 0);
	assert_int_equal(p1, iova(a + 1024));
	assert_int_equal(p2, iova(b));
	assert_int_equal(udrvi_nvme_prp_build(mid_start, 2, &p1, &p2, list, 0, 8), -EINVAL);
	assert_int_equal(udrvi_nvme_prp_build(mid_end, 2, &p1, &p2, list, 0, 8), -EINVAL);
	udrv_dma_free(a);
	udrv_dma_free(b);
}

static void prp_build__non_dma_memory_refused(void **state)
{
	uint8_t stack[512];
	uint64_t list[8], p1, p2;
	struct iovec v = { stack, sizeof(stack) };
	struct iovec empty = { stack, 0 };

	assert_int_equal(udrvi_nvme_prp_build(&v, 1, &p1, &p2, list, 0, 8), -EINVAL);
	assert_int_equal(udrvi_nvme_prp_build(&empty, 1, &p1, &p2, list, 0, 8), -EINVAL);
}

/* PRP entries are dword aligned (4.3): an odd start needs SGL. */
static void prp_build__unaligned_start_refused(void **state)
{
	uint8_t *buf = nt_dma(8192);
	uint64_t list[8], p1, p2;
	struct iovec odd = { buf + 7, 512 }, dword = { buf + 4, 512 };

	assert_int_equal(udrvi_nvme_prp_build(&odd, 1, &p1, &p2, list, 0, 8), -EINVAL);
	assert_int_equal(udrvi_nvme_prp_build(&dword, 1, &p1, &p2, list, 0, 8), 0);
	assert_int_equal(p1, iova(buf + 4));
	udrv_dma_free(buf);
}

static void sgl_build__contiguous_is_one_data_block(void **state)
{
	uint8_t *buf = nt_dma(4 * 4096);
	struct nvme_sgl_desc list[4];
	struct nvme_sqe sqe = { 0 };
	struct iovec v = { buf + 10, 3 * 4096 };

	assert_int_equal(udrvi_nvme_sgl_build(&v, 1, &sqe, list, 0xbeef000, 4), 0);
	assert_int_equal(NVME_GET(SQE_PSDT, sqe.flags), NVME_PSDT_SGL_MPTR_CONTIG);
	assert_int_equal(sqe.prp1, iova(buf + 10));
	assert_int_equal(sqe.prp2 & 0xffffffffu, 3 * 4096);
	assert_int_equal(sqe.prp2 >> 60, NVME_SGL_TYPE_DATA_BLOCK);
	udrv_dma_free(buf);
}

static void sgl_build__iovec_uses_last_segment(void **state)
{
	uint8_t *a = nt_dma(4096), *b = nt_dma(4096), *c = nt_dma(4096);
	struct nvme_sgl_desc list[4];
	struct nvme_sqe sqe = { 0 };
	struct iovec v[3] = { { a + 1, 10 }, { b + 2, 20 }, { c + 3, 30 } };

	assert_int_equal(udrvi_nvme_sgl_build(v, 3, &sqe, list, 0xbeef000, 4), 0);
	assert_int_equal(sqe.prp1, 0xbeef000);
	assert_int_equal(sqe.prp2 & 0xffffffffu, 3 * 16);
	assert_int_equal(sqe.prp2 >> 60, NVME_SGL_TYPE_LAST_SEGMENT);
	assert_int_equal(list[0].addr, iova(a + 1));
	assert_int_equal(list[0].len, 10);
	assert_int_equal(list[1].addr, iova(b + 2));
	assert_int_equal(list[2].len, 30);
	assert_int_equal(list[2].type, 0);
	/* Not enough room in the list. */
	assert_int_equal(udrvi_nvme_sgl_build(v, 3, &sqe, list, 0xbeef000, 2), -EINVAL);
	udrv_dma_free(a);
	udrv_dma_free(b);
	udrv_dma_free(c);
}

static void dbbuf_need_event__wraps(void **state)
{
	/* EventIdx inside [old, new): ring. */
	assert_true(nvme_dbbuf_need_event(5, 8, 4));
	assert_false(nvme_dbbuf_need_event(9, 8, 4));
	assert_true(nvme_dbbuf_need_event(65535, 2, 65534));
	assert_false(nvme_dbbuf_need_event((uint16_t)(4 + 0x8000), 8, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prp_build__single_page),
		cmocka_unit_test(prp_build__two_pages_use_prp2),
		cmocka_unit_test(prp_build__crosses_page_boundary),
		cmocka_unit_test(prp_build__list_too_small_refused),
		cmocka_unit_test(prp_build__iovec_alignment_rules),
		cmocka_unit_test(prp_build__non_dma_memory_refused),
		cmocka_unit_test(prp_build__unaligned_start_refused),
		cmocka_unit_test(sgl_build__contiguous_is_one_data_block),
		cmocka_unit_test(sgl_build__iovec_uses_last_segment),
		cmocka_unit_test(dbbuf_need_event__wraps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
