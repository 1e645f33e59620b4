/* SPDX-License-Identifier: MIT */
/* ublk front-end: parameters from an NVMe controller and namespace, ublk
 * requests translated to NVMe commands, and those commands run against the
 * controller model (the part of the data path that needs no kernel). */
#include "../nvme/nvme_test.h"

#include "blk_priv.h"

static struct udrv_nvme_ctrl_info ctrl_info(bool vwc, uint16_t oncs, uint32_t max_xfer)
{
	struct udrv_nvme_ctrl_info ci;

	memset(&ci, 0, sizeof(ci));
	ci.vwc = vwc;
	ci.oncs = oncs;
	ci.max_xfer_bytes = max_xfer;
	return ci;
}

static struct udrv_nvme_ns_info ns_info(uint32_t lba, uint64_t blocks)
{
	struct udrv_nvme_ns_info ns = { .nsid = 1, .lba_size = lba, .blocks = blocks };

	ns.capacity_bytes = blocks * lba;
	return ns;
}

#define ONCS_DSM_WZ ((1u << 2) | (1u << 3))

static void params__512_byte_lbas_with_cache_discard_and_zeroes(void **state)
{
	struct udrv_nvme_ctrl_info ci = ctrl_info(true, ONCS_DSM_WZ, 512 * 1024);
	struct udrv_nvme_ns_info ns = ns_info(512, 262144);
	struct ublk_params p;
	struct blk_geom g;

	(void)state;
	assert_int_equal(udrvi_blk_params(&ci, &ns, 0, &p, &g), 0);
	assert_int_equal(p.types, UBLK_PARAM_TYPE_BASIC | UBLK_PARAM_TYPE_DISCARD);
	assert_int_equal(p.basic.logical_bs_shift, 9);
	assert_int_equal(p.basic.physical_bs_shift, 9);
	assert_int_equal(p.basic.max_sectors, 1024);
	assert_int_equal(p.basic.dev_sectors, 262144);
	assert_int_equal(p.basic.attrs, UBLK_ATTR_VOLATILE_CACHE | UBLK_ATTR_FUA);
	assert_int_equal(p.discard.max_discard_segments, 1);
	assert_int_equal(p.discard.discard_granularity, 512);
	assert_int_equal(p.discard.max_write_zeroes_sectors, 65536);
	assert_true(p.discard.max_discard_sectors > 0);
	assert_int_equal(g.max_io_bytes, 512 * 1024);
	assert_true(g.vwc && g.dsm && g.wz);
}

static void params__4k_lbas_scale_sectors(void **state)
{
	struct udrv_nvme_ctrl_info ci = ctrl_info(true, ONCS_DSM_WZ, 128 * 1024);
	struct udrv_nvme_ns_info ns = ns_info(4096, 16384);
	struct ublk_params p;
	struct blk_geom g;

	(void)state;
	assert_int_equal(udrvi_blk_params(&ci, &ns, 0, &p, &g), 0);
	assert_int_equal(p.basic.logical_bs_shift, 12);
	assert_int_equal(p.basic.dev_sectors, 16384ull * 8);
	assert_int_equal(p.basic.max_sectors, 256);
	assert_int_equal(p.discard.max_write_zeroes_sectors, 65536u * 8);
	assert_int_equal(p.discard.max_discard_sectors % 8, 0);
	assert_int_equal(p.discard.discard_granularity, 4096);
}

static void params__no_vwc_advertises_no_cache_nor_fua(void **state)
{
	struct udrv_nvme_ctrl_info ci = ctrl_info(false, ONCS_DSM_WZ, 131072);
	struct udrv_nvme_ns_info ns = ns_info(512, 1024);
	struct ublk_params p;
	struct blk_geom g;

	(void)state;
	assert_int_equal(udrvi_blk_params(&ci, &ns, 0, &p, &g), 0);
	assert_int_equal(p.basic.attrs, 0);
	assert_false(g.vwc);
}

static void params__without_oncs_no_discard_nor_write_zeroes(void **state)
{
	struct udrv_nvme_ctrl_info ci = ctrl_info(true, 0, 131072);
	struct udrv_nvme_ns_info ns = ns_info(512, 1024);
	struct ublk_params p;
	struct blk_geom g;

	(void)state;
	assert_int_equal(udrvi_blk_params(&ci, &ns, 0, &p, &g), 0);
	assert_int_equal(p.types, UBLK_PARAM_TYPE_BASIC);
	ci.oncs = 1u << 3; /* Write Zeroes only */
	assert_int_equal(udrvi_blk_params(&ci, &ns, 0, &p, &g), 0);
	assert_int_equal(p.discard.max_discard_sectors, 0);
	assert_int_equal(p.discard.max_write_zeroes_sectors, 65536);
	assert_int_not_equal(p.discard.discard_granularity, 0); /* the kernel requires it */
}

