/* SPDX-License-Identifier: MIT */
/*
 * SGL construction (base spec 4.4). One IOVA-contiguous run of data is a
 * Data Block descriptor placed in SGL1 of the command; several runs go to
 * the request's preallocated list, described by a Last Segment descriptor
 * in SGL1. Runs are found by translating page by page and merging pages
 * whose IOVAs follow each other.
 */
#include <errno.h>

#include "nvme_priv.h"

static void sgl_set(struct nvme_sgl_desc *d, uint64_t addr, uint32_t len, uint8_t type)
{
	d->addr = addr;
	d->len = len;
	d->rsvd[0] = d->rsvd[1] = d->rsvd[2] = 0;
	d->type = NVME_SGL_ID(type);
}

int udrvi_nvme_sgl_build(const struct iovec *iov, int iovcnt, struct nvme_sqe *sqe,
			 struct nvme_sgl_desc *list, uint64_t list_iova, uint32_t list_max)
{
	struct nvme_sgl_desc one, *d = &one;
	uint32_t n = 0;
	int i;

	if (iovcnt <= 0)
		return -EINVAL;
	for (i = 0; i < iovcnt; i++) {
		const uint8_t *va = iov[i].iov_base;
		size_t left = iov[i].iov_len;

		if (left == 0 || left > UINT32_MAX)
			return -EINVAL;
		while (left) {
			uint64_t iova = udrv_virt_to_iova(va);
			uint32_t chunk;

			if (iova == UDRV_IOVA_INVALID)
				return -EINVAL;
			chunk = NVME_PAGE_SIZE - (uint32_t)(iova & (NVME_PAGE_SIZE - 1));
			if (chunk > left)
				chunk = (uint32_t)left;
			if (n && d->addr + d->len == iova) {
				d->len += chunk;
			} else {
				if (n == 1) {
					if (list_max < 2)
						return -EINVAL;
					list[0] = one;
				}
				if (n >= 1) {
					if (n >= list_max)
						return -EINVAL;
					d = &list[n];
				}
				sgl_set(d, iova, chunk, NVME_SGL_TYPE_DATA_BLOCK);
				n++;
			}
			va += chunk;
			left -= chunk;
		}
	}
	if (n == 1) {
		sqe->prp1 = one.addr;
		sqe->prp2 = (uint64_t)one.len | (uint64_t)one.type << 56;
	} else {
		sqe->prp1 = list_iova;
		sqe->prp2 = (uint64_t)(n * sizeof(struct nvme_sgl_desc)) |
			    (uint64_t)NVME_SGL_ID(NVME_SGL_TYPE_LAST_SEGMENT) << 56;
	}
	sqe->flags = (uint8_t)((sqe->flags & ~(NVME_SQE_PSDT_MASK << NVME_SQE_PSDT_SHIFT)) |
			       NVME_SET(SQE_PSDT, NVME_PSDT_SGL_MPTR_CONTIG));
	return 0;
}
