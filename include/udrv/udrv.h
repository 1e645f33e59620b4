/* SPDX-License-Identifier: MIT */
/* udrv: userspace polled-mode drivers for NVMe SSDs and NICs. The umbrella header. */
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
