/* SPDX-License-Identifier: MIT */
/* NVMe driver against the controller model: bring-up, identify, I/O
 * commands, queue wrap, splitting, SGL/PRP, doorbells, admin. */
#include <pthread.h>
#include <stdlib.h>

#include <udrv/e1000e_model.h>

#include "nvme_test.h"

static const struct udrv_nvme_model_opts mo_default = { .size = sizeof(mo_default) };

static void fill(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 31u + seed);
}

static void bringup__identify_reports_model(void **state)
{
	struct udrv_nvme_model_opts mo = { .size = sizeof(mo), .namespaces = 2, .lba_size = 4096,
					   .blocks = 1000, .serial = "SER123" };
	struct udrv_nvme_ctrl_info info;
	struct udrv_nvme_ns_info ns;
	struct nt t;

	nt_open(&t, &mo, NULL, NULL);
	assert_int_equal(udrv_nvme_ctrl_info(t.ctrl, &info), 0);
	assert_string_equal(info.serial, "SER123");
	assert_string_equal(info.model, "udrv NVMe controller model");
	assert_int_equal(info.version, 0x10400);
	assert_int_equal(info.mdts_bytes, 128 * 1024);
	assert_int_equal(info.max_xfer_bytes, 128 * 1024);
	assert_int_equal(info.max_queue_entries, 1024);
	assert_true(info.sgl && info.sgl_used && info.shadow_db && info.shadow_db_used);
	assert_true(info.vwc);
	assert_int_equal(info.nn, 2);
	assert_int_equal(udrv_nvme_ns_count(t.ctrl), 2);
	assert_int_equal(udrv_nvme_ns_info(t.ctrl, 1, &ns), 0);
	assert_int_equal(ns.nsid, 2);
	assert_int_equal(ns.lba_size, 4096);
	assert_int_equal(ns.blocks, 1000);
	assert_int_equal(ns.capacity_bytes, 4096000);
	assert_int_equal(udrv_nvme_ns_find(t.ctrl, 3, NULL), -ENOENT);
	nt_close(&t);
}

static void io__write_read_roundtrip(void **state)
{
	struct nt t;
	struct nt_done w = { 0 }, r = { 0 };
	uint8_t *a = nt_dma(8192), *b = nt_dma(8192), *media;
	size_t mlen;

	nt_open(&t, &mo_default, NULL, NULL);
	fill(a, 8192, 7);
	assert_int_equal(udrv_nvme_write(t.qp, 1, a, 100, 16, UDRV_NVME_IO_FUA, nt_cb, &w), 0);
	nt_wait(t.qp, &w.calls, 1, 5000);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.status, 0);
	media = udrv_nvme_model_ns_data(t.model, 1, &mlen);
	assert_non_null(media);
	assert_memory_equal(media + 100 * 512, a, 8192);
	assert_int_equal(udrv_nvme_read(t.qp, 1, b, 100, 16, 0, nt_cb, &r), 0);
	nt_wait(t.qp, &r.calls, 1, 5000);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.status, 0);
	assert_memory_equal(a, b, 8192);
	udrv_dma_free(a);
	udrv_dma_free(b);
	nt_close(&t);
}

/* A queue of 8 entries wrapped many times: every completion's phase flips
 * each pass, and every request completes exactly once with the right data. */
static void io__queue_wrap_and_phase_flip(void **state)
{
	struct udrv_nvme_qpair_opts qo = { .size = sizeof(qo), .queue_size = 8 };
	struct nt t;
	struct nt_done d[200];
	uint8_t *buf = nt_dma(200 * 512), *media;
	int submitted = 0, total = 0;
	struct udrv_nvme_qpair_stats st;

	memset(d, 0, sizeof(d));
	nt_open(&t, &mo_default, NULL, &qo);
	assert_int_equal(udrv_nvme_qpair_depth(t.qp), 7);
	fill(buf, 200 * 512, 3);
	while (submitted < 200) {
		int rc = udrv_nvme_write(t.qp, 1, buf + submitted * 512, (uint64_t)submitted, 1, 0,
					 nt_cb, &d[submitted]);
		if (rc == -EAGAIN) {
			assert_true(udrv_nvme_qpair_poll(t.qp, 0) >= 0);
			continue;
		}
		assert_int_equal(rc, 0);
		submitted++;
	}
	for (int i = 0; i < 200; i++) {
		nt_wait(t.qp, &d[i].calls, 1, 5000);
	}
	for (int i = 0; i < 200; i++) {
		assert_int_equal(d[i].calls, 1);
		assert_int_equal(d[i].status, 0);
		total += d[i].calls;
	}
	/* Nothing more arrives: each completed exactly once. */
	for (int i = 0; i < 100; i++)
		udrv_nvme_qpair_poll(t.qp, 0);
	for (int i = 0; i < 200; i++)
		assert_int_equal(d[i].calls, 1);
	assert_int_equal(total, 200);
	udrv_nvme_qpair_stats(t.qp, &st);
	assert_int_equal(st.submitted, 200);
	assert_int_equal(st.completed, 200);
	assert_int_equal(st.bad_cpls, 0);
	media = udrv_nvme_model_ns_data(t.model, 1, NULL);
	assert_memory_equal(media, buf, 200 * 512);
	udrv_dma_free(buf);
	nt_close(&t);
}

