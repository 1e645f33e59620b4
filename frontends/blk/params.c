/* SPDX-License-Identifier: MIT */
/*
 * ublk device parameters from an NVMe controller and namespace (pure).
 *
 * - logical = physical block size = the namespace's LBA size (ublk accepts
 *   512 B .. PAGE_SIZE, so namespaces formatted with larger LBAs are refused);
 * - max_sectors from the controller's transfer limit (MDTS, capped by the
 *   driver at 1 MiB): one ublk request is one NVMe command, never split;
 * - a volatile write cache (and FUA) is advertised only when Identify
 *   Controller VWC says there is one, so the kernel sends FLUSH exactly when
 *   it reaches a cache (NVMe base spec 5.15.2.2, VWC);
 * - discard when ONCS has Dataset Management, write zeroes when ONCS has
 *   Write Zeroes (NLB is 16 bits: 65536 LBAs per command). Without Write
 *   Zeroes the kernel's blkdev_issue_zeroout() falls back to writing zero
 *   pages, which reach us as ordinary writes.
 */
#include <errno.h>
#include <string.h>

#include "blk_priv.h"

#define ONCS_DSM (1u << 2)
#define ONCS_WRITE_ZEROES (1u << 3)
#define MAX_WZ_BLOCKS 65536u

static unsigned ilog2_u32(uint32_t v)
{
	unsigned s = 0;

	while (v > 1) {
		v >>= 1;
		s++;
	}
	return s;
}

int udrvi_blk_params(const struct udrv_nvme_ctrl_info *ci, const struct udrv_nvme_ns_info *ns,
		     uint32_t max_io_req, struct ublk_params *p, struct blk_geom *g)
{
	uint32_t max_io = ci->max_xfer_bytes;
	unsigned shift, sps;
	uint64_t v;

	memset(p, 0, sizeof(*p));
	memset(g, 0, sizeof(*g));
	if (ns->lba_size < 512 || ns->lba_size > 4096 || (ns->lba_size & (ns->lba_size - 1))) {
		udrv_log(UDRV_LOG_ERROR, NULL, "namespace %u has %u-byte LBAs: ublk serves 512 to "
			 "4096-byte blocks; format it with another LBA size (nvme format --lbaf)",
			 ns->nsid, ns->lba_size);
		return -EOPNOTSUPP;
	}
	if (ns->metadata_size) {
		udrv_log(UDRV_LOG_ERROR, NULL, "namespace %u has %u bytes of metadata per LBA, "
			 "which udrv does not transfer; format it without metadata", ns->nsid,
			 ns->metadata_size);
		return -EOPNOTSUPP;
	}
	shift = ilog2_u32(ns->lba_size);
	sps = shift - 9; /* log2 of sectors per LBA */
	if (max_io_req && max_io_req < max_io)
		max_io = max_io_req;
	if (max_io == 0 || max_io > (1u << 20))
		max_io = 1u << 20;
	max_io &= ~4095u;
	if (max_io < 4096 || max_io < ns->lba_size) {
		udrv_log(UDRV_LOG_ERROR, NULL, "namespace %u: a transfer limit of %u bytes is below "
			 "one 4 KiB page", ns->nsid, max_io);
		return -EOPNOTSUPP;
	}
	if (ns->blocks == 0 || ns->blocks > (UINT64_MAX >> 10)) {
		udrv_log(UDRV_LOG_ERROR, NULL, "namespace %u: size of %llu blocks cannot be served",
			 ns->nsid, (unsigned long long)ns->blocks);
		return -EOPNOTSUPP;
	}

	g->nsid = ns->nsid;
	g->lba_shift = shift;
	g->blocks = ns->blocks;
	g->dev_sectors = ns->blocks << sps;
	g->max_io_bytes = max_io;
	g->vwc = ci->vwc;
	g->dsm = ci->oncs & ONCS_DSM;
	g->wz = ci->oncs & ONCS_WRITE_ZEROES;
	g->max_wz_blocks = MAX_WZ_BLOCKS;

	p->len = sizeof(*p);
	p->types = UBLK_PARAM_TYPE_BASIC;
	p->basic.attrs = g->vwc ? (UBLK_ATTR_VOLATILE_CACHE | UBLK_ATTR_FUA) : 0;
	p->basic.logical_bs_shift = (uint8_t)shift;
	p->basic.physical_bs_shift = (uint8_t)shift;
	p->basic.io_min_shift = (uint8_t)shift;
	p->basic.io_opt_shift = (uint8_t)shift;
	p->basic.max_sectors = max_io >> 9;
	p->basic.dev_sectors = g->dev_sectors;
	if (g->dsm || g->wz) {
		p->types |= UBLK_PARAM_TYPE_DISCARD;
		p->discard.discard_granularity = ns->lba_size;
		/* ublk takes one discard range per request (6.12). */
		p->discard.max_discard_segments = 1;
		if (g->dsm) {
			/* A DSM range holds a 32-bit NLB; the block layer's limit is
			 * 32-bit sectors: take the smaller, in whole LBAs. */
			v = ((uint64_t)UINT32_MAX << sps);
			if (v > UINT32_MAX)
				v = UINT32_MAX;
			p->discard.max_discard_sectors = (uint32_t)(v >> sps << sps);
		}
		if (g->wz)
			p->discard.max_write_zeroes_sectors = MAX_WZ_BLOCKS << sps;
	}
	return 0;
}
