/* SPDX-License-Identifier: MIT */
/*
 * Get Log Page (base spec 5.16): raw pages, SMART / Health Information and
 * the Error Information log, bounced through DMA memory.
 */
#include <errno.h>
#include <string.h>

#include "nvme_priv.h"

int udrv_nvme_get_log_page(struct udrv_nvme_ctrl *ctrl, uint32_t nsid, uint8_t lid,
			   void *buf, size_t len)
{
	struct nvme_sqe sqe;
	struct udrv_nvme_cpl cpl;
	uint32_t numd;
	void *dma;
	char sbuf[64];
	int rc;

	if (!ctrl || !buf || len == 0 || len % 4 || len > ctrl->info.max_xfer_bytes) {
		if (ctrl)
			NVME_LOG_ERR(ctrl, "Get Log Page: length %zu must be a non-zero multiple of 4 "
				     "and at most %u", len, ctrl->info.max_xfer_bytes);
		return -EINVAL;
	}
	rc = udrv_dma_alloc(len, NVME_PAGE_SIZE, &dma, NULL);
	if (rc < 0)
		return rc;
	numd = (uint32_t)(len / 4 - 1); /* 0's based dword count */
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = NVME_ADM_GET_LOG_PAGE;
	sqe.nsid = nsid;
	sqe.cdw10 = lid | (numd & 0xffffu) << 16;
	sqe.cdw11 = numd >> 16;
	pthread_mutex_lock(&ctrl->lock);
	rc = udrvi_nvme_admin_sync(ctrl, &sqe, dma, len, false, &cpl, 0);
	pthread_mutex_unlock(&ctrl->lock);
	if (rc == 0 && !UDRV_NVME_STATUS_OK(cpl.status)) {
		NVME_LOG_ERR(ctrl, "Get Log Page 0x%02x failed: %s", lid,
			     udrv_nvme_status_str(cpl.status, sbuf, sizeof(sbuf)));
		rc = -EIO;
	}
	if (rc == 0)
		memcpy(buf, dma, len);
	udrv_dma_free(dma);
	return rc;
}

int udrv_nvme_health(struct udrv_nvme_ctrl *ctrl, struct udrv_nvme_health *h)
{
	struct nvme_smart_log s;
	int rc;

	if (!h)
		return -EINVAL;
	rc = udrv_nvme_get_log_page(ctrl, 0xffffffffu, NVME_LOG_SMART, &s, sizeof(s));
	if (rc < 0)
		return rc;
	memset(h, 0, sizeof(*h));
	h->critical_warning = s.critical_warning;
	h->temperature_k = nvme_le16(s.temperature);
	h->avail_spare = s.avail_spare;
	h->spare_thresh = s.spare_thresh;
	h->percent_used = s.percent_used;
	h->data_units_read = nvme_le64(s.data_units_read);
	h->data_units_written = nvme_le64(s.data_units_written);
	h->host_reads = nvme_le64(s.host_reads);
	h->host_writes = nvme_le64(s.host_writes);
	h->power_cycles = nvme_le64(s.power_cycles);
	h->power_on_hours = nvme_le64(s.power_on_hours);
	h->unsafe_shutdowns = nvme_le64(s.unsafe_shutdowns);
	h->media_errors = nvme_le64(s.media_errors);
	h->error_log_entries = nvme_le64(s.num_err_log_entries);
	return 0;
}

int udrv_nvme_error_log(struct udrv_nvme_ctrl *ctrl, struct udrv_nvme_error_entry *e,
			unsigned max)
{
	struct nvme_error_log log[64];
	unsigned n, i, out = 0;
	int rc;

	if (!e || max == 0)
		return -EINVAL;
	n = max < 64 ? max : 64;
	rc = udrv_nvme_get_log_page(ctrl, 0, NVME_LOG_ERROR, log, n * sizeof(log[0]));
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (!log[i].error_count)
			continue;
		e[out].error_count = log[i].error_count;
		e[out].sqid = log[i].sqid;
		e[out].cid = log[i].cid;
		e[out].status = (uint16_t)(log[i].status >> 1);
		e[out].lba = log[i].lba;
		e[out].nsid = log[i].nsid;
		out++;
	}
	return (int)out;
}