static void io__eagain_when_queue_full(void **state)
{
	struct udrv_nvme_qpair_opts qo = { .size = sizeof(qo), .queue_size = 4 };
	struct nt t;
	struct nt_done d[4] = { 0 };
	uint8_t *buf = nt_dma(4096);

	nt_open(&t, &mo_default, NULL, &qo);
	for (int i = 0; i < 3; i++)
		assert_int_equal(udrv_nvme_read(t.qp, 1, buf, 0, 1, 0, nt_cb, &d[i]), 0);
	assert_int_equal(udrv_nvme_read(t.qp, 1, buf, 0, 1, 0, nt_cb, &d[3]), -EAGAIN);
	assert_int_equal(udrv_nvme_qpair_outstanding(t.qp), 3);
	for (int i = 0; i < 3; i++)
		nt_wait(t.qp, &d[i].calls, 1, 5000);
	assert_int_equal(d[3].calls, 0);
	assert_int_equal(udrv_nvme_read(t.qp, 1, buf, 0, 1, 0, nt_cb, &d[3]), 0);
	nt_wait(t.qp, &d[3].calls, 1, 5000);
	assert_int_equal(d[3].calls, 1);
	udrv_dma_free(buf);
	nt_close(&t);
}

static void io__lba_out_of_range_refused(void **state)
{
	struct nt t;
	struct nt_done d = { 0 };
	struct udrv_nvme_qpair_stats st;
	uint8_t *buf = nt_dma(4096);

	nt_open(&t, &mo_default, NULL, NULL);
	assert_int_equal(udrv_nvme_read(t.qp, 1, buf, 32768, 1, 0, nt_cb, &d), -ERANGE);
	assert_int_equal(udrv_nvme_read(t.qp, 1, buf, 32767, 2, 0, nt_cb, &d), -ERANGE);
	assert_int_equal(udrv_nvme_write(t.qp, 1, buf, UINT64_MAX, 1, 0, nt_cb, &d), -ERANGE);
	assert_int_equal(udrv_nvme_write_zeroes(t.qp, 1, 32760, 9, 0, nt_cb, &d), -ERANGE);
	assert_int_equal(udrv_nvme_read(t.qp, 1, buf, 0, 0, 0, nt_cb, &d), -EINVAL);
	assert_int_equal(udrv_nvme_read(t.qp, 2, buf, 0, 1, 0, nt_cb, &d), -EINVAL);
	assert_int_equal(udrv_nvme_read(t.qp, 0, buf, 0, 1, 0, nt_cb, &d), -EINVAL);
	/* Not DMA memory: refused before submission. */
	assert_int_equal(udrv_nvme_read(t.qp, 1, &d, 0, 1, 0, nt_cb, &d), -EINVAL);
	udrv_nvme_qpair_stats(t.qp, &st);
	assert_int_equal(st.submitted, 0);
	assert_int_equal(d.calls, 0);
	/* The last block is fine. */
	assert_int_equal(udrv_nvme_read(t.qp, 1, buf, 32767, 1, 0, nt_cb, &d), 0);
	nt_wait(t.qp, &d.calls, 1, 5000);
	assert_int_equal(d.status, 0);
	udrv_dma_free(buf);
	nt_close(&t);
}

