/* SPDX-License-Identifier: MIT */
/*
 * NVMe controller model: admin and NVM command execution, and data transfer
 * through PRPs (base spec 4.3) and SGLs (4.4). Every address the driver gave
 * is an IOVA, reached through udrv_model_dma only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <udrv/mmio.h>

#include "model_priv.h"

/* One page-bounded piece of a transfer. */
static uint16_t xfer_piece(struct udrv_nvme_model *m, uint64_t iova, uint8_t **buf, size_t n,
			   bool to_host)
{
	uint8_t *p = udrv_model_dma(m->dev, iova, n);

	if (!p)
		return NM_SC_DATA_XFER;
	if (to_host)
		memcpy(p, *buf, n);
	else
		memcpy(*buf, p, n);
	*buf += n;
	return 0;
}

static uint16_t xfer_prp(struct udrv_nvme_model *m, const struct nvme_sqe *sqe, uint8_t *buf,
			 size_t len, bool to_host)
{
	uint64_t prp1 = sqe->prp1, list;
	size_t n = NVME_PAGE_SIZE - (prp1 & (NVME_PAGE_SIZE - 1));
	uint16_t st;

	if (prp1 & 3)
		return NM_SC_INVALID_PRP;
	if (n > len)
		n = len;
	st = xfer_piece(m, prp1, &buf, n, to_host);
	if (st)
		return st;
	len -= n;
	if (!len)
		return 0;
	if (len <= NVME_PAGE_SIZE) {
		if (sqe->prp2 & (NVME_PAGE_SIZE - 1))
			return NM_SC_INVALID_PRP;
		return xfer_piece(m, sqe->prp2, &buf, len, to_host);
	}
	list = sqe->prp2;
	if (list & 7)
		return NM_SC_INVALID_PRP;
	while (len) {
		const uint64_t *e = udrv_model_dma(m->dev, list, 8);
		uint64_t page;

		if (!e)
			return NM_SC_DATA_XFER;
		page = *e;
		/* The last entry of a list page points to the next list (4.3). */
		if ((list & (NVME_PAGE_SIZE - 1)) == NVME_PAGE_SIZE - 8 && len > NVME_PAGE_SIZE) {
			if (page & 7)
				return NM_SC_INVALID_PRP;
			list = page;
			continue;
		}
		if (page & (NVME_PAGE_SIZE - 1))
			return NM_SC_INVALID_PRP;
		n = len < NVME_PAGE_SIZE ? len : NVME_PAGE_SIZE;
		st = xfer_piece(m, page, &buf, n, to_host);
		if (st)
			return st;
		len -= n;
		list += 8;
	}
	return 0;
}

static uint16_t xfer_block(struct udrv_nvme_model *m, uint64_t addr, uint32_t dlen,
			   uint8_t **buf, size_t *len, bool to_host)
{
	while (dlen && *len) {
		size_t n = NVME_PAGE_SIZE - (addr & (NVME_PAGE_SIZE - 1));
		uint16_t st;

		if (n > dlen)
			n = dlen;
		if (n > *len)
			n = *len;
		st = xfer_piece(m, addr, buf, n, to_host);
		if (st)
			return st;
		addr += n;
		dlen -= (uint32_t)n;
		*len -= n;
	}
	return 0;
}

static uint16_t xfer_sgl(struct udrv_nvme_model *m, const struct nvme_sqe *sqe, uint8_t *buf,
			 size_t len, bool to_host)
{
	struct nvme_sgl_desc d;
	unsigned hops = 0;

	memcpy(&d, &sqe->prp1, sizeof(d));
	for (;;) {
		uint8_t type = d.type >> 4;
		const struct nvme_sgl_desc *seg;
		uint32_t n, i;

		if (type == NVME_SGL_TYPE_DATA_BLOCK) {
			uint16_t st = xfer_block(m, d.addr, d.len, &buf, &len, to_host);

			return st ? st : len ? NM_SC_INVALID_SGL : 0;
		}
		if ((type != NVME_SGL_TYPE_SEGMENT && type != NVME_SGL_TYPE_LAST_SEGMENT) ||
		    d.len == 0 || d.len % 16 || ++hops > 64)
			return NM_SC_INVALID_SGL;
		n = d.len / 16;
		seg = udrv_model_dma(m->dev, d.addr, d.len);
		if (!seg)
			return NM_SC_DATA_XFER;
		for (i = 0; i < n; i++) {
			struct nvme_sgl_desc e = seg[i];
			uint8_t et = e.type >> 4;

			if (et == NVME_SGL_TYPE_DATA_BLOCK) {
				uint16_t st = xfer_block(m, e.addr, e.len, &buf, &len, to_host);

				if (st)
					return st;
				continue;
			}
			/* Only the last descriptor of a (non-last) segment may chain. */
			if (i != n - 1 || type == NVME_SGL_TYPE_LAST_SEGMENT)
				return NM_SC_INVALID_SGL;
			d = e;
			break;
		}
		if (i == n)
			return len ? NM_SC_INVALID_SGL : 0;
	}
}