static void params__max_io_limited_rounded_and_capped(void **state)
{
	struct udrv_nvme_ctrl_info ci = ctrl_info(true, 0, 4u << 20);
	struct udrv_nvme_ns_info ns = ns_info(512, 1024);
	struct ublk_params p;
	struct blk_geom g;

	(void)state;
	assert_int_equal(udrvi_blk_params(&ci, &ns, 0, &p, &g), 0);
	assert_int_equal(g.max_io_bytes, 1u << 20);       /* capped at 1 MiB */
	assert_int_equal(udrvi_blk_params(&ci, &ns, 70000, &p, &g), 0);
	assert_int_equal(g.max_io_bytes, 69632);          /* 17 pages: rounded down to 4 KiB */
	assert_int_equal(p.basic.max_sectors, 136);
	assert_int_equal(udrvi_blk_params(&ci, &ns, 1000, &p, &g), -EOPNOTSUPP);
}

static void params__unservable_namespaces_refused(void **state)
{
	struct udrv_nvme_ctrl_info ci = ctrl_info(true, 0, 131072);
	struct udrv_nvme_ns_info ns = ns_info(8192, 1024);
	struct ublk_params p;
	struct blk_geom g;

	(void)state;
	assert_int_equal(udrvi_blk_params(&ci, &ns, 0, &p, &g), -EOPNOTSUPP);
	ns = ns_info(512, 1024);
	ns.metadata_size = 8;
	assert_int_equal(udrvi_blk_params(&ci, &ns, 0, &p, &g), -EOPNOTSUPP);
	ns = ns_info(512, 0);
	assert_int_equal(udrvi_blk_params(&ci, &ns, 0, &p, &g), -EOPNOTSUPP);
}

static struct blk_geom geom(uint32_t lba, uint64_t blocks, bool vwc)
{
	struct udrv_nvme_ctrl_info ci = ctrl_info(vwc, ONCS_DSM_WZ, 131072);
	struct udrv_nvme_ns_info ns = ns_info(lba, blocks);
	struct ublk_params p;
	struct blk_geom g;

	assert_int_equal(udrvi_blk_params(&ci, &ns, 0, &p, &g), 0);
	return g;
}

static void xlate__read_and_write_in_lbas(void **state)
{
	struct blk_geom g = geom(4096, 1000, true);
	struct blk_cmd c;

	(void)state;
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_READ, 16, 80, &c), 0);
	assert_int_equal(c.op, BLK_OP_READ);
	assert_int_equal(c.lba, 10);
	assert_int_equal(c.nlb, 2);
	assert_int_equal(c.bytes, 8192);
	assert_int_equal(c.io_flags, 0);
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_WRITE | UBLK_IO_F_FUA, 8, 0, &c), 0);
	assert_int_equal(c.op, BLK_OP_WRITE);
	assert_int_equal(c.io_flags, UDRV_NVME_IO_FUA);
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_WRITE, 8, 0, &c), 0);
	assert_int_equal(c.io_flags, 0);
}

static void xlate__flush_sent_with_vwc_completed_without(void **state)
{
	struct blk_geom g = geom(512, 1000, true);
	struct blk_cmd c;

	(void)state;
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_FLUSH, 0, 0, &c), 0);
	assert_int_equal(c.op, BLK_OP_FLUSH);
	g = geom(512, 1000, false);
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_FLUSH, 0, 0, &c), 0);
	assert_int_equal(c.op, BLK_OP_NOP);
}

static void xlate__beyond_the_end_is_an_error_not_a_wrap(void **state)
{
	struct blk_geom g = geom(512, 1000, true);
	struct blk_cmd c;

	(void)state;
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_READ, 8, 992, &c), 0);  /* the last 8 */
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_READ, 8, 993, &c), -EIO);
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_WRITE, 8, 1000, &c), -EIO);
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_WRITE, 8, UINT64_MAX - 3, &c), -EIO);
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_DISCARD, 16, UINT64_MAX - 8, &c), -EIO);
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_WRITE_ZEROES, 2000, 0, &c), -EIO);
}

static void xlate__partial_lbas_and_oversize_refused(void **state)
{
	struct blk_geom g = geom(4096, 1000, true);
	struct blk_cmd c;

	(void)state;
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_READ, 8, 4, &c), -EINVAL);
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_READ, 4, 8, &c), -EINVAL);
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_READ, 0, 8, &c), -EINVAL);
	/* 131072-byte buffers: 256 sectors fit, 264 do not */
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_READ, 256, 0, &c), 0);
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_READ, 264, 0, &c), -EINVAL);
}

