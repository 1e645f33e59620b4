/* SPDX-License-Identifier: MIT */
/*
 * MMIO accessors and barriers for device registers and DMA memory shared with
 * a device. Userspace has no ordering built into an MMIO store (unlike the
 * kernel's writel), so every caller names what it orders, at the call site.
 *
 * On x86-64, stores are not reordered with other stores and MMIO (UC) accesses
 * are strongly ordered, so udrv_wmb() before a doorbell is a compiler barrier
 * plus an sfence for write-combining safety; udrv_rmb() after reading a phase
 * bit or a used index orders the later reads of the entry.
 *
 * Thread safety: these are plain accessors; callers own the ordering.
 */
#ifndef UDRV_MMIO_H
#define UDRV_MMIO_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__x86_64__) || defined(__i386__)
/* Stores to DMA memory before this are visible to the device before later stores. */
#define udrv_wmb() __asm__ __volatile__("sfence" ::: "memory")
/* Loads after this are not satisfied before loads before it (device-written data). */
#define udrv_rmb() __asm__ __volatile__("lfence" ::: "memory")
/* Full barrier: stores before are visible before loads after (shadow doorbells). */
#define udrv_mb() __asm__ __volatile__("mfence" ::: "memory")
/* Loads of coherent DMA memory (write-back: rings, not MMIO) after this are
 * not satisfied before loads before it. x86 never reorders loads with older
 * loads (SDM vol. 3, 9.2.2), so only the compiler needs telling; Linux's
 * dma_rmb() is barrier() on x86 for the same reason. */
#define udrv_dma_rmb() __asm__ __volatile__("" ::: "memory")
#else
#define udrv_dma_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define udrv_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define udrv_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define udrv_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif
/* Orders only the compiler (DMA memory the device reads, on strongly ordered CPUs). */
#define udrv_compiler_barrier() __asm__ __volatile__("" ::: "memory")

/* udrv_mmio_read32 - one volatile 32-bit load of the register at byte
 * offset @off (naturally aligned) of a mapped BAR (or of DMA memory the
 * device writes) at @base. No barrier: order device-written data with
 * udrv_rmb(). Context: any thread; no lock, no system call. */
static inline uint32_t udrv_mmio_read32(const volatile void *base, uint32_t off)
{
	return *(const volatile uint32_t *)((const volatile uint8_t *)base + off);
}

/* udrv_mmio_write32 - one volatile 32-bit store of @v to the register at
 * byte offset @off (naturally aligned) of a mapped BAR at @base. No barrier:
 * stores to DMA memory the device will read need udrv_wmb() before it.
 * Context: any thread; no lock, no system call. */
static inline void udrv_mmio_write32(volatile void *base, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)((volatile uint8_t *)base + off) = v;
}

/* udrv_mmio_read16 - as udrv_mmio_read32, 16 bits. Context: any thread. */
static inline uint16_t udrv_mmio_read16(const volatile void *base, uint32_t off)
{
	return *(const volatile uint16_t *)((const volatile uint8_t *)base + off);
}

/* udrv_mmio_write16 - as udrv_mmio_write32, 16 bits. Context: any thread. */
static inline void udrv_mmio_write16(volatile void *base, uint32_t off, uint16_t v)
{
	*(volatile uint16_t *)((volatile uint8_t *)base + off) = v;
}

/* udrv_mmio_read8 - as udrv_mmio_read32, 8 bits. Context: any thread. */
static inline uint8_t udrv_mmio_read8(const volatile void *base, uint32_t off)
{
	return *((const volatile uint8_t *)base + off);
}

/* udrv_mmio_write8 - as udrv_mmio_write32, 8 bits. Context: any thread. */
static inline void udrv_mmio_write8(volatile void *base, uint32_t off, uint8_t v)
{
	*((volatile uint8_t *)base + off) = v;
}

/* udrv_mmio_read64 - a 64-bit register (NVMe CAP, ASQ, ACQ) at @off as two
 * 32-bit loads, low first: the NVMe spec allows it and not every platform
 * does 64-bit MMIO atomically, so the value is not read atomically.
 * Context: any thread. */
static inline uint64_t udrv_mmio_read64(const volatile void *base, uint32_t off)
{
	uint64_t lo = udrv_mmio_read32(base, off);
	uint64_t hi = udrv_mmio_read32(base, off + 4);
	return lo | hi << 32;
}

/* udrv_mmio_write64 - @v to a 64-bit register at @off as two 32-bit
 * stores, low dword first (not atomic). Context: any thread. */
static inline void udrv_mmio_write64(volatile void *base, uint32_t off, uint64_t v)
{
	udrv_mmio_write32(base, off, (uint32_t)v);
	udrv_mmio_write32(base, off + 4, (uint32_t)(v >> 32));
}

#ifdef __cplusplus
}
#endif
#endif
