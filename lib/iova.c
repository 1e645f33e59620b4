/* SPDX-License-Identifier: MIT */
/*
 * IOVA space allocator over the ranges the IOMMU accepts.
 *
 * Each range has a bump pointer: next[i] is the first byte never handed out,
 * so [ranges[i].start, next[i]) has been allocated at some time and
 * [next[i], ranges[i].last] is untouched. Freed pieces become holes, kept
 * sorted by address, merged with their neighbours, reused first-fit, and a
 * hole that ends at the bump pointer is folded back into it.
 *
 * Invariants:
 *  - every range starts at 1 or above (IOVA 0 is never handed out), so
 *    next[i] == 0 can only mean "used up to 2^64 - 1": all arithmetic on
 *    next[i] wraps consistently and next[i] - 1 is the last used byte;
 *  - every hole lies inside one range, below next[i]; holes never touch each
 *    other and no hole ends at next[i] - 1;
 *  - the hole table is never overfilled: an allocation that would need a new
 *    hole (an alignment gap) when the table is full looks elsewhere and
 *    finally fails with -ENOSPC, rather than dropping the gap.
 */
#include <errno.h>
#include <string.h>

#include "iova.h"

static bool is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* Place size bytes aligned to align at or after lo without passing last.
 * Returns false when they do not fit (including when aligning overflows). */
static bool fit(uint64_t lo, uint64_t last, uint64_t size, uint64_t align, uint64_t *at)
{
	uint64_t a;

	if (lo > last || lo > UINT64_MAX - (align - 1))
		return false;
	a = (lo + (align - 1)) & ~(align - 1);
	if (a > last || size - 1 > last - a)
		return false;
	*at = a;
	return true;
}

/* Index of the range holding [lo, hi], or -1. */
static int range_of(const struct udrvi_iova_space *s, uint64_t lo, uint64_t hi)
{
	for (unsigned i = 0; i < s->nranges; i++)
		if (lo >= s->ranges[i].start && hi <= s->ranges[i].last)
			return (int)i;
	return -1;
}

static void hole_remove(struct udrvi_iova_space *s, unsigned h)
{
	memmove(&s->holes[h], &s->holes[h + 1], (s->nholes - h - 1) * sizeof(s->holes[0]));
	s->nholes--;
}

/* Insert [lo, hi] at position h (the table keeps address order). The caller
 * checked that there is room. */
static void hole_insert(struct udrvi_iova_space *s, unsigned h, uint64_t lo, uint64_t hi)
{
	memmove(&s->holes[h + 1], &s->holes[h], (s->nholes - h) * sizeof(s->holes[0]));
	s->holes[h].start = lo;
	s->holes[h].last = hi;
	s->nholes++;
}

/* Position at which a hole starting at lo belongs. */
static unsigned hole_pos(const struct udrvi_iova_space *s, uint64_t lo)
{
	unsigned h = 0;

	while (h < s->nholes && s->holes[h].start < lo)
		h++;
	return h;
}

int udrvi_iova_init(struct udrvi_iova_space *s, const struct udrvi_iova_range *ranges,
		    unsigned n, uint64_t min_start)
{
	if (!s)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	if (!ranges || n == 0 || n > UDRVI_IOVA_MAX_RANGES)
		return -EINVAL;
	if (min_start == 0)
		min_start = 1;

	for (unsigned i = 0; i < n; i++) {
		struct udrvi_iova_range r = ranges[i];

		/* Sorted and disjoint, as VFIO reports them. */
		if (r.start > r.last || (i > 0 && r.start <= ranges[i - 1].last))
			goto invalid;
		if (r.last < min_start)
			continue;
		if (r.start < min_start)
			r.start = min_start;
		s->ranges[s->nranges] = r;
		s->next[s->nranges] = r.start;
		s->nranges++;
	}
	if (s->nranges == 0)
		goto invalid; /* nothing left above min_start */
	return 0;

invalid:
	memset(s, 0, sizeof(*s));
	return -EINVAL;
}

/* First fit in the holes. A hole split in two needs one more table slot; when
 * there is none that hole is skipped, so no space is ever dropped. */