uint16_t udrvi_nm_xfer(struct udrv_nvme_model *m, const struct nvme_sqe *sqe, void *buf,
		       size_t len, bool to_host)
{
	unsigned psdt = NVME_GET(SQE_PSDT, sqe->flags);

	if (psdt == NVME_PSDT_PRP)
		return xfer_prp(m, sqe, buf, len, to_host);
	if (psdt == NVME_PSDT_SGL_MPTR_CONTIG && !(m->o.flags & UDRV_NVME_MODEL_NO_SGL))
		return xfer_sgl(m, sqe, buf, len, to_host);
	return NM_SC_INVALID_FIELD;
}

static void pad(uint8_t *dst, const char *s, size_t n)
{
	size_t l = strlen(s);

	memset(dst, ' ', n);
	memcpy(dst, s, l < n ? l : n);
}

static struct nm_result identify(struct udrv_nvme_model *m, const struct nvme_sqe *sqe)
{
	struct nm_result r = { 0 };
	uint8_t *id = calloc(1, NVME_PAGE_SIZE);
	uint8_t cns = sqe->cdw10 & 0xff;

	if (!id) {
		r.status = NM_SC(0, 0x06);
		return r;
	}
	if (cns == NVME_CNS_CTRL) {
		nvme_put16(id + NVME_IDC_VID, 0x1b36);
		nvme_put16(id + NVME_IDC_SSVID, 0x1af4);
		pad(id + NVME_IDC_SN, m->serial, 20);
		pad(id + NVME_IDC_MN, "udrv NVMe controller model", 40);
		pad(id + NVME_IDC_FR, "1.0", 8);
		id[NVME_IDC_MDTS] = (m->o.flags & UDRV_NVME_MODEL_NO_MDTS) ? 0 : m->o.mdts;
		nvme_put16(id + NVME_IDC_CNTLID, 1);
		nvme_put32(id + NVME_IDC_VER, NVME_VS(1, 4));
		nvme_put16(id + NVME_IDC_OACS, (m->o.flags & UDRV_NVME_MODEL_NO_SHADOW_DB) ?
							0 : NVME_OACS_DBBUF);
		id[NVME_IDC_ACL] = 3;
		id[NVME_IDC_ELPE] = NM_ERRLOG - 1;
		id[NVME_IDC_SQES] = 0x66;
		id[NVME_IDC_CQES] = 0x44;
		nvme_put32(id + NVME_IDC_NN, m->o.namespaces);
		nvme_put16(id + NVME_IDC_ONCS, NVME_ONCS_COMPARE | NVME_ONCS_DSM |
						       NVME_ONCS_WRITE_ZEROES);
		id[NVME_IDC_VWC] = 1;
		nvme_put32(id + NVME_IDC_SGLS, (m->o.flags & UDRV_NVME_MODEL_NO_SGL) ? 0 : 1);
	} else if (cns == NVME_CNS_NS) {
		if (sqe->nsid == 0 || sqe->nsid > m->o.namespaces) {
			r.status = NM_SC_INVALID_NS;
			goto out;
		}
		nvme_put64(id + NVME_IDN_NSZE, m->o.blocks);
		nvme_put64(id + NVME_IDN_NCAP, m->o.blocks);
		nvme_put64(id + NVME_IDN_NUSE, m->o.blocks);
		id[NVME_IDN_NLBAF] = 0;
		id[NVME_IDN_FLBAS] = 0;
		nvme_put32(id + NVME_IDN_LBAF, (uint32_t)NVME_SET(LBAF_LBADS, m->lba_shift));
	} else if (cns == NVME_CNS_ACTIVE_NS_LIST) {
		uint32_t n = 0;

		for (uint64_t nsid = (uint64_t)sqe->nsid + 1; nsid <= m->o.namespaces && n < 1024; nsid++)
			nvme_put32(id + 4 * n++, (uint32_t)nsid);
	} else {
		r.status = NM_SC_INVALID_FIELD;
		goto out;
	}
	udrvi_nm_patch(m, id, NVME_PAGE_SIZE);
	udrvi_model_tamper(m->dev, UDRVI_MODEL_NVME_IDENTIFY, id, NVME_PAGE_SIZE);
	r.status = udrvi_nm_xfer(m, sqe, id, NVME_PAGE_SIZE, true);
out:
	free(id);
	return r;
}

