/* SPDX-License-Identifier: MIT */
/* Human-readable NVMe status values for log messages and tools. */
#include <stdio.h>

#include "nvme_priv.h"

static const char *generic_sc(unsigned sc)
{
	switch (sc) {
	case 0x00: return "Successful Completion";
	case 0x01: return "Invalid Command Opcode";
	case 0x02: return "Invalid Field in Command";
	case 0x03: return "Command ID Conflict";
	case 0x04: return "Data Transfer Error";
	case 0x05: return "Commands Aborted due to Power Loss Notification";
	case 0x06: return "Internal Error";
	case 0x07: return "Command Abort Requested";
	case 0x08: return "Command Aborted due to SQ Deletion";
	case 0x0b: return "Invalid Namespace or Format";
	case 0x0f: return "Invalid SGL Segment Descriptor";
	case 0x13: return "Invalid PRP Offset";
	case 0x80: return "LBA Out of Range";
	case 0x81: return "Capacity Exceeded";
	case 0x82: return "Namespace Not Ready";
	default: return NULL;
	}
}

static const char *specific_sc(unsigned sc)
{
	switch (sc) {
	case 0x00: return "Completion Queue Invalid";
	case 0x01: return "Invalid Queue Identifier";
	case 0x02: return "Invalid Queue Size";
	case 0x03: return "Abort Command Limit Exceeded";
	case 0x0c: return "Invalid Queue Deletion";
	case 0x0e: return "Feature Not Changeable";
	default: return NULL;
	}
}

static const char *media_sc(unsigned sc)
{
	switch (sc) {
	case 0x80: return "Write Fault";
	case 0x81: return "Unrecovered Read Error";
	case 0x85: return "Compare Failure";
	case 0x86: return "Access Denied";
	case 0x87: return "Deallocated or Unwritten Logical Block";
	default: return NULL;
	}
}

const char *udrv_nvme_status_str(uint16_t status, char *buf, size_t len)
{
	unsigned sct = UDRV_NVME_SCT(status), sc = UDRV_NVME_SC(status);
	const char *s = NULL;

	switch (sct) {
	case 0: s = generic_sc(sc); break;
	case 1: s = specific_sc(sc); break;
	case 2: s = media_sc(sc); break;
	case 3: s = sc == 0x71 ? "Host Aborted Command (timeout, reset or device failure)" : NULL;
		break;
	default: break;
	}
	snprintf(buf, len, "SCT %u SC 0x%02x%s%s%s", sct, sc, s ? " " : "", s ? s : "",
		 UDRV_NVME_DNR(status) ? " (DNR)" : "");
	return buf;
}
