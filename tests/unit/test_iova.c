/* SPDX-License-Identifier: MIT */
/* IOVA space allocator (lib/iova.c): pure logic, no devices. */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "iova.h"

#define KIB (1024ull)
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)

/* x86: the interrupt (MSI) window the IOMMU reserves, and a 39-bit width. */
#define MSI_FIRST 0xfee00000ull
#define MSI_LAST 0xfeefffffull
#define TOP_39 (1ull << 39)

static const struct udrvi_iova_range ranges_39bit[] = {
	{ 0, MSI_FIRST - 0x1 },
	{ MSI_LAST + 1, TOP_39 - 1 },
};

static uint64_t alloc_ok(struct udrvi_iova_space *s, uint64_t size, uint64_t align)
{
	uint64_t iova = 0;

	assert_int_equal(udrvi_iova_alloc(s, size, align, &iova), 0);
	assert_true(iova % align == 0);
	assert_true(udrvi_iova_contains(s, iova, size));
	return iova;
}

static void expect_enospc(struct udrvi_iova_space *s, uint64_t size, uint64_t align)
{
	uint64_t iova = 0x1234;

	assert_int_equal(udrvi_iova_alloc(s, size, align, &iova), -ENOSPC);
	assert_int_equal(iova, 0x1234); /* untouched on failure */
}

/* The space is as it was right after init: nothing handed out, no holes. */
static void assert_pristine(const struct udrvi_iova_space *s)
{
	assert_int_equal(s->nholes, 0);
	for (unsigned i = 0; i < s->nranges; i++)
		assert_int_equal(s->next[i], s->ranges[i].start);
}

static void init__rejects_bad_ranges(void **state)
{
	struct udrvi_iova_space s;
	struct udrvi_iova_range r[UDRVI_IOVA_MAX_RANGES + 1];
	struct udrvi_iova_range unsorted[] = { { 0x10000, 0x1ffff }, { 0x1000, 0x1fff } };
	struct udrvi_iova_range overlap[] = { { 0x1000, 0x2fff }, { 0x2fff, 0x3fff } };
	struct udrvi_iova_range reversed[] = { { 0x2000, 0x1fff } };
	struct udrvi_iova_range low[] = { { 0, 0xfff } };
	uint64_t iova;

	(void)state;
	for (unsigned i = 0; i < UDRVI_IOVA_MAX_RANGES + 1; i++)
		r[i] = (struct udrvi_iova_range){ (i + 1) * 0x10000ull, (i + 1) * 0x10000ull + 0xfff };

	assert_int_equal(udrvi_iova_init(NULL, r, 1, 0), -EINVAL);
	assert_int_equal(udrvi_iova_init(&s, NULL, 1, 0), -EINVAL);
	assert_int_equal(udrvi_iova_init(&s, r, 0, 0), -EINVAL);
	assert_int_equal(udrvi_iova_init(&s, r, UDRVI_IOVA_MAX_RANGES + 1, 0), -EINVAL);
	assert_int_equal(udrvi_iova_init(&s, unsorted, 2, 0), -EINVAL);
	assert_int_equal(udrvi_iova_init(&s, overlap, 2, 0), -EINVAL);
	assert_int_equal(udrvi_iova_init(&s, reversed, 1, 0), -EINVAL);
	/* Everything below min_start: nothing usable. */
	assert_int_equal(udrvi_iova_init(&s, low, 1, 0x1000), -EINVAL);
	/* A failed init leaves an empty space, never a half-built one. */
	assert_int_equal(s.nranges, 0);
	assert_int_equal(udrvi_iova_alloc(&s, 0x1000, 0x1000, &iova), -ENOSPC);

	assert_int_equal(udrvi_iova_init(&s, r, UDRVI_IOVA_MAX_RANGES, 0), 0);
	assert_int_equal(s.nranges, UDRVI_IOVA_MAX_RANGES);
}

