/* SPDX-License-Identifier: MIT */
/*
 * PRP construction (base spec 4.3). The first PRP entry may have a page
 * offset; every later entry is a page-aligned 4 KiB page. Two pages fit in
 * PRP1/PRP2; more go to the request's preallocated PRP list, whose slot never
 * crosses a page, so no list chaining is needed (the slot holds at most 512
 * entries).
 *
 * Pages are walked in IOVA space and every page is translated, so a buffer
 * need not be IOVA-contiguous.
 */
#include <errno.h>

#include "nvme_priv.h"

int udrvi_nvme_prp_build(const struct iovec *iov, int iovcnt, uint64_t *prp1, uint64_t *prp2,
			 uint64_t *list, uint64_t list_iova, uint32_t list_max)
{
	uint64_t second = 0;
	uint32_t n = 0; /* entries after PRP1 */
	bool first = true;
	int i;

	if (iovcnt <= 0)
		return -EINVAL;
	for (i = 0; i < iovcnt; i++) {
		const uint8_t *va = iov[i].iov_base;
		size_t left = iov[i].iov_len;

		if (left == 0)
			return -EINVAL;
		while (left) {
			uint64_t iova = udrv_virt_to_iova(va);
			uint32_t off, chunk;

			if (iova == UDRV_IOVA_INVALID)
				return -EINVAL;
			off = (uint32_t)(iova & (NVME_PAGE_SIZE - 1));
			chunk = NVME_PAGE_SIZE - off;
			if (chunk > left)
				chunk = (uint32_t)left;
			if (first) {
				/* PRP1 may have a page offset, but a dword-aligned one. */
				if (iova & 3u)
					return -EINVAL;
				*prp1 = iova;
				first = false;
			} else {
				/* Every entry but PRP1 must start a page; an element that
				 * does not starts mid-page (PRP rules: use SGL). */
				if (off)
					return -EINVAL;
				if (n == 0) {
					second = iova;
				} else {
					if (n >= list_max)
						return -EINVAL;
					if (n == 1)
						list[0] = second;
					list[n] = iova;
				}
				n++;
			}
			va += chunk;
			left -= chunk;
			/* Only the last element may end before a page boundary. */
			if (left == 0 && i + 1 < iovcnt && ((iova + chunk) & (NVME_PAGE_SIZE - 1)))
				return -EINVAL;
		}
	}
	if (n == 0)
		*prp2 = 0;
	else if (n == 1)
		*prp2 = second;
	else
		*prp2 = list_iova;
	return 0;
}
