/* SPDX-License-Identifier: MIT */
/*
 * DMA memory. All chunks live in one reserved virtual window; each chunk is
 * contiguous in VA and IOVA, both aligned to the page size, and mapped into
 * the VFIO container with one map call (and unmapped with one). The window's
 * slot table gives the IOVA of every 2 MiB slot, so udrv_virt_to_iova is a
 * subtraction, a shift and a load. Allocation metadata lives in private
 * memory, never in the DMA memory a device can write.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"
#include "iova.h"
#include <udrv/mem.h>

#define MAX_CHUNKS 1024
#define DEFAULT_IOVA_START (4ull << 30)      /* above the 32-bit MMIO and MSI windows */
#define DEFAULT_IOVA_LAST ((1ull << 39) - 1) /* fits a 39-bit IOMMU (QEMU's default) */
#define MIN_ALIGN 64

struct block {
	size_t off, len;
	bool used;
};

struct chunk {
	uint8_t *va;
	uint64_t iova;
	size_t len;
	struct block *blocks; /* sorted by off, covering [0, len) */
	size_t nblocks, cap;
	size_t used;
};

struct udrv_xlate udrv_xlate_table;

static struct {
	bool ready;
	bool anon;
	size_t page_size;
	uint8_t *base;
	size_t window;
	size_t next; /* bump offset of the next chunk in the window */
	uint64_t *slots;
	struct udrvi_iova_space iova;
	bool container;     /* chunks are mapped into a VFIO container */
	uint32_t dma_avail; /* mappings the container still allows (0: unknown) */
	unsigned maps;      /* chunks mapped since the container came up */
	struct chunk chunks[MAX_CHUNKS];
	unsigned nchunks; /* read without the lock by models: atomic */
} m;

static int default_iova_space(struct udrvi_iova_space *s, uint64_t min_start)
{
	struct udrvi_iova_range r = { DEFAULT_IOVA_START, DEFAULT_IOVA_LAST };

	return udrvi_iova_init(s, &r, 1, min_start);
}