/* MDTS of 2 pages: a 64 KiB write is split into 8 commands, one callback. */
static void io__mdts_split(void **state)
{
	struct udrv_nvme_model_opts mo = { .size = sizeof(mo), .mdts = 1 };
	struct nt t;
	struct nt_done w = { 0 }, r = { 0 };
	struct udrv_nvme_qpair_stats st;
	size_t len = 64 * 1024;
	uint8_t *a = nt_dma(len + 4096), *b = nt_dma(len);
	uint8_t *src = a + 1024; /* unaligned: every piece needs PRP2 */

	nt_open(&t, &mo, NULL, NULL);
	fill(src, len, 11);
	assert_int_equal(udrv_nvme_write(t.qp, 1, src, 8, 128, 0, nt_cb, &w), 0);
	udrv_nvme_qpair_stats(t.qp, &st);
	assert_int_equal(st.submitted, 8);
	nt_wait(t.qp, &w.calls, 1, 5000);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.status, 0);
	assert_int_equal(udrv_nvme_read(t.qp, 1, b, 8, 128, 0, nt_cb, &r), 0);
	nt_wait(t.qp, &r.calls, 1, 5000);
	assert_int_equal(r.calls, 1);
	assert_memory_equal(src, b, len);
	for (int i = 0; i < 50; i++)
		udrv_nvme_qpair_poll(t.qp, 0);
	assert_int_equal(w.calls, 1);
	assert_int_equal(r.calls, 1);
	assert_int_equal(udrv_nvme_qpair_outstanding(t.qp), 0);
	/* A split that fails to map gives every request back: the whole depth
	 * can still be submitted afterwards. */
	{
		static uint8_t not_dma[64 * 1024];
		unsigned depth = udrv_nvme_qpair_depth(t.qp);
		struct nt_done *dd = calloc(depth, sizeof(*dd));

		assert_int_equal(udrv_nvme_read(t.qp, 1, not_dma, 0, 128, 0, nt_cb, &r), -EINVAL);
		for (unsigned i = 0; i < depth; i++)
			assert_int_equal(udrv_nvme_read(t.qp, 1, b, i, 1, 0, nt_cb, &dd[i]), 0);
		for (unsigned i = 0; i < depth; i++)
			nt_wait(t.qp, &dd[i].calls, 1, 5000);
		free(dd);
	}
	udrv_dma_free(a);
	udrv_dma_free(b);
	nt_close(&t);
}

/* Vectored requests beyond the transfer limit (8 KiB here) are split like
 * contiguous ones, cutting inside iovec elements: with SGL (odd sizes and
 * offsets) and with PRP (elements that follow the PRP rules). */
static void io__iovec_split_beyond_mdts(void **state)
{
	struct udrv_nvme_model_opts mo = { .size = sizeof(mo), .mdts = 1 };
	struct udrv_nvme_ctrl_opts co = { .size = sizeof(co), .flags = UDRV_NVME_CTRL_NO_SGL };
	struct udrv_nvme_qpair_stats st;
	struct nt t;
	struct nt_done w = { 0 }, r = { 0 }, f = { 0 };
	uint8_t *x = nt_dma(32768), *y = nt_dma(32768), *z = nt_dma(32768), *out = nt_dma(65536);
	static uint8_t not_dma[4096];

	(void)state;
	/* SGL: 10000 + 20000 + 10960 bytes = 80 blocks = 5 commands. */
	{
		struct iovec iov[3] = { { x + 100, 10000 }, { y + 7, 20000 }, { z + 4000, 10960 } };
		struct iovec back[2] = { { out + 1, 30000 }, { out + 40000, 10960 } };
		struct iovec bad[3] = { { x + 100, 10000 }, { not_dma, 4096 }, { z, 26864 } };

		nt_open(&t, &mo, NULL, NULL);
		fill(x + 100, 10000, 21);
		fill(y + 7, 20000, 22);
		fill(z + 4000, 10960, 23);
		assert_int_equal(udrv_nvme_writev(t.qp, 1, iov, 3, 8, 80, 0, nt_cb, &w), 0);
		udrv_nvme_qpair_stats(t.qp, &st);
		assert_int_equal(st.submitted, 5);
		nt_wait(t.qp, &w.calls, 1, 5000);
		assert_int_equal(w.calls, 1);
		assert_int_equal(w.status, 0);
		assert_int_equal(udrv_nvme_readv(t.qp, 1, back, 2, 8, 80, 0, nt_cb, &r), 0);
		nt_wait(t.qp, &r.calls, 1, 5000);
		assert_int_equal(r.calls, 1);
		assert_int_equal(r.status, 0);
		assert_memory_equal(out + 1, x + 100, 10000);
		assert_memory_equal(out + 10001, y + 7, 20000);
		assert_memory_equal(out + 40000, z + 4000, 10960);
		/* A piece that cannot be mapped gives every request of the split back. */
		assert_int_equal(udrv_nvme_writev(t.qp, 1, bad, 3, 8, 80, 0, nt_cb, &f), -EINVAL);
		assert_int_equal(udrv_nvme_qpair_outstanding(t.qp), 0);
		for (int i = 0; i < 50; i++)
			udrv_nvme_qpair_poll(t.qp, 0);
		assert_int_equal(w.calls, 1);
		assert_int_equal(r.calls, 1);
		assert_int_equal(f.calls, 0);
		nt_close(&t);
	}
	/* PRP: 512 (page end) + 16384 + 7680 bytes = 48 blocks = 3 commands; the
	 * cuts fall at y + 7680 and y + 15872, mid-page like the start. */
	{
		struct iovec iov[3] = { { x + 3584, 512 }, { y, 16384 }, { z, 7680 } };
		struct iovec back[2] = { { out + 3584, 512 }, { out + 4096, 24064 } };

		memset(out, 0, 65536);
		w.calls = r.calls = 0;
		nt_open(&t, &mo, &co, NULL);
		fill(x + 3584, 512, 31);
		fill(y, 16384, 32);
		fill(z, 7680, 33);
		assert_int_equal(udrv_nvme_writev(t.qp, 1, iov, 3, 100, 48, 0, nt_cb, &w), 0);
		udrv_nvme_qpair_stats(t.qp, &st);
		assert_int_equal(st.submitted, 3);
		nt_wait(t.qp, &w.calls, 1, 5000);
		assert_int_equal(w.calls, 1);
		assert_int_equal(w.status, 0);
		assert_int_equal(udrv_nvme_readv(t.qp, 1, back, 2, 100, 48, 0, nt_cb, &r), 0);
		nt_wait(t.qp, &r.calls, 1, 5000);
		assert_int_equal(r.calls, 1);
		assert_int_equal(r.status, 0);
		assert_memory_equal(out + 3584, x + 3584, 512);
		assert_memory_equal(out + 4096, y, 16384);
		assert_memory_equal(out + 4096 + 16384, z, 7680);
		nt_close(&t);
	}
	udrv_dma_free(x);
	udrv_dma_free(y);
	udrv_dma_free(z);
	udrv_dma_free(out);
}

