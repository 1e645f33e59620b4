/* SPDX-License-Identifier: MIT */
/*
 * The ublk uapi as udrv uses it. <linux/ublk_cmd.h> from the build host's
 * linux-libc-dev gives the structures (Debian 12: Linux 6.1's); what newer
 * kernels added (ioctl-encoded opcodes since 6.3, GET_FEATURES since 6.5)
 * is spelled out here from the kernel's uapi (Documentation/block/ublk.rst),
 * so a binary built on an older header still speaks to a 6.12 kernel.
 */
#ifndef UDRVI_UBLK_ABI_H
#define UDRVI_UBLK_ABI_H

#include <linux/ioctl.h>
#include <linux/ublk_cmd.h>

#ifndef UBLK_F_CMD_IOCTL_ENCODE
#define UBLK_F_CMD_IOCTL_ENCODE (1ULL << 6)
#endif
#ifndef UBLK_F_USER_RECOVERY_REISSUE
#define UBLK_F_USER_RECOVERY_REISSUE (1ULL << 4)
#endif

/* Control commands, ioctl-encoded ('u', nr, struct ublksrv_ctrl_cmd). */
#define UDRVI_UBLK_CTRL_OP(dir, nr) _IOC(dir, 'u', nr, sizeof(struct ublksrv_ctrl_cmd))
#define UDRVI_UBLK_GET_FEATURES_NR 0x13
/* DEL_DEV without waiting for the last opener of /dev/ublkbN (Linux 6.9+). */
#define UDRVI_UBLK_DEL_DEV_ASYNC_NR 0x14
#define UDRVI_UBLK_FEATURES_LEN 8

/* I/O commands, ioctl-encoded ('u', nr, struct ublksrv_io_cmd). */
#define UDRVI_UBLK_IO_OP(nr) _IOC(_IOC_READ | _IOC_WRITE, 'u', nr, sizeof(struct ublksrv_io_cmd))

/* The mmap'ed descriptor area of queue q starts at q times the area of a
 * queue of the largest depth (kernel: ublk_max_cmd_buf_size()). */
#define UDRVI_UBLK_DESC_STRIDE(page) \
	(((UBLK_MAX_QUEUE_DEPTH * sizeof(struct ublksrv_io_desc)) + (page) - 1) / (page) * (page))

_Static_assert(sizeof(struct ublksrv_ctrl_cmd) == 32, "ublksrv_ctrl_cmd is 32 bytes");
_Static_assert(sizeof(struct ublksrv_io_cmd) == 16, "ublksrv_io_cmd fits a 64-byte SQE");
_Static_assert(sizeof(struct ublksrv_io_desc) == 24, "ublksrv_io_desc is 24 bytes");
_Static_assert(sizeof(struct ublksrv_ctrl_dev_info) == 64, "ublksrv_ctrl_dev_info is 64 bytes");

#endif