static void xlate__discard_write_zeroes_and_unknown_ops(void **state)
{
	struct blk_geom g = geom(512, 1u << 20, true);
	struct blk_cmd c;

	(void)state;
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_DISCARD, 4096, 2048, &c), 0);
	assert_int_equal(c.op, BLK_OP_DISCARD);
	assert_int_equal(c.lba, 2048);
	assert_int_equal(c.nlb, 4096);
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_WRITE_ZEROES | UBLK_IO_F_NOUNMAP, 65536, 0,
					 &c), 0);
	assert_int_equal(c.op, BLK_OP_WRITE_ZEROES);
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_WRITE_ZEROES, 65537, 0, &c), -EINVAL);
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_WRITE_SAME, 8, 0, &c), -EOPNOTSUPP);
	assert_int_equal(udrvi_blk_xlate(&g, 0x22, 8, 0, &c), -EOPNOTSUPP);
	g.dsm = false;
	g.wz = false;
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_DISCARD, 8, 0, &c), -EOPNOTSUPP);
	assert_int_equal(udrvi_blk_xlate(&g, UBLK_IO_OP_WRITE_ZEROES, 8, 0, &c), -EOPNOTSUPP);
}

static void result__bytes_zero_or_errno(void **state)
{
	struct blk_cmd rd = { .op = BLK_OP_READ, .bytes = 4096 };
	struct blk_cmd fl = { .op = BLK_OP_FLUSH };

	(void)state;
	assert_int_equal(udrvi_blk_result(&rd, 0), 4096);
	assert_int_equal(udrvi_blk_result(&fl, 0), 0);
	assert_int_equal(udrvi_blk_result(&rd, 0x0281), -ENODATA);  /* unrecovered read error */
	assert_int_equal(udrvi_blk_result(&fl, 0x0001), -EOPNOTSUPP); /* invalid opcode */
	assert_int_equal(udrvi_blk_result(&rd, UDRV_NVME_STATUS_ABORTED), -EIO);
	assert_int_equal(udrvi_blk_result(&rd, 0x0080), -EIO);      /* LBA out of range */
}

/* --- translated requests against the controller model ------------------ */
struct done {
	int calls;
	int res;
	const struct blk_cmd *c;
};

static void done_cb(void *arg, const struct udrv_nvme_cpl *cpl)
{
	struct done *d = arg;

	d->calls++;
	d->res = udrvi_blk_result(d->c, cpl->status);
}

static int run(struct nt *t, const struct blk_geom *g, uint32_t op_flags, uint32_t sectors,
	       uint64_t start, void *buf)
{
	struct blk_cmd c;
	struct done d = { .c = &c };
	int rc = udrvi_blk_xlate(g, op_flags, sectors, start, &c);

	if (rc < 0)
		return rc;
	if (c.op == BLK_OP_NOP)
		return 0;
	assert_int_equal(udrvi_blk_submit(t->qp, g, &c, buf, done_cb, &d), 0);
	nt_wait(t->qp, &d.calls, 1, 5000);
	assert_int_equal(d.calls, 1);
	return d.res;
}