/* 128 KiB at a 512-byte offset: PRP1 mid-page, then a PRP list of 32 pages. */
static void io__prp_list_crosses_pages(void **state)
{
	struct udrv_nvme_model_opts mo = { .size = sizeof(mo), .flags = UDRV_NVME_MODEL_NO_SGL };
	struct nt t;
	struct nt_done w = { 0 }, r = { 0 };
	size_t len = 128 * 1024;
	uint8_t *a = nt_dma(len + 4096), *b = nt_dma(len + 4096);

	nt_open(&t, &mo, NULL, NULL);
	fill(a + 512, len, 5);
	assert_int_equal(udrv_nvme_write(t.qp, 1, a + 512, 1000, 256, 0, nt_cb, &w), 0);
	nt_wait(t.qp, &w.calls, 1, 5000);
	assert_int_equal(w.status, 0);
	assert_int_equal(udrv_nvme_read(t.qp, 1, b + 3000, 1000, 256, 0, nt_cb, &r), 0);
	nt_wait(t.qp, &r.calls, 1, 5000);
	assert_int_equal(r.status, 0);
	assert_memory_equal(a + 512, b + 3000, len);
	udrv_dma_free(a);
	udrv_dma_free(b);
	nt_close(&t);
}

/* Vectored I/O with odd-sized pieces: only possible with SGL. */
static void io__sgl_iovec_roundtrip(void **state)
{
	struct nt t;
	struct nt_done w = { 0 }, r = { 0 };
	uint8_t *x = nt_dma(8192), *y = nt_dma(8192), *z = nt_dma(8192), *out = nt_dma(4096);
	struct iovec iov[3] = { { x + 100, 512 }, { y + 7, 1024 }, { z + 4000, 2560 } };
	struct udrv_nvme_qpair_opts qo = { .size = sizeof(qo), .flags = UDRV_NVME_QPAIR_PREFER_SGL };

	nt_open(&t, &mo_default, NULL, &qo);
	fill(x + 100, 512, 1);
	fill(y + 7, 1024, 2);
	fill(z + 4000, 2560, 3);
	assert_int_equal(udrv_nvme_writev(t.qp, 1, iov, 3, 40, 8, 0, nt_cb, &w), 0);
	nt_wait(t.qp, &w.calls, 1, 5000);
	assert_int_equal(w.status, 0);
	/* Contiguous read with SGL preferred: one data block descriptor. */
	assert_int_equal(udrv_nvme_read(t.qp, 1, out, 40, 8, 0, nt_cb, &r), 0);
	nt_wait(t.qp, &r.calls, 1, 5000);
	assert_int_equal(r.status, 0);
	assert_memory_equal(out, x + 100, 512);
	assert_memory_equal(out + 512, y + 7, 1024);
	assert_memory_equal(out + 1536, z + 4000, 2560);
	/* Lengths that do not add up to nlb blocks are refused. */
	assert_int_equal(udrv_nvme_readv(t.qp, 1, iov, 2, 40, 8, 0, nt_cb, &r), -EINVAL);
	udrv_dma_free(x);
	udrv_dma_free(y);
	udrv_dma_free(z);
	udrv_dma_free(out);
	nt_close(&t);
}