void udrvi_nm_patch(struct udrv_nvme_model *m, uint8_t *data, size_t len)
{
	if (m->patch.kind == UDRV_NVME_MODEL_FAULT_PATCH_DATA && m->patch.offset + 4u <= len)
		nvme_put32(data + m->patch.offset, m->patch.value);
}

static struct nm_result create_queue(struct udrv_nvme_model *m, const struct nvme_sqe *sqe,
				     bool is_cq)
{
	struct nm_result r = { 0 };
	uint16_t qid = sqe->cdw10 & 0xffff;
	uint32_t size = (sqe->cdw10 >> 16) + 1u;

	if (qid == 0 || qid > m->nq || qid > m->granted ||
	    (is_cq ? m->cq[qid].valid : m->sq[qid].valid)) {
		r.status = NM_SC_INVALID_QID;
		return r;
	}
	if (size < 2 || size > m->o.max_queue_entries) {
		r.status = NM_SC_INVALID_QSIZE;
		return r;
	}
	if (!(sqe->cdw11 & NVME_QUEUE_PC) || (sqe->prp1 & (NVME_PAGE_SIZE - 1))) {
		r.status = NM_SC_INVALID_FIELD;
		return r;
	}
	/* A new queue is empty, its head and tail 0, whatever the host last
	 * wrote to the doorbell of an earlier queue with this id: the model
	 * keeps a doorbell's value in the BAR register, so clear it. */
	if (is_cq) {
		m->cq[qid] = (struct nm_cq){ .valid = true, .iova = sqe->prp1, .size = (uint16_t)size,
					     .phase = 1 };
		udrv_mmio_write32(m->bar, nvme_cq_db_off(qid, 0), 0);
	} else {
		uint16_t cqid = (uint16_t)(sqe->cdw11 >> 16);

		if (cqid == 0 || cqid > m->nq || !m->cq[cqid].valid) {
			r.status = NM_SC_CQ_INVALID;
			return r;
		}
		m->sq[qid] = (struct nm_sq){ .valid = true, .iova = sqe->prp1, .size = (uint16_t)size,
					     .cqid = cqid };
		udrv_mmio_write32(m->bar, nvme_sq_db_off(qid, 0),
				  m->dbbuf && (m->o.flags & UDRV_NVME_MODEL_LAZY_SHADOW_DB) ?
				  NM_DB_IDLE : 0);
	}
	return r;
}

static struct nm_result delete_queue(struct udrv_nvme_model *m, const struct nvme_sqe *sqe,
				     bool is_cq)
{
	struct nm_result r = { 0 };
	uint16_t qid = sqe->cdw10 & 0xffff;

	if (qid == 0 || qid > m->nq || !(is_cq ? m->cq[qid].valid : m->sq[qid].valid)) {
		r.status = NM_SC_INVALID_QID;
		return r;
	}
	if (is_cq) {
		for (uint32_t q = 1; q <= m->nq; q++) {
			if (m->sq[q].valid && m->sq[q].cqid == qid) {
				r.status = NM_SC_INVALID_DELETE;
				return r;
			}
		}
		m->cq[qid].valid = false;
		return r;
	}
	m->sq[qid].valid = false;
	for (unsigned i = 0; i < NM_MAX_PENDING; i++) {
		if (m->pend[i].used && m->pend[i].sqid == qid) {
			m->pend[i].used = false;
			m->npend--;
		}
	}
	return r;
}

static void put128(uint8_t *p, uint64_t v)
{
	memset(p, 0, 16);
	nvme_put64(p, v);
}

static struct nm_result get_log(struct udrv_nvme_model *m, const struct nvme_sqe *sqe)
{
	struct nm_result r = { 0 };
	uint8_t lid = sqe->cdw10 & 0xff;
	size_t len = ((size_t)((sqe->cdw10 >> 16) | (sqe->cdw11 & 0xffff) << 16) + 1u) * 4u;
	uint8_t page[NM_ERRLOG * sizeof(struct nvme_error_log)];
	size_t have;