static int mem_setup(void)
{
	const struct udrv_opts *o = udrvi_opts();
	size_t nslots;
	uint8_t *raw, *base;

	uint64_t t0 = udrvi_now_ns();

	if (m.ready)
		return 0;
	m.anon = o->mem == UDRV_MEM_ANON;
	m.page_size = m.anon ? 2 * UDRVI_MIB : udrvi_hugepage_default_size();
	m.window = o->va_window;
	/* Reserve the window with 1 GiB alignment, so 1 GiB pages fit too. */
	/* Halve the window until the reservation fits (valgrind, ulimit -v). */
	for (;;) {
		raw = mmap(NULL, m.window + UDRVI_GIB, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (raw != MAP_FAILED || m.window <= UDRVI_GIB)
			break;
		m.window /= 2;
	}
	if (raw != MAP_FAILED && m.window < o->va_window)
		udrvi_info(NULL, "DMA window reduced to %zu GiB (address space limit)", m.window / UDRVI_GIB);
	if (raw == MAP_FAILED) {
		udrvi_err(NULL, "cannot reserve %zu GiB of address space for DMA memory: %s (check ulimit -v)",
			  m.window / UDRVI_GIB, strerror(errno));
		return -ENOMEM;
	}
	base = (uint8_t *)UDRVI_ALIGN_UP((uintptr_t)raw, UDRVI_GIB);
	if (base > raw)
		munmap(raw, (size_t)(base - raw));
	munmap(base + m.window, (size_t)(raw + UDRVI_GIB - base));
	nslots = m.window >> UDRV_XLATE_SHIFT;
	m.slots = malloc(nslots * sizeof(*m.slots));
	if (!m.slots) {
		munmap(base, m.window);
		return -ENOMEM;
	}
	memset(m.slots, 0xff, nslots * sizeof(*m.slots));
	m.base = base;
	m.next = 0;
	default_iova_space(&m.iova, 0);
	udrv_xlate_table.slot_iova = m.slots;
	udrv_xlate_table.va_len = m.window;
	__atomic_store_n(&udrv_xlate_table.va_base, (uintptr_t)base, __ATOMIC_RELEASE);
	m.ready = true;
	udrvi_timing(NULL, "dma window and translation table", t0);
	return 0;
}

const char *udrvi_size_str(size_t bytes, char *buf, size_t len)
{
	if (bytes >= UDRVI_GIB && bytes % UDRVI_GIB == 0)
		snprintf(buf, len, "%zu GiB", bytes / UDRVI_GIB);
	else if (bytes >= UDRVI_MIB)
		snprintf(buf, len, "%zu MiB", bytes / UDRVI_MIB);
	else
		snprintf(buf, len, "%zu KiB", bytes / 1024);
	return buf;
}

const char *udrvi_chunk_note(void)
{
	static _Thread_local char note[160];
	const char *env = getenv("UDRV_CHUNK_MB");

	if (!env || !*env)
		return "";
	snprintf(note, sizeof(note), "; DMA memory is taken in chunks of UDRV_CHUNK_MB=%s MiB: a "
		 "smaller value (or unset: 64) needs less", env);
	return note;
}

/* MemAvailable in bytes, or SIZE_MAX when unknown. */
static size_t mem_available(void)
{
	char line[128];
	size_t kb = SIZE_MAX;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return SIZE_MAX;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %zu kB", &kb) == 1)
			break;
	fclose(f);
	return kb == SIZE_MAX ? SIZE_MAX : kb * 1024;
}

static size_t mapped_bytes(void)
{
	size_t sum = 0;

	for (unsigned i = 0; i < m.nchunks; i++)
		sum += m.chunks[i].len;
	return sum;
}

/* VFIO type1 charges pinned pages to RLIMIT_MEMLOCK unless CAP_IPC_LOCK. */
static int check_memlock(size_t more)
{
	struct rlimit rl;
	size_t need = mapped_bytes() + more;
	char have_s[32], need_s[32];

	if (!m.container || geteuid() == 0 || getrlimit(RLIMIT_MEMLOCK, &rl) ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	udrvi_err(NULL, "RLIMIT_MEMLOCK is %s but %s of DMA memory must be pinned for the device: "
		  "raise it (ulimit -l %zu, LimitMEMLOCK= in a systemd unit, or memlock in "
		  "/etc/security/limits.conf) or run as root%s",
		  udrvi_size_str((size_t)rl.rlim_cur, have_s, sizeof(have_s)),
		  udrvi_size_str(need, need_s, sizeof(need_s)), (need + (size_t)rl.rlim_cur) / 1024,
		  udrvi_chunk_note());
	return -ENOMEM;
}

static void set_slots(const struct chunk *c, bool mapped)
{
	size_t first = (size_t)(c->va - m.base) >> UDRV_XLATE_SHIFT;
	size_t n = c->len >> UDRV_XLATE_SHIFT;

	for (size_t i = 0; i < n; i++)
		__atomic_store_n(&m.slots[first + i],
				 mapped ? c->iova + (i << UDRV_XLATE_SHIFT) : UDRV_IOVA_INVALID,
				 __ATOMIC_RELEASE);
}

static void restore_reservation(void *va, size_t len)
{
	mmap(va, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
}

/* Size the next chunk: the configured size, or less if hugepages are short
 * but the request itself fits. */
static int chunk_size_for(size_t need, size_t *len)
{
	size_t page = m.page_size, want, min;
	long free_pages;
	char ps[32], cs[32], hint[192];

	min = UDRVI_ALIGN_UP(need, page);
	want = UDRVI_ALIGN_UP(udrvi_opts()->chunk_size, page);
	if (udrvi_chunk_grows() && m.nchunks < 16 && (page << m.nchunks) < want)
		want = page << m.nchunks;
	if (want < min)
		want = min;
	*len = want;
	if (m.anon)
		return 0;
	free_pages = udrvi_hugepage_free(page);
	if (free_pages < 0) {
		udrvi_err(NULL, "no %s hugepages are configured on this system: reserve some with %s",
			  udrvi_size_str(page, ps, sizeof(ps)),
			  udrvi_hugepage_reserve_hint(page, page >= UDRVI_GIB ? want / page + 1 :
						      want / page * 4, hint, sizeof(hint)));
		return -ENOMEM;
	}
	if ((size_t)free_pages >= want / page)
		return 0;
	if ((size_t)free_pages >= min / page) {
		*len = min;
		return 0;
	}
	/* 2 MiB: a pool of 4 chunks; 1 GiB pages are dear: just what is missing. */
	udrvi_err(NULL, "%zu free %s hugepages are needed for %s of DMA memory but only %ld are free: "
		  "reserve more with %s", min / page, udrvi_size_str(page, ps, sizeof(ps)),
		  udrvi_size_str(min, cs, sizeof(cs)), free_pages,
		  udrvi_hugepage_reserve_hint(page, page >= UDRVI_GIB ?
					      min / page - (size_t)free_pages : want / page * 4,
					      hint, sizeof(hint)));
	return -ENOMEM;
}

static struct chunk *chunk_new(size_t need)
{
	struct chunk *c;
	size_t len, off;
	uint64_t iova, t0;
	uint8_t *va;
	char s1[32];
	int ret;

	if (m.nchunks == MAX_CHUNKS) {
		udrvi_err(NULL, "%u DMA chunks are mapped, the most udrv keeps: use bigger chunks (UDRV_CHUNK_MB)", MAX_CHUNKS);
		return NULL;
	}
	if (chunk_size_for(need, &len) || check_memlock(len))
		return NULL;
	if (m.container && m.dma_avail && m.maps >= m.dma_avail) {
		udrvi_err(NULL, "the IOMMU's DMA-mapping limit is reached (%u mappings): raise the "
			  "vfio_iommu_type1 module parameter dma_entry_limit or use bigger chunks (UDRV_CHUNK_MB)",
			  m.dma_avail);
		return NULL;
	}
	off = UDRVI_ALIGN_UP(m.next, m.page_size);
	if (off + len > m.window) {
		udrvi_err(NULL, "the %s DMA window is full: pass a bigger udrv_opts.va_window%s",
			  udrvi_size_str(m.window, s1, sizeof(s1)), udrvi_chunk_note());
		return NULL;
	}
	ret = udrvi_iova_alloc(&m.iova, len, m.page_size, &iova);
	if (ret) {
		udrvi_err(NULL, "IOVA space exhausted: no %s range aligned to %s is left in the IOMMU's "
			  "address ranges; free DMA memory or use a smaller UDRV_CHUNK_MB",
			  udrvi_size_str(len, s1, sizeof(s1)), m.page_size >= UDRVI_GIB ? "1 GiB" : "2 MiB");
		return NULL;
	}
	va = m.base + off;
	if (m.anon && len > mem_available()) {
		/* MAP_POPULATE of more than is available gets the process (or
		 * another) OOM-killed: refuse first. */
		udrvi_err(NULL, "cannot allocate %s of memory: only %zu MiB are available%s",
			  udrvi_size_str(len, s1, sizeof(s1)), mem_available() >> 20,
			  udrvi_chunk_note());
		goto free_iova;
	}
	t0 = udrvi_now_ns();
	if (m.anon) {
		if (mmap(va, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0) == MAP_FAILED) {
			ret = errno;
			udrvi_err(NULL, "cannot allocate %s of memory: %s%s",
				  udrvi_size_str(len, s1, sizeof(s1)), strerror(ret), udrvi_chunk_note());
			restore_reservation(va, len);
			goto free_iova;
		}
	} else if (udrvi_hugepage_map(va, len, m.page_size)) {
		restore_reservation(va, len);
		goto free_iova;
	}
	udrvi_timing(NULL, "dma chunk: memory (the kernel zeroes it)", t0);
	t0 = udrvi_now_ns();
	if (m.container && udrvi_vfio_dma_map(va, iova, len))
		goto unmap_mem;
	if (m.container)
		udrvi_timing(NULL, "dma chunk: iommu map", t0);
	c = &m.chunks[m.nchunks];
	memset(c, 0, sizeof(*c));
	c->va = va;
	c->iova = iova;
	c->len = len;
	c->blocks = malloc(8 * sizeof(*c->blocks));
	if (!c->blocks)
		goto unmap_dma;
	c->cap = 8;
	c->nblocks = 1;
	c->blocks[0] = (struct block){ 0, len, false };
	m.next = off + len;
	if (m.container)
		m.maps++;
	set_slots(c, true);
	/* The chunk is complete before models can see it. */
	__atomic_store_n(&m.nchunks, m.nchunks + 1, __ATOMIC_RELEASE);
	udrvi_info(NULL, "DMA chunk %u: %s at va %p iova 0x%llx", m.nchunks - 1,
		   udrvi_size_str(len, s1, sizeof(s1)), (void *)va, (unsigned long long)iova);
	return c;

unmap_dma:
	if (m.container)
		udrvi_vfio_dma_unmap(iova, len);
unmap_mem:
	restore_reservation(va, len);
free_iova:
	udrvi_iova_free(&m.iova, iova, len);
	return NULL;
}

static int block_insert(struct chunk *c, size_t at, struct block b)
{
	if (c->nblocks == c->cap) {
		struct block *nb = realloc(c->blocks, 2 * c->cap * sizeof(*nb));

		if (!nb)
			return -ENOMEM;
		c->blocks = nb;
		c->cap *= 2;
	}
	memmove(&c->blocks[at + 1], &c->blocks[at], (c->nblocks - at) * sizeof(*c->blocks));
	c->blocks[at] = b;
	c->nblocks++;
	return 0;
}

/* First fit in one chunk; the IOVA (and so the VA) is aligned to align. */
static void *chunk_alloc(struct chunk *c, size_t size, size_t align)
{
	for (size_t i = 0; i < c->nblocks; i++) {
		struct block *b = &c->blocks[i];
		size_t start, pad;

		if (b->used)
			continue;
		start = (size_t)(UDRVI_ALIGN_UP(c->iova + b->off, align) - c->iova);
		pad = start - b->off;
		if (pad > b->len || b->len - pad < size)
			continue;
		/* Split into [pad][size][rest]; reserve array room first so a
		 * failure leaves the list unchanged. */
		if (c->cap - c->nblocks < 2) {
			struct block *nb = realloc(c->blocks, (c->cap + 8) * sizeof(*nb));

			if (!nb)
				return NULL;
			c->blocks = nb;
			c->cap += 8;
			b = &c->blocks[i];
		}
		if (b->len - pad > size)
			block_insert(c, i + 1, (struct block){ start + size, b->len - pad - size, false });
		b = &c->blocks[i];
		if (pad) {
			b->len = pad;
			block_insert(c, i + 1, (struct block){ start, size, true });
		} else {
			b->len = size;
			b->used = true;
		}
		c->used += size;
		return c->va + start;
	}
	return NULL;
}

int udrv_dma_alloc(size_t size, size_t align, void **va, uint64_t *iova)
{
	void *p = NULL;
	int ret;

	if (!va)
		return -EINVAL;
	*va = NULL;
	ret = udrvi_ensure_init();
	if (ret)
		return ret;
	if (size == 0 || (align && !UDRVI_IS_POW2(align))) {
		udrvi_err(NULL, "udrv_dma_alloc(size %zu, align %zu): %s", size, align,
			  size == 0 ? "size must be > 0" : "align must be a power of two (or 0 for 64)");
		return -EINVAL;
	}
	if (align < MIN_ALIGN)
		align = MIN_ALIGN;
	udrvi_lock();
	ret = mem_setup();
	if (ret)
		goto out;
	if (align > m.page_size) {
		udrvi_err(NULL, "udrv_dma_alloc(size %zu, align %zu): align must be at most the "
			  "%zu KiB page", size, align, m.page_size / 1024);
		ret = -EINVAL;
		goto out;
	}
	if (size > m.window) {
		char want[32], win[32];

		udrvi_err(NULL, "udrv_dma_alloc: %s of DMA memory is more than the %s window "
			  "all DMA memory lives in: allocate less, or raise udrv_opts.va_window",
			  udrvi_size_str(size, want, sizeof(want)),
			  udrvi_size_str(m.window, win, sizeof(win)));
		ret = -ENOMEM;
		goto out;
	}
	size = UDRVI_ALIGN_UP(size, (size_t)MIN_ALIGN);
	for (unsigned i = 0; i < m.nchunks && !p; i++)
		if (m.chunks[i].len - m.chunks[i].used >= size)
			p = chunk_alloc(&m.chunks[i], size, align);
	if (!p) {
		/* align <= page size, and a new chunk starts page-aligned. */
		struct chunk *c = chunk_new(size);

		p = c ? chunk_alloc(c, size, align) : NULL;
	}
	if (!p) {
		ret = -ENOMEM;
		goto out;
	}
	memset(p, 0, size);
	*va = p;
	if (iova)
		*iova = udrv_virt_to_iova(p);
out:
	udrvi_unlock();
	return ret;
}

static struct chunk *chunk_of(const void *va)
{
	for (unsigned i = 0; i < m.nchunks; i++) {
		struct chunk *c = &m.chunks[i];

		if ((const uint8_t *)va >= c->va && (const uint8_t *)va < c->va + c->len)
			return c;
	}
	return NULL;
}

void udrv_dma_free(void *va)
{
	struct chunk *c;
	size_t off, lo, hi;

	if (!va)
		return;
	udrvi_lock();
	c = m.ready ? chunk_of(va) : NULL;
	if (!c)
		goto bad;
	off = (size_t)((uint8_t *)va - c->va);
	lo = 0;
	hi = c->nblocks;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->blocks[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == c->nblocks || c->blocks[lo].off != off || !c->blocks[lo].used)
		goto bad;
	c->blocks[lo].used = false;
	c->used -= c->blocks[lo].len;
	/* Merge with the free neighbours. */
	if (lo + 1 < c->nblocks && !c->blocks[lo + 1].used) {
		c->blocks[lo].len += c->blocks[lo + 1].len;
		memmove(&c->blocks[lo + 1], &c->blocks[lo + 2], (c->nblocks - lo - 2) * sizeof(*c->blocks));
		c->nblocks--;
	}
	if (lo > 0 && !c->blocks[lo - 1].used) {
		c->blocks[lo - 1].len += c->blocks[lo].len;
		memmove(&c->blocks[lo], &c->blocks[lo + 1], (c->nblocks - lo - 1) * sizeof(*c->blocks));
		c->nblocks--;
	}
	udrvi_unlock();
	return;
bad:
	udrvi_unlock();
	udrvi_err(NULL, "udrv_dma_free(%p): not an allocation of udrv_dma_alloc (double free?); ignored", va);
}

void udrv_mem_stats(struct udrv_mem_stats *st)
{
	memset(st, 0, sizeof(*st));
	udrvi_lock();
	st->chunks = m.nchunks;
	for (unsigned i = 0; i < m.nchunks; i++) {
		st->mapped_bytes += m.chunks[i].len;
		st->used_bytes += m.chunks[i].used;
	}
	st->page_size = m.ready ? (m.anon ? 4096 : m.page_size) : 0;
	udrvi_unlock();
}

void *udrvi_mem_iova_to_va(uint64_t iova, size_t len)
{
	unsigned n = __atomic_load_n(&m.nchunks, __ATOMIC_ACQUIRE);

	if (len == 0)
		len = 1;
	for (unsigned i = 0; i < n; i++) {
		const struct chunk *c = &m.chunks[i];

		if (iova >= c->iova && iova - c->iova < c->len && len <= c->len - (iova - c->iova))
			return c->va + (iova - c->iova);
	}
	return NULL;
}

int udrvi_mem_container_attach(const struct udrvi_iova_range *ranges, unsigned n, uint32_t dma_avail)
{
	struct udrvi_iova_space s, full;
	uint64_t min_start = DEFAULT_IOVA_START;
	unsigned i;
	int ret;

	udrvi_lock();
	if (!m.ready && (ret = mem_setup()))
		goto out;
	for (i = 0; i < m.nchunks; i++)
		if (m.chunks[i].iova + m.chunks[i].len > min_start)
			min_start = m.chunks[i].iova + m.chunks[i].len;
	/* full: the IOMMU's ranges as reported, to check the chunks we have;
	 * s: the same above those chunks, for the chunks to come. */
	ret = n ? udrvi_iova_init(&full, ranges, n, 0) : default_iova_space(&full, 0);
	if (!ret)
		ret = n ? udrvi_iova_init(&s, ranges, n, min_start) : default_iova_space(&s, min_start);
	if (ret) {
		udrvi_err(NULL, "the IOMMU reported IOVA ranges udrv cannot use");
		goto out;
	}
	for (i = 0; i < m.nchunks; i++) {
		if (!udrvi_iova_contains(&full, m.chunks[i].iova, m.chunks[i].len)) {
			udrvi_err(NULL, "DMA chunk at IOVA 0x%llx lies outside the IOMMU's ranges: "
				  "open devices before allocating DMA memory",
				  (unsigned long long)m.chunks[i].iova);
			ret = -ERANGE;
			goto out;
		}
	}
	if (dma_avail && m.nchunks > dma_avail) {
		udrvi_err(NULL, "the IOMMU's DMA-mapping limit (%u) is below the %u chunks already allocated: "
			  "raise vfio_iommu_type1 dma_entry_limit", dma_avail, m.nchunks);
		ret = -ENOSPC;
		goto out;
	}
	m.container = true;
	if ((ret = check_memlock(0)))
		goto undo;
	for (i = 0; i < m.nchunks; i++) {
		ret = udrvi_vfio_dma_map(m.chunks[i].va, m.chunks[i].iova, m.chunks[i].len);
		if (ret) {
			while (i--)
				udrvi_vfio_dma_unmap(m.chunks[i].iova, m.chunks[i].len);
			goto undo;
		}
	}
	m.iova = s;
	m.dma_avail = dma_avail;
	m.maps = m.nchunks;
	goto out;
undo:
	m.container = false;
out:
	udrvi_unlock();
	return ret;
}

void udrvi_mem_container_detach(void)
{
	uint64_t t0 = udrvi_now_ns();

	udrvi_lock();
	if (m.container) {
		for (unsigned i = 0; i < m.nchunks; i++)
			udrvi_vfio_dma_unmap(m.chunks[i].iova, m.chunks[i].len);
		udrvi_timing(NULL, "dma chunks: iommu unmap", t0);
	}
	m.container = false;
	m.dma_avail = 0;
	m.maps = 0;
	udrvi_unlock();
}

void udrvi_mem_fini(void)
{
	udrvi_lock();
	if (!m.ready)
		goto out;
	udrvi_mem_container_detach();
	__atomic_store_n(&udrv_xlate_table.va_len, 0, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < m.nchunks; i++) {
		set_slots(&m.chunks[i], false);
		free(m.chunks[i].blocks);
	}
	m.nchunks = 0;
	munmap(m.base, m.window);
	free(m.slots);
	memset(&udrv_xlate_table, 0, sizeof(udrv_xlate_table));
	memset(&m, 0, sizeof(m));
out:
	udrvi_unlock();
}