/* Without SGL, iovecs must follow the PRP rules. */
static void io__prp_iovec_rules(void **state)
{
	struct udrv_nvme_ctrl_opts co = { .size = sizeof(co), .flags = UDRV_NVME_CTRL_NO_SGL };
	struct nt t;
	struct nt_done w = { 0 }, r = { 0 };
	uint8_t *x = nt_dma(8192), *y = nt_dma(8192), *out = nt_dma(8192);
	struct iovec ok[2] = { { x + 3584, 512 }, { y, 4096 } };
	struct iovec bad[2] = { { x, 512 }, { y, 4096 } };

	nt_open(&t, &mo_default, &co, NULL);
	fill(x + 3584, 512, 9);
	fill(y, 4096, 10);
	assert_int_equal(udrv_nvme_writev(t.qp, 1, bad, 2, 0, 9, 0, nt_cb, &w), -EINVAL);
	assert_int_equal(udrv_nvme_writev(t.qp, 1, ok, 2, 0, 9, 0, nt_cb, &w), 0);
	nt_wait(t.qp, &w.calls, 1, 5000);
	assert_int_equal(w.status, 0);
	assert_int_equal(udrv_nvme_read(t.qp, 1, out, 0, 9, 0, nt_cb, &r), 0);
	nt_wait(t.qp, &r.calls, 1, 5000);
	assert_memory_equal(out, x + 3584, 512);
	assert_memory_equal(out + 512, y, 4096);
	udrv_dma_free(x);
	udrv_dma_free(y);
	udrv_dma_free(out);
	nt_close(&t);
}

static void io__flush_zeroes_deallocate_compare(void **state)
{
	struct nt t;
	struct nt_done d[6] = { 0 };
	uint8_t *a = nt_dma(4096), *media;
	struct udrv_nvme_range rg[2] = { { 0, 2 }, { 6, 2 } };

	nt_open(&t, &mo_default, NULL, NULL);
	fill(a, 4096, 77);
	assert_int_equal(udrv_nvme_write(t.qp, 1, a, 0, 8, 0, nt_cb, &d[0]), 0);
	nt_wait(t.qp, &d[0].calls, 1, 5000);
	assert_int_equal(udrv_nvme_compare(t.qp, 1, a, 0, 8, 0, nt_cb, &d[1]), 0);
	nt_wait(t.qp, &d[1].calls, 1, 5000);
	assert_int_equal(d[1].status, 0);
	assert_int_equal(udrv_nvme_flush(t.qp, 1, nt_cb, &d[2]), 0);
	nt_wait(t.qp, &d[2].calls, 1, 5000);
	assert_int_equal(d[2].status, 0);
	assert_int_equal(udrv_nvme_write_zeroes(t.qp, 1, 2, 2, 0, nt_cb, &d[3]), 0);
	nt_wait(t.qp, &d[3].calls, 1, 5000);
	assert_int_equal(d[3].status, 0);
	assert_int_equal(udrv_nvme_deallocate(t.qp, 1, rg, 2, nt_cb, &d[4]), 0);
	nt_wait(t.qp, &d[4].calls, 1, 5000);
	assert_int_equal(d[4].status, 0);
	media = udrv_nvme_model_ns_data(t.model, 1, NULL);
	for (int i = 0; i < 4096; i++) {
		int blk = i / 512;
		bool zero = blk < 4 || blk >= 6;

		assert_int_equal(media[i], zero ? 0 : a[i]);
	}
	/* The media changed: compare now fails with Compare Failure. */
	assert_int_equal(udrv_nvme_compare(t.qp, 1, a, 0, 8, 0, nt_cb, &d[5]), 0);
	nt_wait(t.qp, &d[5].calls, 1, 5000);
	assert_int_equal(UDRV_NVME_SCT(d[5].status), 2);
	assert_int_equal(UDRV_NVME_SC(d[5].status), 0x85);
	udrv_dma_free(a);
	nt_close(&t);
}

/* Doorbells once per batch: 16 submits, one MMIO tail write at the flush. */
static void io__doorbell_once_per_batch(void **state)
{
	struct udrv_nvme_model_opts mo = { .size = sizeof(mo),
					   .flags = UDRV_NVME_MODEL_NO_SHADOW_DB };
	struct nt t;
	struct nt_done d[16] = { 0 };
	struct udrv_nvme_qpair_stats st;
	struct udrv_nvme_model_stats ms;
	uint8_t *buf = nt_dma(4096);

	nt_open(&t, &mo, NULL, NULL);
	for (int i = 0; i < 16; i++)
		assert_int_equal(udrv_nvme_read(t.qp, 1, buf, (uint64_t)i, 1, 0, nt_cb, &d[i]), 0);
	udrv_nvme_qpair_stats(t.qp, &st);
	assert_int_equal(st.doorbells, 0);
	udrv_nvme_qpair_ring_doorbell(t.qp);
	udrv_nvme_qpair_ring_doorbell(t.qp);
	udrv_nvme_qpair_stats(t.qp, &st);
	assert_int_equal(st.doorbells, 1);
	for (int i = 0; i < 16; i++)
		nt_wait(t.qp, &d[i].calls, 1, 5000);
	udrv_nvme_qpair_stats(t.qp, &st);
	assert_int_equal(st.doorbells, 1);
	assert_int_equal(st.completed, 16);
	udrv_nvme_model_stats(t.model, &ms);
	assert_int_equal(ms.mmio_sq_doorbells, 1);
	assert_int_equal(ms.shadow_sq_doorbells, 0);
	udrv_dma_free(buf);
	nt_close(&t);
}