	memset(page, 0, sizeof(page));
	if (lid == NVME_LOG_SMART) {
		struct nvme_smart_log *s = (struct nvme_smart_log *)page;

		nvme_put16(s->temperature, 273 + 35);
		s->avail_spare = 100;
		s->spare_thresh = 10;
		put128(s->data_units_read, m->units_read / 1000);
		put128(s->data_units_written, m->units_written / 1000);
		put128(s->host_reads, m->host_reads);
		put128(s->host_writes, m->host_writes);
		put128(s->power_cycles, 1);
		put128(s->num_err_log_entries, m->err_count);
		have = sizeof(*s);
	} else if (lid == NVME_LOG_ERROR) {
		struct nvme_error_log *e = (struct nvme_error_log *)page;
		unsigned n = m->err_count < NM_ERRLOG ? (unsigned)m->err_count : NM_ERRLOG;

		/* Newest first. */
		for (unsigned i = 0; i < n; i++)
			e[i] = m->errlog[(m->err_count - 1 - i) % NM_ERRLOG];
		have = sizeof(page);
	} else {
		r.status = NM_SC(1, 0x09); /* Invalid Log Page */
		return r;
	}
	if (len > NVME_PAGE_SIZE * 4) {
		r.status = NM_SC_INVALID_FIELD;
		return r;
	}
	{
		uint8_t *out = calloc(1, len);

		if (!out) {
			r.status = NM_SC(0, 0x06);
			return r;
		}
		memcpy(out, page, len < have ? len : have);
		udrvi_nm_patch(m, out, len);
		udrvi_model_tamper(m->dev, UDRVI_MODEL_NVME_LOG, out, len);
		r.status = udrvi_nm_xfer(m, sqe, out, len, true);
		free(out);
	}
	return r;
}

static struct nm_result abort_cmd(struct udrv_nvme_model *m, const struct nvme_sqe *sqe)
{
	struct nm_result r = { .dw0 = 1 }; /* not aborted */
	uint16_t sqid = sqe->cdw10 & 0xffff, cid = (uint16_t)(sqe->cdw10 >> 16);

	for (unsigned i = 0; i < NM_MAX_PENDING; i++) {
		struct nm_pending *p = &m->pend[i];

		if (!p->used || p->sqid != sqid || p->cqe.cid != cid)
			continue;
		p->cqe.status = (uint16_t)(NM_SC_ABORT_REQ << 1);
		p->cqe.dw0 = 0;
		udrvi_nm_post(m, p->sqid, p->cqid, p->cqe, 0);
		p->used = false;
		m->npend--;
		r.dw0 = 0;
		break;
	}
	return r;
}

struct nm_result udrvi_nm_admin(struct udrv_nvme_model *m, const struct nvme_sqe *sqe)
{
	struct nm_result r = { 0 };

	switch (sqe->opcode) {
	case NVME_ADM_IDENTIFY:
		return identify(m, sqe);
	case NVME_ADM_CREATE_CQ:
		return create_queue(m, sqe, true);
	case NVME_ADM_CREATE_SQ:
		return create_queue(m, sqe, false);
	case NVME_ADM_DELETE_CQ:
		return delete_queue(m, sqe, true);
	case NVME_ADM_DELETE_SQ:
		return delete_queue(m, sqe, false);
	case NVME_ADM_GET_LOG_PAGE:
		return get_log(m, sqe);
	case NVME_ADM_ABORT:
		return abort_cmd(m, sqe);
	case NVME_ADM_SET_FEATURES:
	case NVME_ADM_GET_FEATURES:
		if ((sqe->cdw10 & 0xff) != NVME_FEAT_NUM_QUEUES) {
			r.status = NM_SC_INVALID_FIELD;
			return r;
		}
		if (sqe->opcode == NVME_ADM_SET_FEATURES) {
			uint32_t nsq = (sqe->cdw11 & 0xffff) + 1u, ncq = (sqe->cdw11 >> 16) + 1u;
			uint32_t g = nsq < ncq ? nsq : ncq;

			m->granted = g < m->nq ? g : m->nq;
		}
		r.dw0 = (m->granted - 1u) | (m->granted - 1u) << 16;
		return r;
	case NVME_ADM_DBBUF_CONFIG:
		if (m->o.flags & UDRV_NVME_MODEL_NO_SHADOW_DB) {
			r.status = NM_SC_INVALID_OPCODE;
			return r;
		}
		if (!sqe->prp1 || !sqe->prp2 || ((sqe->prp1 | sqe->prp2) & (NVME_PAGE_SIZE - 1))) {
			r.status = NM_SC_INVALID_FIELD;
			return r;
		}
		m->dbbuf_iova = sqe->prp1;
		m->eibuf_iova = sqe->prp2;
		m->dbbuf = true;
		return r;
	default:
		r.status = NM_SC_INVALID_OPCODE;
		return r;
	}
}

