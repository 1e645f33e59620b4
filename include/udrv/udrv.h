/* SPDX-License-Identifier: MIT */
/*
 * udrv: userspace polled-mode drivers for NVMe SSDs and NICs. The umbrella header.
 *
 * Conventions of every public header (the reference comments above each
 * function -- "name - what it does", @parameters, Returns, Context,
 * Ownership -- say only what differs; tests/api/check-doc-comments.py checks
 * that every exported function has one):
 *
 * Returns     int functions return 0 (or a count) on success and a negative
 *             errno on failure; the error is logged with what went wrong and
 *             how to fix it (except a NULL handle or pointer, and where a
 *             comment says "not logged"), and udrv_last_error() returns that
 *             message on the calling thread.
 *             Functions returning a pointer return NULL on failure.
 *             Out-parameters are written only on success (a handle's out
 *             pointer may be set to NULL on failure).
 * Options     structs named *_opts start with `size_t size` (set it to
 *             sizeof the struct: the struct can grow without breaking callers);
 *             a NULL opts pointer and zero fields mean the documented defaults.
 * Handles     control objects (devices, controllers, queue pairs, ports,
 *             pools) are opaque pointers made by the _open and _create calls,
 *             owned by the caller until the matching _close or _destroy (NULL
 *             accepted where it says so). A handle must outlive everything
 *             created from it (close a controller before its device).
 * Context     "any thread": thread safe, may take a lock (control path).
 *             "owner thread": the object belongs to one thread at a time; calls
 *             on it must not race (data path: no lock, no system call).
 *             "callback": what a completion callback may call is listed with it.
 * Memory      data buffers handed to a device are udrv DMA memory
 *             (udrv_dma_alloc, a udrv pool); the caller keeps them valid and
 *             untouched until the request's callback has run.
 */
#ifndef UDRV_UDRV_H
#define UDRV_UDRV_H

#include <udrv/log.h>
#include <udrv/runtime.h>
#include <udrv/mem.h>
#include <udrv/pool.h>
#include <udrv/dev.h>
#include <udrv/mmio.h>
#include <udrv/model.h>
#include <udrv/nvme.h>
#include <udrv/blk.h>
#include <udrv/net.h>
#include <udrv/net_hdr.h>

#define UDRV_VERSION_MAJOR 0
#define UDRV_VERSION_MINOR 1

#endif