/* Shadow doorbells: the model polls them and never asks for an MMIO write. */
static void io__shadow_doorbells_replace_mmio(void **state)
{
	struct nt t;
	struct nt_done d[32] = { 0 };
	struct udrv_nvme_qpair_stats st;
	struct udrv_nvme_model_stats ms;
	uint8_t *buf = nt_dma(4096);

	nt_open(&t, &mo_default, NULL, NULL);
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 8; i++)
			assert_int_equal(udrv_nvme_read(t.qp, 1, buf, 0, 1, 0, nt_cb,
							&d[round * 8 + i]), 0);
		for (int i = 0; i < 8; i++)
			nt_wait(t.qp, &d[round * 8 + i].calls, 1, 5000);
	}
	udrv_nvme_qpair_stats(t.qp, &st);
	udrv_nvme_model_stats(t.model, &ms);
	assert_int_equal(st.completed, 32);
	assert_int_equal(st.doorbells, 0);
	assert_int_equal(ms.mmio_sq_doorbells, 0);
	assert_true(ms.shadow_sq_doorbells >= 1);
	udrv_dma_free(buf);
	nt_close(&t);
}

static void admin__passthrough_and_health(void **state)
{
	struct nt t;
	struct udrv_nvme_cmd cmd = { .opcode = 0x06, .cdw10 = 1 };
	struct udrv_nvme_cpl cpl;
	struct udrv_nvme_health h;
	uint8_t *id = nt_dma(4096);
	struct nt_done d = { 0 };

	nt_open(&t, &mo_default, NULL, NULL);
	assert_int_equal(udrv_nvme_admin_cmd(t.ctrl, &cmd, id, 4096, &cpl, 0), 0);
	assert_int_equal(cpl.status, 0);
	assert_int_equal(id[0] | id[1] << 8, 0x1b36);
	cmd.opcode = 0xc1; /* vendor specific, unknown to the model */
	assert_int_equal(udrv_nvme_admin_cmd(t.ctrl, &cmd, NULL, 0, &cpl, 0), 0);
	assert_int_equal(UDRV_NVME_SC(cpl.status), 0x01);
	assert_int_equal(udrv_nvme_admin_cmd(t.ctrl, &cmd, NULL, 0, NULL, 0), -EIO);
	assert_int_equal(udrv_nvme_write(t.qp, 1, id, 0, 8, 0, nt_cb, &d), 0);
	nt_wait(t.qp, &d.calls, 1, 5000);
	assert_int_equal(udrv_nvme_health(t.ctrl, &h), 0);
	assert_int_equal(h.host_writes, 1);
	assert_int_equal(h.avail_spare, 100);
	assert_true(h.temperature_k > 273);
	udrv_dma_free(id);
	nt_close(&t);
}

/* The submit path caches the translation of one 2 MiB range: buffers
 * spread over several ranges, revisited, must all reach the right media. */
static void io__translation_cache_across_ranges(void **state)
{
	struct nt t;
	size_t len = 7u << 20;
	uint8_t *big = nt_dma(len), *media, stack_buf[512], want[6][512];
	size_t offs[] = { 0, (5u << 20) / 2, 5u << 20, 4096, (6u << 20) + 512, 0 };
	struct nt_done d = { 0 };

	nt_open(&t, &mo_default, NULL, NULL);
	for (unsigned i = 0; i < 6; i++) {
		memset(&d, 0, sizeof(d));
		fill(big + offs[i], 512, 40 + i);
		memcpy(want[i], big + offs[i], 512);
		assert_int_equal(udrv_nvme_write(t.qp, 1, big + offs[i], 200 + i, 1, 0, nt_cb, &d), 0);
		nt_wait(t.qp, &d.calls, 1, 5000);
		assert_int_equal(d.status, 0);
		/* Memory that is not DMA memory is still refused after cache hits. */
		assert_int_equal(udrv_nvme_write(t.qp, 1, stack_buf, 0, 1, 0, nt_cb, &d), -EINVAL);
	}
	media = udrv_nvme_model_ns_data(t.model, 1, NULL);
	for (unsigned i = 0; i < 6; i++)
		assert_memory_equal(media + (200 + i) * 512, want[i], 512);
	udrv_dma_free(big);
	nt_close(&t);
}