struct nm_result udrvi_nm_io(struct udrv_nvme_model *m, const struct nvme_sqe *sqe)
{
	struct nm_result r = { 0 };
	uint64_t slba = (uint64_t)sqe->cdw11 << 32 | sqe->cdw10;
	uint32_t nlb = (sqe->cdw12 & 0xffff) + 1u;
	uint8_t *data;
	size_t len, off;
	bool null = m->o.flags & UDRV_NVME_MODEL_NULL;

	if (sqe->nsid == 0 || sqe->nsid > m->o.namespaces) {
		r.status = sqe->opcode == NVME_CMD_FLUSH && sqe->nsid == 0xffffffffu ?
				   0 : NM_SC_INVALID_NS;
		return r;
	}
	data = m->ns_data[sqe->nsid - 1];
	len = (size_t)nlb << m->lba_shift;
	off = (size_t)slba << m->lba_shift;
	switch (sqe->opcode) {
	case NVME_CMD_FLUSH:
		return r;
	case NVME_CMD_READ:
	case NVME_CMD_WRITE:
	case NVME_CMD_COMPARE:
	case NVME_CMD_WRITE_ZEROES:
		if (slba >= m->o.blocks || nlb > m->o.blocks - slba) {
			r.status = NM_SC_LBA_RANGE;
			return r;
		}
		if (sqe->opcode != NVME_CMD_WRITE_ZEROES && !(m->o.flags & UDRV_NVME_MODEL_NO_MDTS) &&
		    len > ((size_t)NVME_PAGE_SIZE << m->o.mdts)) {
			r.status = NM_SC_INVALID_FIELD;
			return r;
		}
		break;
	case NVME_CMD_DSM: {
		uint32_t nr = (sqe->cdw10 & 0xff) + 1u;
		struct nvme_dsm_range rg[256];

		r.status = udrvi_nm_xfer(m, sqe, rg, nr * sizeof(rg[0]), false);
		if (r.status)
			return r;
		for (uint32_t i = 0; i < nr; i++) {
			if (rg[i].slba >= m->o.blocks || rg[i].nlb > m->o.blocks - rg[i].slba) {
				r.status = NM_SC_LBA_RANGE;
				return r;
			}
		}
		/* Deallocated blocks read back as zeroes here (DLFEAT-like). */
		if ((sqe->cdw11 & NVME_DSM_AD) && data)
			for (uint32_t i = 0; i < nr; i++)
				memset(data + (rg[i].slba << m->lba_shift), 0,
				       (size_t)rg[i].nlb << m->lba_shift);
		return r;
	}
	default:
		r.status = NM_SC_INVALID_OPCODE;
		return r;
	}
	switch (sqe->opcode) {
	case NVME_CMD_READ:
		m->host_reads++;
		m->units_read += len >> 9;
		if (!null)
			r.status = udrvi_nm_xfer(m, sqe, data + off, len, true);
		break;
	case NVME_CMD_WRITE:
		m->host_writes++;
		m->units_written += len >> 9;
		if (!null)
			r.status = udrvi_nm_xfer(m, sqe, data + off, len, false);
		break;
	case NVME_CMD_COMPARE:
		if (!null) {
			uint8_t *tmp = malloc(len);

			if (!tmp) {
				r.status = NM_SC(0, 0x06);
				break;
			}
			r.status = udrvi_nm_xfer(m, sqe, tmp, len, false);
			if (!r.status && memcmp(tmp, data + off, len))
				r.status = NM_SC_COMPARE_FAIL;
			free(tmp);
		}
		break;
	case NVME_CMD_WRITE_ZEROES:
		if (!null)
			memset(data + off, 0, len);
		break;
	default:
		break;
	}
	return r;
}