static bool alloc_from_holes(struct udrvi_iova_space *s, uint64_t size, uint64_t align,
			     uint64_t *iova)
{
	for (unsigned h = 0; h < s->nholes; h++) {
		struct udrvi_iova_range hole = s->holes[h];
		uint64_t a;
		bool head, tail;

		if (!fit(hole.start, hole.last, size, align, &a))
			continue;
		head = a > hole.start;
		tail = a + (size - 1) < hole.last;
		if (head && tail) {
			if (s->nholes == UDRVI_IOVA_MAX_HOLES)
				continue;
			s->holes[h].last = a - 1;
			hole_insert(s, h + 1, a + size, hole.last);
		} else if (head) {
			s->holes[h].last = a - 1;
		} else if (tail) {
			s->holes[h].start = a + size;
		} else {
			hole_remove(s, h);
		}
		*iova = a;
		return true;
	}
	return false;
}

/* Bump allocation. An alignment gap in front of the allocation becomes a
 * hole; when the table is full that range is skipped. */
static bool alloc_from_ranges(struct udrvi_iova_space *s, uint64_t size, uint64_t align,
			      uint64_t *iova)
{
	for (unsigned i = 0; i < s->nranges; i++) {
		uint64_t lo = s->next[i], a;

		if (lo == 0 && s->ranges[i].last == UINT64_MAX)
			continue; /* used up to the top of the address space */
		if (!fit(lo, s->ranges[i].last, size, align, &a))
			continue;
		if (a > lo) {
			if (s->nholes == UDRVI_IOVA_MAX_HOLES)
				continue;
			/* No hole ends at next - 1, so the gap is a hole of its own. */
			hole_insert(s, hole_pos(s, lo), lo, a - 1);
		}
		s->next[i] = a + size; /* wraps to 0 exactly at the top of 2^64 */
		*iova = a;
		return true;
	}
	return false;
}

int udrvi_iova_alloc(struct udrvi_iova_space *s, uint64_t size, uint64_t align, uint64_t *iova)
{
	if (!s || !iova || size == 0 || !is_pow2(align))
		return -EINVAL;
	if (alloc_from_holes(s, size, align, iova) || alloc_from_ranges(s, size, align, iova))
		return 0;
	return -ENOSPC;
}

void udrvi_iova_free(struct udrvi_iova_space *s, uint64_t iova, uint64_t size)
{
	uint64_t lo = iova, hi;
	unsigned h;
	int r;

	if (!s || size == 0 || iova > UINT64_MAX - (size - 1))
		return;
	hi = iova + (size - 1);
	r = range_of(s, lo, hi);
	if (r < 0)
		return; /* not ours */
	/* Must lie in the used part of the range: below next (next - 1 wraps
	 * correctly when next is 0, see the invariants). */
	if (s->next[r] == s->ranges[r].start || hi > s->next[r] - 1)
		return;

	h = hole_pos(s, lo);
	/* Refuse a range that overlaps a hole: a double free or a bad size. */
	if (h < s->nholes && s->holes[h].start <= hi)
		return;
	if (h > 0 && s->holes[h - 1].last >= lo)
		return;

	/* Merge with the neighbours in the same range (holes never cross a range
	 * boundary, even between two adjacent ranges). */
	if (h > 0 && s->holes[h - 1].last == lo - 1 && s->holes[h - 1].start >= s->ranges[r].start) {
		lo = s->holes[h - 1].start;
		hole_remove(s, --h);
	}
	if (h < s->nholes && hi != UINT64_MAX && s->holes[h].start == hi + 1 &&
	    s->holes[h].last <= s->ranges[r].last) {
		hi = s->holes[h].last;
		hole_remove(s, h);
	}

	if (hi == s->next[r] - 1) {
		s->next[r] = lo; /* the top of the used part: give it back to the bump pointer */
		return;
	}
	if (s->nholes == UDRVI_IOVA_MAX_HOLES) {
		/* Out of table slots: keep the larger of this range and the smallest
		 * hole, so the least space possible stays unusable until re-init. */
		unsigned small = 0;

		for (unsigned k = 1; k < s->nholes; k++)
			if (s->holes[k].last - s->holes[k].start <
			    s->holes[small].last - s->holes[small].start)
				small = k;
		if (s->holes[small].last - s->holes[small].start >= hi - lo)
			return;
		hole_remove(s, small);
		h = hole_pos(s, lo);
	}
	hole_insert(s, h, lo, hi);
}

bool udrvi_iova_contains(const struct udrvi_iova_space *s, uint64_t iova, uint64_t size)
{
	if (!s || size == 0 || iova > UINT64_MAX - (size - 1))
		return false;
	return range_of(s, iova, iova + (size - 1)) >= 0;
}