static void model_spec__parses_options(void **state)
{
	struct udrv_nvme_ctrl *ctrl;
	struct udrv_nvme_ns_info ns;
	struct udrv_nvme_ctrl_info info;
	struct udrv_dev *dev;

	assert_int_equal(udrv_nvme_model_open_spec("0000:01:00.0", &dev, NULL), 0);
	assert_int_equal(udrv_nvme_model_open_spec("modelx", &dev, NULL), 0);
	assert_int_equal(udrv_nvme_model_open_spec("model:bogus", &dev, NULL), -EINVAL);
	assert_int_equal(udrv_nvme_model_open_spec("model:ns=", &dev, NULL), -EINVAL);
	assert_int_equal(udrv_nvme_model_open_spec("model:null,ns=2,lba=4096,blocks=100,mdts=2,"
						   "nosgl,noshadow", &dev, NULL), 1);
	assert_int_equal(udrv_nvme_ctrl_open(dev, NULL, &ctrl), 0);
	assert_int_equal(udrv_nvme_ns_count(ctrl), 2);
	assert_int_equal(udrv_nvme_ns_info(ctrl, 1, &ns), 0);
	assert_int_equal(ns.lba_size, 4096);
	assert_int_equal(ns.blocks, 100);
	udrv_nvme_ctrl_info(ctrl, &info);
	assert_int_equal(info.mdts_bytes, 16384);
	assert_false(info.sgl);
	assert_false(info.shadow_db);
	udrv_nvme_ctrl_close(ctrl);
	udrv_dev_close(dev);
}

/* Values beyond a field's range are refused, not truncated (ns=2^32+1 once
 * became 1), and a spec longer than 255 characters is read to its end. */
static void model_spec__range_checked_and_any_length(void **state)
{
	char spec[400] = "model:null";
	struct udrv_nvme_ctrl *ctrl;
	struct udrv_nvme_ctrl_info info;
	struct udrv_dev *dev;

	(void)state;
	assert_int_equal(udrv_nvme_model_open_spec("model:ns=4294967297", &dev, NULL), -EINVAL);
	assert_string_equal(udrv_last_error(), "udrv: bad model spec \"model:ns=4294967297\": "
			    "ns=4294967297 is not a number in 1..16");
	assert_int_equal(udrv_nvme_model_open_spec("model:qsize=4294967298", &dev, NULL), -EINVAL);
	assert_int_equal(udrv_nvme_model_open_spec("model:lba=1000", &dev, NULL), -EINVAL);
	assert_int_equal(udrv_nvme_model_open_spec("model:mdts=0", &dev, NULL), -EINVAL);
	assert_int_equal(udrv_nvme_model_open_spec("model:blocks=-1", &dev, NULL), -EINVAL);
	while (strlen(spec) < 300)
		strcat(spec, ",null");
	strcat(spec, ",mdts=1"); /* past character 255: was cut off */
	assert_int_equal(udrv_nvme_model_open_spec(spec, &dev, NULL), 1);
	assert_int_equal(udrv_nvme_ctrl_open(dev, NULL, &ctrl), 0);
	udrv_nvme_ctrl_info(ctrl, &info);
	assert_int_equal(info.mdts_bytes, 8192);
	udrv_nvme_ctrl_close(ctrl);
	udrv_dev_close(dev);
}

/* An 82574L handed to the NVMe driver is named for what it is (PCI class
 * 02 00 00), not blamed for lacking the NVM command set. */
static void ctrl_open__not_nvme_class__says_so(void **state)
{
	struct udrv_nvme_ctrl *ctrl = NULL;
	struct udrv_dev *dev;

	(void)state;
	assert_int_equal(udrv_e1000e_model_open(NULL, &dev), 0);
	assert_int_equal(udrv_nvme_ctrl_open(dev, NULL, &ctrl), -ENODEV);
	assert_null(ctrl);
	assert_non_null(strstr(udrv_last_error(), "not an NVMe controller: PCI 8086:10d3 is class "
					       "020000"));
	assert_non_null(strstr(udrv_last_error(), "network controller"));
	assert_null(strstr(udrv_last_error(), "command set"));
	udrv_dev_close(dev);
}

struct thr {
	struct udrv_nvme_ctrl *ctrl;
	uint64_t base;
	int ok;
};

static void *io_thread(void *arg)
{
	struct thr *th = arg;
	struct udrv_nvme_qpair *qp;
	struct nt_done d[64];
	uint8_t *buf;

	memset(d, 0, sizeof(d));
	if (udrv_nvme_qpair_create(th->ctrl, NULL, &qp) < 0)
		return NULL;
	if (udrv_dma_alloc(64 * 512, 4096, (void **)&buf, NULL) < 0)
		return NULL;
	for (int i = 0; i < 64; i++)
		buf[i * 512] = (uint8_t)(th->base + i);
	for (int i = 0; i < 64; i++)
		if (udrv_nvme_write(qp, 1, buf + i * 512, th->base + i, 1, 0, nt_cb, &d[i]) < 0)
			return NULL;
	for (int i = 0; i < 64; i++)
		nt_wait(qp, &d[i].calls, 1, 5000);
	th->ok = 1;
	for (int i = 0; i < 64; i++)
		if (d[i].calls != 1 || d[i].status)
			th->ok = 0;
	udrv_dma_free(buf);
	udrv_nvme_qpair_destroy(qp);
	return NULL;
}

