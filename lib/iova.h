/* SPDX-License-Identifier: MIT */
/*
 * IOVA space allocator: hands out aligned IOVA ranges from the ranges the
 * IOMMU accepts (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE). Pure logic. Internal.
 */
#ifndef UDRVI_IOVA_H
#define UDRVI_IOVA_H

#include <stdbool.h>
#include <stdint.h>

#define UDRVI_IOVA_MAX_RANGES 16
#define UDRVI_IOVA_MAX_HOLES 64

struct udrvi_iova_range {
	uint64_t start; /* first byte */
	uint64_t last;  /* last byte, inclusive (as VFIO reports it) */
};

struct udrvi_iova_space {
	struct udrvi_iova_range ranges[UDRVI_IOVA_MAX_RANGES];
	uint64_t next[UDRVI_IOVA_MAX_RANGES]; /* bump pointer per range */
	unsigned nranges;
	/* freed ranges, reused first-fit */
	struct udrvi_iova_range holes[UDRVI_IOVA_MAX_HOLES];
	unsigned nholes;
};

/* Ranges must not overlap; they are sorted. Ranges starting below min_start
 * are trimmed to it (IOVA 0 is never handed out). Returns 0 or -EINVAL. */
int udrvi_iova_init(struct udrvi_iova_space *s, const struct udrvi_iova_range *ranges,
		    unsigned n, uint64_t min_start);
/* size and align: non-zero, align a power of two. 0, -EINVAL or -ENOSPC. */
int udrvi_iova_alloc(struct udrvi_iova_space *s, uint64_t size, uint64_t align, uint64_t *iova);
/* Return a range handed out by udrvi_iova_alloc. */
void udrvi_iova_free(struct udrvi_iova_space *s, uint64_t iova, uint64_t size);
/* true when [iova, iova+size) lies inside one range. */
bool udrvi_iova_contains(const struct udrvi_iova_space *s, uint64_t iova, uint64_t size);

#endif