static void init__trims_to_min_start(void **state)
{
	struct udrvi_iova_space s;
	const struct udrvi_iova_range r[] = {
		{ 0, 0xfff }, { 0x2000, 0x7fff }, { 0x10000, 0x1ffff },
	};

	(void)state;
	assert_int_equal(udrvi_iova_init(&s, r, 3, 0x3000), 0);
	assert_int_equal(s.nranges, 2); /* the first range lies wholly below min_start */
	assert_int_equal(s.ranges[0].start, 0x3000);
	assert_int_equal(s.ranges[0].last, 0x7fff);
	assert_false(udrvi_iova_contains(&s, 0x2000, 0x1000));
	assert_false(udrvi_iova_contains(&s, 0x0, 1));
	assert_int_equal(alloc_ok(&s, 0x1000, 0x1000), 0x3000);
	assert_int_equal(alloc_ok(&s, 0x5000, 0x1000), 0x10000); /* 0x4000-0x7fff is too small */
}

static void init__never_hands_out_iova_zero(void **state)
{
	struct udrvi_iova_space s;
	const struct udrvi_iova_range r[] = { { 0, 0xffff } };

	(void)state;
	assert_int_equal(udrvi_iova_init(&s, r, 1, 0), 0);
	assert_false(udrvi_iova_contains(&s, 0, 1));
	assert_int_equal(alloc_ok(&s, 1, 1), 1);
	assert_int_equal(alloc_ok(&s, 0x1000, 0x1000), 0x1000);
}

static void alloc__rejects_bad_args(void **state)
{
	struct udrvi_iova_space s;
	const struct udrvi_iova_range r[] = { { 0x1000, 0xffffff } };
	uint64_t iova;

	(void)state;
	assert_int_equal(udrvi_iova_init(&s, r, 1, 0), 0);
	assert_int_equal(udrvi_iova_alloc(&s, 0, 0x1000, &iova), -EINVAL);
	assert_int_equal(udrvi_iova_alloc(&s, 0x1000, 0, &iova), -EINVAL);
	assert_int_equal(udrvi_iova_alloc(&s, 0x1000, 0x3000, &iova), -EINVAL);
	assert_int_equal(udrvi_iova_alloc(&s, 0x1000, 0x1000, NULL), -EINVAL);
	assert_int_equal(udrvi_iova_alloc(NULL, 0x1000, 0x1000, &iova), -EINVAL);
	assert_pristine(&s);
}

static void alloc__exactly_fills_range_last_byte_inclusive(void **state)
{
	struct udrvi_iova_space s;
	const struct udrvi_iova_range r[] = { { 0x1000, 0x2fff }, { 0x10000, 0x10fff } };

	(void)state;
	assert_int_equal(udrvi_iova_init(&s, r, 2, 0), 0);
	assert_int_equal(alloc_ok(&s, 0x2000, 0x1000), 0x1000); /* 0x1000..0x2fff */
	assert_int_equal(alloc_ok(&s, 0x1000, 0x1000), 0x10000); /* 0x10000..0x10fff */
	expect_enospc(&s, 1, 1);
	assert_int_equal(s.nholes, 0);

	/* One byte too many never fits, even though the size is "almost" there. */
	assert_int_equal(udrvi_iova_init(&s, r, 2, 0), 0);
	expect_enospc(&s, 0x2001, 1);
	assert_pristine(&s);
}

static void alloc__top_of_64bit_space_does_not_overflow(void **state)
{
	struct udrvi_iova_space s;
	const struct udrvi_iova_range r[] = { { UINT64_MAX - 0xffff, UINT64_MAX } };
	uint64_t a;

	(void)state;
	assert_int_equal(udrvi_iova_init(&s, r, 1, 0), 0);
	expect_enospc(&s, 0x10000, 0x20000); /* aligning up overflows */
	expect_enospc(&s, 0x20000, 1);
	expect_enospc(&s, UINT64_MAX, 1);
	a = alloc_ok(&s, 0x10000, 0x10000);
	assert_true(a == UINT64_MAX - 0xffff);
	assert_int_equal(s.next[0], 0); /* used up to 2^64 - 1 */
	expect_enospc(&s, 1, 1);
	udrvi_iova_free(&s, a, 0x10000);
	assert_pristine(&s);
	/* The very last byte can be handed out on its own. */
	assert_true(alloc_ok(&s, 0xffff, 1) == UINT64_MAX - 0xffff);
	assert_true(alloc_ok(&s, 1, 1) == UINT64_MAX);
	expect_enospc(&s, 1, 1);
}