static void model__write_read_flush_zeroes_discard(void **state)
{
	struct udrv_nvme_model_opts mo = { .size = sizeof(mo), .lba_size = 512, .blocks = 4096 };
	struct udrv_nvme_ctrl_info ci;
	struct udrv_nvme_ns_info ns;
	struct ublk_params p;
	struct blk_geom g;
	uint8_t *w, *r;
	struct nt t;
	unsigned i;

	(void)state;
	nt_open(&t, &mo, NULL, NULL);
	assert_int_equal(udrv_nvme_ctrl_info(t.ctrl, &ci), 0);
	assert_int_equal(udrv_nvme_ns_find(t.ctrl, 1, &ns), 0);
	assert_int_equal(udrvi_blk_params(&ci, &ns, 0, &p, &g), 0);
	assert_true(g.vwc && g.dsm && g.wz);
	w = nt_dma(g.max_io_bytes);
	r = nt_dma(g.max_io_bytes);
	for (i = 0; i < 16384; i++)
		w[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(run(&t, &g, UBLK_IO_OP_WRITE | UBLK_IO_F_FUA, 32, 100, w), 16384);
	assert_int_equal(run(&t, &g, UBLK_IO_OP_FLUSH, 0, 0, NULL), 0);
	assert_int_equal(run(&t, &g, UBLK_IO_OP_READ, 32, 100, r), 16384);
	assert_memory_equal(w, r, 16384);
	/* write zeroes over the middle 8 sectors */
	assert_int_equal(run(&t, &g, UBLK_IO_OP_WRITE_ZEROES, 8, 108, NULL), 0);
	assert_int_equal(run(&t, &g, UBLK_IO_OP_READ, 32, 100, r), 16384);
	assert_memory_equal(w, r, 4096);
	for (i = 4096; i < 8192; i++)
		assert_int_equal(r[i], 0);
	assert_memory_equal(w + 8192, r + 8192, 8192);
	assert_int_equal(run(&t, &g, UBLK_IO_OP_DISCARD, 8, 100, NULL), 0);
	/* beyond the end: refused before reaching the controller */
	assert_int_equal(run(&t, &g, UBLK_IO_OP_READ, 8, 4092, r), -EIO);
	assert_int_equal(run(&t, &g, UBLK_IO_OP_READ, 4, 4092, r), 2048);
	udrv_dma_free(w);
	udrv_dma_free(r);
	nt_close(&t);
}

/* opts.nap_us is range-checked before anything else; a caller built before
 * the field (opts.size ending at cookie) is accepted and gets 0. */
static void opts__nap_us_checked_and_optional(void **state)
{
	struct udrv_nvme_model_opts mo = { .size = sizeof(mo), .lba_size = 512, .blocks = 4096 };
	struct udrv_blk_opts o = { .size = sizeof(o), .nsid = 1, .dev_id = -1, .nap_us = 10001 };
	struct udrv_blk_dev *bd = NULL;
	struct nt t;
	int rc;

	(void)state;
	nt_open(&t, &mo, NULL, NULL);
	assert_int_equal(udrv_blk_create(t.ctrl, &o, &bd), -EINVAL);
	assert_non_null(strstr(udrv_last_error(), "nap_us 10001: at most 10000"));
	assert_int_equal(udrv_blk_recover(t.ctrl, 0, &o, &bd), -EINVAL);
	o.size = offsetof(struct udrv_blk_opts, nap_us);
	rc = udrv_blk_create(t.ctrl, &o, &bd); /* no ublk on the host: -ENOENT */
	assert_int_not_equal(rc, -EINVAL);
	if (rc == 0)
		udrv_blk_destroy(bd);
	o.size = offsetof(struct udrv_blk_opts, cookie);
	assert_int_equal(udrv_blk_create(t.ctrl, &o, &bd), -EINVAL);
	nt_close(&t);
}

static void model__error_status_becomes_eio(void **state)
{
	struct udrv_nvme_model_opts mo = { .size = sizeof(mo), .lba_size = 512, .blocks = 4096 };
	struct udrv_nvme_model_fault f = { .size = sizeof(f), .kind = UDRV_NVME_MODEL_FAULT_STATUS,
					   .sqid = UDRV_NVME_MODEL_ANY_IOQ, .opcode = -1,
					   .status = 0x0281 };
	struct udrv_nvme_ctrl_info ci;
	struct udrv_nvme_ns_info ns;
	struct ublk_params p;
	struct blk_geom g;
	struct nt t;
	void *b;

	(void)state;
	nt_open(&t, &mo, NULL, NULL);
	assert_int_equal(udrv_nvme_ctrl_info(t.ctrl, &ci), 0);
	assert_int_equal(udrv_nvme_ns_find(t.ctrl, 1, &ns), 0);
	assert_int_equal(udrvi_blk_params(&ci, &ns, 0, &p, &g), 0);
	b = nt_dma(4096);
	assert_int_equal(udrv_nvme_model_inject(t.model, &f), 0);
	assert_int_equal(run(&t, &g, UBLK_IO_OP_READ, 8, 0, b), -ENODATA);
	f.status = 0x0006; /* internal error */
	assert_int_equal(udrv_nvme_model_inject(t.model, &f), 0);
	assert_int_equal(run(&t, &g, UBLK_IO_OP_WRITE, 8, 0, b), -EIO);
	assert_int_equal(run(&t, &g, UBLK_IO_OP_WRITE, 8, 0, b), 4096);
	udrv_dma_free(b);
	nt_close(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(params__512_byte_lbas_with_cache_discard_and_zeroes),
		cmocka_unit_test(params__4k_lbas_scale_sectors),
		cmocka_unit_test(params__no_vwc_advertises_no_cache_nor_fua),
		cmocka_unit_test(params__without_oncs_no_discard_nor_write_zeroes),
		cmocka_unit_test(params__max_io_limited_rounded_and_capped),
		cmocka_unit_test(params__unservable_namespaces_refused),
		cmocka_unit_test(xlate__read_and_write_in_lbas),
		cmocka_unit_test(xlate__flush_sent_with_vwc_completed_without),
		cmocka_unit_test(xlate__beyond_the_end_is_an_error_not_a_wrap),
		cmocka_unit_test(xlate__partial_lbas_and_oversize_refused),
		cmocka_unit_test(xlate__discard_write_zeroes_and_unknown_ops),
		cmocka_unit_test(result__bytes_zero_or_errno),
		cmocka_unit_test(model__write_read_flush_zeroes_discard),
		cmocka_unit_test(model__error_status_becomes_eio),
		cmocka_unit_test(opts__nap_us_checked_and_optional),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