static void qpair__one_per_thread(void **state)
{
	struct nt t;
	struct thr th[3] = { { .base = 0 }, { .base = 1000 }, { .base = 2000 } };
	pthread_t tid[3];
	uint8_t *media;

	nt_open(&t, &mo_default, NULL, NULL);
	for (int i = 0; i < 3; i++) {
		th[i].ctrl = t.ctrl;
		assert_int_equal(pthread_create(&tid[i], NULL, io_thread, &th[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(tid[i], NULL);
		assert_int_equal(th[i].ok, 1);
	}
	media = udrv_nvme_model_ns_data(t.model, 1, NULL);
	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 64; k++)
			assert_int_equal(media[(th[i].base + k) * 512], (uint8_t)(th[i].base + k));
	nt_close(&t);
}

/* Inline model (instruction counting): a single poll right after the
 * doorbell completes the whole batch on the polling thread, data included,
 * and two threads with a queue pair each take turns at the model. */
static void model_inline__one_poll_completes_the_batch(void **state)
{
	static const struct udrv_nvme_model_opts mo = { .size = sizeof(mo),
							.flags = UDRV_NVME_MODEL_INLINE };
	struct thr th[2] = { { .base = 0 }, { .base = 1000 } };
	struct udrv_nvme_model_stats ms;
	struct nt_done d[16];
	pthread_t tid[2];
	uint8_t *buf;
	struct nt t;

	(void)state;
	nt_open(&t, &mo, NULL, NULL);
	buf = nt_dma(16 * 512);
	memset(d, 0, sizeof(d));
	for (int i = 0; i < 16; i++) {
		buf[i * 512] = (uint8_t)(0x40 + i);
		assert_int_equal(udrv_nvme_write(t.qp, 1, buf + i * 512, 100 + i, 1, 0, nt_cb, &d[i]), 0);
	}
	udrv_nvme_model_stats(t.model, &ms);
	assert_int_equal(ms.io_cmds, 0); /* nothing runs the model but a poll */
	assert_int_equal(udrv_nvme_qpair_poll(t.qp, 0), 16);
	memset(buf, 0, 16 * 512);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(d[i].calls, 1);
		assert_int_equal(udrv_nvme_read(t.qp, 1, buf + i * 512, 100 + i, 1, 0, nt_cb, &d[i]), 0);
	}
	assert_int_equal(udrv_nvme_qpair_poll(t.qp, 0), 16);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(d[i].calls, 2);
		assert_int_equal(d[i].status, 0);
		assert_int_equal(buf[i * 512], 0x40 + i);
	}
	assert_int_equal(udrv_nvme_qpair_poll(t.qp, 0), 0); /* idle: nothing to run */
	for (int i = 0; i < 2; i++) {
		th[i].ctrl = t.ctrl;
		assert_int_equal(pthread_create(&tid[i], NULL, io_thread, &th[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(tid[i], NULL);
		assert_int_equal(th[i].ok, 1);
	}
	udrv_dma_free(buf);
	nt_close(&t);
	assert_int_equal(udrv_nvme_model_open_spec("model:null,inline", &t.dev, NULL), 1);
	udrv_dev_close(t.dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bringup__identify_reports_model),
		cmocka_unit_test(io__write_read_roundtrip),
		cmocka_unit_test(io__queue_wrap_and_phase_flip),
		cmocka_unit_test(io__eagain_when_queue_full),
		cmocka_unit_test(io__lba_out_of_range_refused),
		cmocka_unit_test(io__mdts_split),
		cmocka_unit_test(io__iovec_split_beyond_mdts),
		cmocka_unit_test(io__prp_list_crosses_pages),
		cmocka_unit_test(io__sgl_iovec_roundtrip),
		cmocka_unit_test(io__prp_iovec_rules),
		cmocka_unit_test(io__flush_zeroes_deallocate_compare),
		cmocka_unit_test(io__doorbell_once_per_batch),
		cmocka_unit_test(io__shadow_doorbells_replace_mmio),
		cmocka_unit_test(admin__passthrough_and_health),
		cmocka_unit_test(io__translation_cache_across_ranges),
		cmocka_unit_test(model_spec__parses_options),
		cmocka_unit_test(model_spec__range_checked_and_any_length),
		cmocka_unit_test(ctrl_open__not_nvme_class__says_so),
		cmocka_unit_test(qpair__one_per_thread),
		cmocka_unit_test(model_inline__one_poll_completes_the_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