static void alloc__aligns_2m_and_1g(void **state)
{
	struct udrvi_iova_space s;
	const struct udrvi_iova_range r[] = { { 0x1000, TOP_39 - 1 } };
	uint64_t a;

	(void)state;
	assert_int_equal(udrvi_iova_init(&s, r, 1, 0), 0);
	assert_int_equal(alloc_ok(&s, 4 * KIB, 4 * KIB), 0x1000);
	assert_int_equal(alloc_ok(&s, 2 * MIB, 2 * MIB), 2 * MIB);
	assert_int_equal(alloc_ok(&s, 1 * GIB, 1 * GIB), 1 * GIB);
	assert_int_equal(alloc_ok(&s, 2 * MIB, 1 * GIB), 2 * GIB);
	/* The alignment gaps were kept and are reused. */
	assert_int_equal(alloc_ok(&s, 2 * MIB, 2 * MIB), 4 * MIB);
	assert_int_equal(alloc_ok(&s, 4 * KIB, 4 * KIB), 0x2000);
	a = alloc_ok(&s, 512 * MIB, 1 * GIB);
	assert_int_equal(a, 3 * GIB);
	a = alloc_ok(&s, 256 * MIB, 256 * MIB);
	assert_int_equal(a, 256 * MIB);
}

static void alloc__exhaustion_returns_enospc(void **state)
{
	struct udrvi_iova_space s;
	const struct udrvi_iova_range r[] = { { 2 * MIB, 18 * MIB - 1 } };
	uint64_t got[8];

	(void)state;
	assert_int_equal(udrvi_iova_init(&s, r, 1, 0), 0);
	for (int i = 0; i < 8; i++)
		got[i] = alloc_ok(&s, 2 * MIB, 2 * MIB);
	expect_enospc(&s, 2 * MIB, 2 * MIB);
	expect_enospc(&s, 4 * KIB, 4 * KIB);
	udrvi_iova_free(&s, got[3], 2 * MIB);
	expect_enospc(&s, 4 * MIB, 2 * MIB);
	assert_int_equal(alloc_ok(&s, 2 * MIB, 2 * MIB), got[3]);
	expect_enospc(&s, 1, 1);
}

/* VFIO on x86 with a 39-bit IOMMU reports the range split by the MSI window. */
static void alloc__39bit_width_avoids_msi_window(void **state)
{
	struct udrvi_iova_space s;
	unsigned n1g = 0, n2m = 0, n4k = 0;
	uint64_t a;

	(void)state;
	assert_int_equal(udrvi_iova_init(&s, ranges_39bit, 2, 0), 0);
	assert_false(udrvi_iova_contains(&s, MSI_FIRST, 1));
	assert_false(udrvi_iova_contains(&s, MSI_LAST, 1));
	assert_false(udrvi_iova_contains(&s, MSI_FIRST - 0x1000, 0x2000));
	assert_false(udrvi_iova_contains(&s, TOP_39 - 0x1000, 0x2000));
	assert_true(udrvi_iova_contains(&s, TOP_39 - 0x1000, 0x1000));

	while (udrvi_iova_alloc(&s, 1 * GIB, 1 * GIB, &a) == 0) {
		assert_true(a % GIB == 0);
		assert_true(a + GIB <= MSI_FIRST || a > MSI_LAST);
		assert_true(a + GIB <= TOP_39);
		n1g++;
	}
	/* 1 GiB and 2 GiB below the window; 4 GiB up to 512 GiB above it. */
	assert_int_equal(n1g, 2 + 508);

	while (udrvi_iova_alloc(&s, 2 * MIB, 2 * MIB, &a) == 0) {
		assert_true(a % (2 * MIB) == 0);
		assert_true(a + 2 * MIB <= MSI_FIRST || a > MSI_LAST);
		assert_true(a + 2 * MIB <= 4 * GIB);
		n2m++;
	}
	/* [2M, 1G) in the first alignment gap, [3G, MSI) and [0xff000000, 4G). */
	assert_int_equal(n2m, 511 + 503 + 8);

	while (udrvi_iova_alloc(&s, 4 * KIB, 4 * KIB, &a) == 0) {
		assert_true(a + 4 * KIB <= MSI_FIRST || a > MSI_LAST);
		n4k++;
	}
	/* [4K, 2M) and [MSI_LAST + 1, 0xff000000). */
	assert_int_equal(n4k, 511 + 0x100000 / 0x1000);
	/* Byte 1 to 4K - 1 is all that is left. */
	assert_int_equal(alloc_ok(&s, 4 * KIB - 1, 1), 1);
	expect_enospc(&s, 1, 1);
}

