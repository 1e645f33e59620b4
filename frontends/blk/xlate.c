/* SPDX-License-Identifier: MIT */
/*
 * ublk requests to NVMe commands and NVMe completions to ublk results.
 *
 * The descriptor comes from memory the kernel writes; it is checked like any
 * device-written value: the range must lie inside the namespace (an overflow
 * cannot wrap it back in), be whole LBAs and fit the request's buffer.
 */
#include <errno.h>
#include <string.h>

#include "blk_priv.h"

int udrvi_blk_xlate(const struct blk_geom *g, uint32_t op_flags, uint32_t nr_sectors,
		    uint64_t start_sector, struct blk_cmd *c)
{
	uint32_t op = op_flags & 0xff;
	uint32_t sps_mask = (1u << (g->lba_shift - 9)) - 1;
	uint64_t nlb;

	memset(c, 0, sizeof(*c));
	c->ublk_op = (uint8_t)op;
	if (op == UBLK_IO_OP_FLUSH) {
		/* Without a volatile write cache there is nothing to flush (and
		 * the device did not advertise one); with one, never drop it. */
		c->op = g->vwc ? BLK_OP_FLUSH : BLK_OP_NOP;
		return 0;
	}
	switch (op) {
	case UBLK_IO_OP_READ: c->op = BLK_OP_READ; break;
	case UBLK_IO_OP_WRITE: c->op = BLK_OP_WRITE; break;
	case UBLK_IO_OP_DISCARD:
		if (!g->dsm)
			return -EOPNOTSUPP;
		c->op = BLK_OP_DISCARD;
		break;
	case UBLK_IO_OP_WRITE_ZEROES:
		if (!g->wz)
			return -EOPNOTSUPP;
		c->op = BLK_OP_WRITE_ZEROES;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (nr_sectors == 0 || (nr_sectors & sps_mask) || (start_sector & sps_mask))
		return -EINVAL;
	if (start_sector >= g->dev_sectors || nr_sectors > g->dev_sectors - start_sector)
		return -EIO;
	nlb = nr_sectors >> (g->lba_shift - 9);
	c->lba = start_sector >> (g->lba_shift - 9);
	switch (c->op) {
	case BLK_OP_READ:
	case BLK_OP_WRITE:
		if ((uint64_t)nr_sectors << 9 > g->max_io_bytes)
			return -EINVAL;
		c->bytes = nr_sectors << 9;
		if (c->op == BLK_OP_WRITE && (op_flags & UBLK_IO_F_FUA))
			c->io_flags = UDRV_NVME_IO_FUA;
		break;
	case BLK_OP_DISCARD:
		if (nlb > UINT32_MAX)
			return -EINVAL;
		break;
	default: /* write zeroes */
		if (nlb > g->max_wz_blocks)
			return -EINVAL;
		break;
	}
	c->nlb = (uint32_t)nlb;
	return 0;
}

int udrvi_blk_submit(struct udrv_nvme_qpair *qp, const struct blk_geom *g,
		     const struct blk_cmd *c, void *buf, udrv_nvme_cb cb, void *arg)
{
	struct udrv_nvme_range r;

	switch (c->op) {
	case BLK_OP_READ:
		return udrv_nvme_read(qp, g->nsid, buf, c->lba, c->nlb, 0, cb, arg);
	case BLK_OP_WRITE:
		return udrv_nvme_write(qp, g->nsid, buf, c->lba, c->nlb, c->io_flags, cb, arg);
	case BLK_OP_FLUSH:
		return udrv_nvme_flush(qp, g->nsid, cb, arg);
	case BLK_OP_DISCARD:
		r.lba = c->lba;
		r.nlb = c->nlb;
		return udrv_nvme_deallocate(qp, g->nsid, &r, 1, cb, arg);
	case BLK_OP_WRITE_ZEROES:
		return udrv_nvme_write_zeroes(qp, g->nsid, c->lba, c->nlb, 0, cb, arg);
	default:
		return -EINVAL;
	}
}

int udrvi_blk_result(const struct blk_cmd *c, uint16_t status)
{
	if (UDRV_NVME_STATUS_OK(status))
		return (c->op == BLK_OP_READ || c->op == BLK_OP_WRITE) ? (int)c->bytes : 0;
	/* The block layer turns these into its statuses (errno_to_blk_status):
	 * media errors (SCT 2) are BLK_STS_MEDIUM as in the kernel's nvme
	 * driver, Invalid Opcode is "not supported", the rest is EIO. */
	if (UDRV_NVME_SCT(status) == 2)
		return -ENODATA;
	if (UDRV_NVME_SCT(status) == 0 && UDRV_NVME_SC(status) == 0x01)
		return -EOPNOTSUPP;
	return -EIO;
}
