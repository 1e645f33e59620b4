/* SPDX-License-Identifier: MIT */
/*
 * udrv DMA memory: pinned hugepage chunks, IOVAs, aligned zeroed allocations.
 *
 * Memory is taken from hugetlbfs in large chunks, each contiguous in virtual
 * and IOVA space with the IOVA aligned to the page size, and mapped into the
 * process's VFIO container with one map call per chunk. All chunks live in one
 * reserved virtual window, so translating a virtual address to its IOVA is a
 * table lookup (udrv_virt_to_iova) with no search and no system call.
 *
 * Stability: a chunk never moves and keeps its IOVA until udrv_fini(), also
 * across devices closing and opening (a new VFIO container maps it again at
 * the same IOVA), so a driver may cache the translation of a 2 MiB slot.
 *
 * Thread safety: udrv_dma_alloc/udrv_dma_free/udrv_mem_stats are thread safe
 * (a runtime lock, not for the data path). udrv_virt_to_iova is lock free and
 * may be called from any thread for memory that is allocated.
 */
#ifndef UDRV_MEM_H
#define UDRV_MEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UDRV_IOVA_INVALID UINT64_MAX

/* udrv_dma_alloc - zeroed memory that every device of the process can DMA to.
 * @size:  bytes, > 0
 * @align: a power of two, at most the hugepage size; 0 means 64
 * @va:    receives the virtual address
 * @iova:  receives the device-visible address (NULL: not wanted; see
 *         udrv_virt_to_iova)
 * Returns 0; -ENOMEM (no hugepages, memlock limit, IOVA space, or size beyond
 * the DMA window udrv_opts.va_window: the log says which and the fix);
 * -EINVAL (size 0, align not a power of two or above the page size).
 * Initialises the runtime with defaults if needed.
 * Context: any thread. Ownership: the caller's until udrv_dma_free(); all of
 * it is released by udrv_fini(). */
int udrv_dma_alloc(size_t size, size_t align, void **va, uint64_t *iova);

/* udrv_dma_free - give back memory from udrv_dma_alloc.
 * @va: the address udrv_dma_alloc returned, or NULL (ignored)
 * No device may still be using it. Context: any thread. */
void udrv_dma_free(void *va);

struct udrv_mem_stats {
	size_t chunks;        /* chunks mapped */
	size_t mapped_bytes;  /* bytes in those chunks */
	size_t used_bytes;    /* bytes handed out by udrv_dma_alloc */
	size_t page_size;     /* hugepage size in use (4096 when UDRV_MEM=anon) */
};
/* udrv_mem_stats - fill @st with the DMA memory in use (all zero before the
 * runtime is initialised). Context: any thread. */
void udrv_mem_stats(struct udrv_mem_stats *st);

/* --- constant-time translation (the table is private; use the inline) --- */
#define UDRV_XLATE_SHIFT 21 /* one entry per 2 MiB of the window */
struct udrv_xlate {
	uintptr_t va_base;
	uintptr_t va_len;
	const uint64_t *slot_iova; /* IOVA of each 2 MiB slot, UDRV_IOVA_INVALID if unmapped */
};
/* udrv_xlate_table - the translation table udrv_virt_to_iova reads: exported
 * only for that inline. Written by the runtime under its lock, read lock free.
 * Context: read-only to applications, any thread. */
extern struct udrv_xlate udrv_xlate_table;

/* udrv_virt_to_iova - the device-visible address of a byte of DMA memory.
 * @va: any address
 * Returns its IOVA, or UDRV_IOVA_INVALID if @va is not udrv DMA memory.
 * Constant time, lock free, no system call. Context: any thread. */
static inline uint64_t udrv_virt_to_iova(const void *va)
{
	uintptr_t off = (uintptr_t)va - udrv_xlate_table.va_base;
	uint64_t slot;

	if (off >= udrv_xlate_table.va_len)
		return UDRV_IOVA_INVALID;
	slot = udrv_xlate_table.slot_iova[off >> UDRV_XLATE_SHIFT];
	if (slot == UDRV_IOVA_INVALID)
		return UDRV_IOVA_INVALID;
	return slot + (off & ((1ul << UDRV_XLATE_SHIFT) - 1));
}

#ifdef __cplusplus
}
#endif
#endif