static void free__reuses_and_coalesces(void **state)
{
	struct udrvi_iova_space s;
	const struct udrvi_iova_range r[] = { { 0x100000, 0x1fffff } };
	uint64_t a, b, c, d;

	(void)state;
	assert_int_equal(udrvi_iova_init(&s, r, 1, 0), 0);
	a = alloc_ok(&s, 0x1000, 0x1000);
	b = alloc_ok(&s, 0x1000, 0x1000);
	c = alloc_ok(&s, 0x1000, 0x1000);
	d = alloc_ok(&s, 0x1000, 0x1000);

	udrvi_iova_free(&s, b, 0x1000);
	assert_int_equal(s.nholes, 1);
	assert_int_equal(alloc_ok(&s, 0x1000, 0x1000), b); /* first fit */
	assert_int_equal(s.nholes, 0);

	/* b and c merge into one hole that fits 8 KiB. */
	udrvi_iova_free(&s, b, 0x1000);
	udrvi_iova_free(&s, c, 0x1000);
	assert_int_equal(s.nholes, 1);
	assert_int_equal(alloc_ok(&s, 0x2000, 0x1000), b);

	/* Freeing the top hands space back to the bump pointer, and the holes
	 * under it with it. */
	udrvi_iova_free(&s, a, 0x1000);
	udrvi_iova_free(&s, b, 0x2000);
	assert_int_equal(s.nholes, 1);
	udrvi_iova_free(&s, d, 0x1000);
	assert_pristine(&s);
}

static void free__ignores_foreign_and_double_free(void **state)
{
	struct udrvi_iova_space s, before;
	const struct udrvi_iova_range r[] = { { 0x100000, 0x1fffff } };
	uint64_t a, b;

	(void)state;
	assert_int_equal(udrvi_iova_init(&s, r, 1, 0), 0);
	a = alloc_ok(&s, 0x1000, 0x1000);
	b = alloc_ok(&s, 0x1000, 0x1000);
	(void)b;
	udrvi_iova_free(&s, a, 0x1000);
	before = s;
	udrvi_iova_free(&s, a, 0x1000);          /* double free */
	udrvi_iova_free(&s, a, 0x800);           /* inside a hole */
	udrvi_iova_free(&s, 0x1000, 0x1000);     /* outside every range */
	udrvi_iova_free(&s, 0x180000, 0x1000);   /* never handed out */
	udrvi_iova_free(&s, b, 0x2000);          /* runs past what was handed out */
	udrvi_iova_free(&s, b, 0);
	udrvi_iova_free(&s, UINT64_MAX, 2);
	udrvi_iova_free(NULL, a, 0x1000);
	assert_memory_equal(&s, &before, sizeof(s));
}

static void alloc__never_crosses_adjacent_ranges(void **state)
{
	struct udrvi_iova_space s;
	const struct udrvi_iova_range r[] = { { 0x1000, 0x1fff }, { 0x2000, 0x3fff } };

	(void)state;
	assert_int_equal(udrvi_iova_init(&s, r, 2, 0), 0);
	assert_false(udrvi_iova_contains(&s, 0x1000, 0x2000));
	assert_true(udrvi_iova_contains(&s, 0x2000, 0x2000));
	assert_int_equal(alloc_ok(&s, 0x2000, 0x1000), 0x2000);
	udrvi_iova_free(&s, 0x2000, 0x2000);
	assert_pristine(&s);

	assert_int_equal(alloc_ok(&s, 0x1000, 0x1000), 0x1000);
	assert_int_equal(alloc_ok(&s, 0x1000, 0x1000), 0x2000);
	assert_int_equal(alloc_ok(&s, 0x1000, 0x1000), 0x3000);
	udrvi_iova_free(&s, 0x1000, 0x1000);
	udrvi_iova_free(&s, 0x2000, 0x1000);
	/* 0x1000-0x2fff is free but spans two ranges: no 8 KiB allocation. */
	expect_enospc(&s, 0x2000, 0x1000);
}

static void contains__edges(void **state)
{
	struct udrvi_iova_space s;
	const struct udrvi_iova_range r[] = { { 0x1000, 0x2fff }, { 0x10000, UINT64_MAX } };

	(void)state;
	assert_int_equal(udrvi_iova_init(&s, r, 2, 0), 0);
	assert_true(udrvi_iova_contains(&s, 0x1000, 1));
	assert_true(udrvi_iova_contains(&s, 0x1000, 0x2000));
	assert_true(udrvi_iova_contains(&s, 0x2fff, 1));
	assert_false(udrvi_iova_contains(&s, 0x2fff, 2));
	assert_false(udrvi_iova_contains(&s, 0xfff, 2));
	assert_false(udrvi_iova_contains(&s, 0x3000, 1));
	assert_false(udrvi_iova_contains(&s, 0x1000, 0));
	assert_true(udrvi_iova_contains(&s, UINT64_MAX, 1));
	assert_false(udrvi_iova_contains(&s, UINT64_MAX, 2)); /* wraps */
	assert_false(udrvi_iova_contains(NULL, 0x1000, 1));
}

/* Fill the hole table: the table never overflows, an allocation that would
 * need a new hole fails with -ENOSPC instead of dropping space, and a freed
 * piece bigger than the smallest hole takes its slot. */
static void holes__table_full_never_drops_space_silently(void **state)
{
	struct udrvi_iova_space s, before;
	const struct udrvi_iova_range r[] = { { 0x1000, 0xfffffff } };
	uint64_t a[200], iova;

	(void)state;
	assert_int_equal(udrvi_iova_init(&s, r, 1, 0), 0);
	for (int i = 0; i < 200; i++)
		a[i] = alloc_ok(&s, 0x1000, 0x1000);
	for (int i = 0; i < 200; i += 2)
		udrvi_iova_free(&s, a[i], 0x1000);
	assert_int_equal(s.nholes, UDRVI_IOVA_MAX_HOLES);

	/* a[1] joins the holes a[0] and a[2]: one slot frees up. */
	udrvi_iova_free(&s, a[1], 0x1000);
	assert_int_equal(s.nholes, UDRVI_IOVA_MAX_HOLES - 1);
	assert_int_equal(alloc_ok(&s, 0x3000, 0x1000), a[0]);
	assert_int_equal(s.nholes, UDRVI_IOVA_MAX_HOLES - 2);
	udrvi_iova_free(&s, a[129], 0x1000);
	udrvi_iova_free(&s, a[131], 0x1000);
	assert_int_equal(s.nholes, UDRVI_IOVA_MAX_HOLES);

	/* 32 MiB alignment: only after the bump pointer, which would leave a
	 * gap that needs a slot. */
	before = s;
	assert_int_equal(udrvi_iova_alloc(&s, 0x1000, 32 * MIB, &iova), -ENOSPC);
	assert_memory_equal(&s, &before, sizeof(s));
	assert_int_equal(alloc_ok(&s, 0x1000, 0x1000), a[4]); /* a hole used up: a slot */
	assert_int_equal(alloc_ok(&s, 0x1000, 32 * MIB), 32 * MIB);
	assert_int_equal(s.nholes, UDRVI_IOVA_MAX_HOLES);

}

/* With the table full, a freed piece bigger than the smallest hole takes its
 * slot, so as little space as possible is lost. */
static void holes__table_full_keeps_the_bigger_piece(void **state)
{
	struct udrvi_iova_space s;
	const struct udrvi_iova_range r[] = { { 0x1000, 0xfffffff } };
	uint64_t a[130], big;
	bool found = false;

	(void)state;
	assert_int_equal(udrvi_iova_init(&s, r, 1, 0), 0);
	for (int i = 0; i < 130; i++)
		a[i] = alloc_ok(&s, 0x1000, 0x1000);
	big = alloc_ok(&s, 0x10000, 0x1000);
	alloc_ok(&s, 0x1000, 0x1000); /* keeps big off the top */
	for (int i = 0; i < 130; i += 2)
		udrvi_iova_free(&s, a[i], 0x1000);
	assert_int_equal(s.nholes, UDRVI_IOVA_MAX_HOLES);
	udrvi_iova_free(&s, big, 0x10000);
	assert_int_equal(s.nholes, UDRVI_IOVA_MAX_HOLES);
	for (unsigned h = 0; h < s.nholes; h++) {
		if (h > 0)
			assert_true(s.holes[h - 1].last + 1 < s.holes[h].start); /* sorted, apart */
		found |= s.holes[h].start == big && s.holes[h].last == big + 0xffff;
	}
	assert_true(found);
	assert_int_equal(alloc_ok(&s, 0x10000, 0x1000), big);
}

/* Random sizes, alignments, frees: nothing overlaps, nothing leaves the
 * ranges, and freeing everything restores the space exactly. */
static void random_run(unsigned max_live, bool expect_pristine)
{
	enum { N = 512 };
	struct udrvi_iova_space s;
	struct { uint64_t iova, size; } live[N];
	unsigned nlive = 0;
	uint64_t rng = 0x9e3779b97f4a7c15ull;

	assert_true(max_live <= N);
	assert_int_equal(udrvi_iova_init(&s, ranges_39bit, 2, 0x1000), 0);
	for (int step = 0; step < 20000; step++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		if (nlive < max_live && (rng & 3) != 0) {
			uint64_t align = 1ull << (12 + (rng >> 8) % 19); /* 4K .. 1G */
			uint64_t size = ((rng >> 20) % 64 + 1) * (1ull << (12 + (rng >> 32) % 10));
			uint64_t a;
			int rc = udrvi_iova_alloc(&s, size, align, &a);

			if (rc == -ENOSPC)
				continue;
			assert_int_equal(rc, 0);
			assert_true(a % align == 0);
			assert_true(a >= 0x1000);
			assert_true(a + size <= MSI_FIRST || a > MSI_LAST);
			assert_true(a + size <= TOP_39);
			for (unsigned k = 0; k < nlive; k++)
				assert_true(a + size <= live[k].iova || a >= live[k].iova + live[k].size);
			live[nlive].iova = a;
			live[nlive].size = size;
			nlive++;
		} else if (nlive > 0) {
			unsigned k = (unsigned)((rng >> 16) % nlive);

			udrvi_iova_free(&s, live[k].iova, live[k].size);
			live[k] = live[--nlive];
		}
		assert_true(s.nholes <= UDRVI_IOVA_MAX_HOLES);
	}
	while (nlive > 0) {
		nlive--;
		udrvi_iova_free(&s, live[nlive].iova, live[nlive].size);
	}
	if (expect_pristine)
		assert_pristine(&s);
}

/* Holes are separated by live allocations, so with fewer than
 * UDRVI_IOVA_MAX_HOLES - 2 of them the table never fills and freeing
 * everything merges back into an untouched space. */
static void alloc_free__random_merges_back_completely(void **state)
{
	(void)state;
	random_run(UDRVI_IOVA_MAX_HOLES - 4, true);
}

/* Many live allocations: the table fills up; still nothing overlaps. */
static void alloc_free__random_never_overlaps(void **state)
{
	(void)state;
	random_run(512, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init__rejects_bad_ranges),
		cmocka_unit_test(init__trims_to_min_start),
		cmocka_unit_test(init__never_hands_out_iova_zero),
		cmocka_unit_test(alloc__rejects_bad_args),
		cmocka_unit_test(alloc__exactly_fills_range_last_byte_inclusive),
		cmocka_unit_test(alloc__top_of_64bit_space_does_not_overflow),
		cmocka_unit_test(alloc__aligns_2m_and_1g),
		cmocka_unit_test(alloc__exhaustion_returns_enospc),
		cmocka_unit_test(alloc__39bit_width_avoids_msi_window),
		cmocka_unit_test(free__reuses_and_coalesces),
		cmocka_unit_test(free__ignores_foreign_and_double_free),
		cmocka_unit_test(alloc__never_crosses_adjacent_ranges),
		cmocka_unit_test(contains__edges),
		cmocka_unit_test(holes__table_full_never_drops_space_silently),
		cmocka_unit_test(holes__table_full_keeps_the_bigger_piece),
		cmocka_unit_test(alloc_free__random_merges_back_completely),
		cmocka_unit_test(alloc_free__random_never_overlaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
