/* SPDX-License-Identifier: MIT */
/*
 * NVMe register, command and data structure layouts (NVM Express Base
 * Specification 1.4/2.0). Shared by the driver and the controller model.
 *
 * Registers are an enum of offsets plus SHIFT/MASK pairs read with
 * NVME_GET()/NVME_SET(). Commands and data structures are structs with
 * explicit reserved fields and a static assert of their size. Everything on
 * the wire is little-endian; udrv targets little-endian hosts only (asserted
 * below), so no conversion is spelled out at each access.
 */
#ifndef UDRV_NVME_REGS_H
#define UDRV_NVME_REGS_H

#include <assert.h>
#include <stdint.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "udrv's NVMe driver assumes a little-endian host"
#endif

/* Field accessors: NVME_GET(CAP_MQES, cap) reads CAP.MQES. */
#define NVME_GET(f, v) (((v) >> NVME_##f##_SHIFT) & NVME_##f##_MASK)
#define NVME_SET(f, x) (((uint64_t)(x) & NVME_##f##_MASK) << NVME_##f##_SHIFT)

/* Controller registers (base spec 3.1.3). */
enum nvme_reg {
	NVME_REG_CAP = 0x00,     /* Controller Capabilities, 64 bit */
	NVME_REG_VS = 0x08,      /* Version */
	NVME_REG_INTMS = 0x0c,   /* Interrupt Mask Set */
	NVME_REG_INTMC = 0x10,   /* Interrupt Mask Clear */
	NVME_REG_CC = 0x14,      /* Controller Configuration */
	NVME_REG_CSTS = 0x1c,    /* Controller Status */
	NVME_REG_NSSR = 0x20,    /* NVM Subsystem Reset */
	NVME_REG_AQA = 0x24,     /* Admin Queue Attributes */
	NVME_REG_ASQ = 0x28,     /* Admin SQ Base Address, 64 bit */
	NVME_REG_ACQ = 0x30,     /* Admin CQ Base Address, 64 bit */
	NVME_REG_CMBLOC = 0x38,  /* Controller Memory Buffer Location */
	NVME_REG_CMBSZ = 0x3c,   /* Controller Memory Buffer Size */
	NVME_REG_CMBMSC = 0x50,  /* CMB Memory Space Control, 64 bit (1.4) */
	NVME_REG_DBS = 0x1000,   /* first doorbell (SQ 0 tail) */
};

/* CAP (3.1.3.1) */
#define NVME_CAP_MQES_SHIFT 0   /* max queue entries, 0's based */
#define NVME_CAP_MQES_MASK 0xffffull
#define NVME_CAP_CQR_SHIFT 16   /* contiguous queues required */
#define NVME_CAP_CQR_MASK 0x1ull
#define NVME_CAP_TO_SHIFT 24    /* worst-case ready time, 500 ms units */
#define NVME_CAP_TO_MASK 0xffull
#define NVME_CAP_DSTRD_SHIFT 32 /* doorbell stride: 4 << DSTRD bytes */
#define NVME_CAP_DSTRD_MASK 0xfull
#define NVME_CAP_NSSRS_SHIFT 36
#define NVME_CAP_NSSRS_MASK 0x1ull
#define NVME_CAP_CSS_SHIFT 37   /* command sets supported */
#define NVME_CAP_CSS_MASK 0xffull
#define NVME_CAP_MPSMIN_SHIFT 48 /* 2^(12+MPSMIN) */
#define NVME_CAP_MPSMIN_MASK 0xfull
#define NVME_CAP_MPSMAX_SHIFT 52
#define NVME_CAP_MPSMAX_MASK 0xfull
#define NVME_CAP_CMBS_SHIFT 57
#define NVME_CAP_CMBS_MASK 0x1ull
#define NVME_CAP_CSS_NVM 0x01u

/* VS (3.1.3.2) */
#define NVME_VS_MJR_SHIFT 16
#define NVME_VS_MJR_MASK 0xffffu
#define NVME_VS_MNR_SHIFT 8
#define NVME_VS_MNR_MASK 0xffu
#define NVME_VS(mjr, mnr) (((uint32_t)(mjr) << 16) | ((uint32_t)(mnr) << 8))

/* CC (3.1.3.5) */
#define NVME_CC_EN_SHIFT 0
#define NVME_CC_EN_MASK 0x1u
#define NVME_CC_CSS_SHIFT 4
#define NVME_CC_CSS_MASK 0x7u
#define NVME_CC_MPS_SHIFT 7
#define NVME_CC_MPS_MASK 0xfu
#define NVME_CC_AMS_SHIFT 11
#define NVME_CC_AMS_MASK 0x7u
#define NVME_CC_SHN_SHIFT 14
#define NVME_CC_SHN_MASK 0x3u
#define NVME_CC_IOSQES_SHIFT 16
#define NVME_CC_IOSQES_MASK 0xfu
#define NVME_CC_IOCQES_SHIFT 20
#define NVME_CC_IOCQES_MASK 0xfu
#define NVME_CC_SHN_NORMAL 1u

/* CSTS (3.1.3.6) */
#define NVME_CSTS_RDY_SHIFT 0
#define NVME_CSTS_RDY_MASK 0x1u
#define NVME_CSTS_CFS_SHIFT 1
#define NVME_CSTS_CFS_MASK 0x1u
#define NVME_CSTS_SHST_SHIFT 2
#define NVME_CSTS_SHST_MASK 0x3u
#define NVME_CSTS_SHST_COMPLETE 2u

/* AQA (3.1.3.8): both 0's based */
#define NVME_AQA_ASQS_SHIFT 0
#define NVME_AQA_ASQS_MASK 0xfffu
#define NVME_AQA_ACQS_SHIFT 16
#define NVME_AQA_ACQS_MASK 0xfffu

/* CMBSZ (3.1.3.12) */
#define NVME_CMBSZ_SZU_SHIFT 8
#define NVME_CMBSZ_SZU_MASK 0xfu
#define NVME_CMBSZ_SZ_SHIFT 12
#define NVME_CMBSZ_SZ_MASK 0xfffffu

/* CMBMSC (NVMe 1.4, 3.1.22): CMBLOC and CMBSZ read 0 until CRE is set. */
#define NVME_CMBMSC_CRE_SHIFT 0  /* Capabilities Registers Enabled */
#define NVME_CMBMSC_CRE_MASK 0x1u
#define NVME_CMBMSC_CMSE_SHIFT 1 /* Controller Memory Space Enable (not used) */
#define NVME_CMBMSC_CMSE_MASK 0x1u

#define NVME_PAGE_SHIFT 12 /* the driver always uses CC.MPS = 0: 4 KiB pages */
#define NVME_PAGE_SIZE (1u << NVME_PAGE_SHIFT)

/* Submission queue entry (4.2). */
struct nvme_sqe {
	uint8_t opcode;
	uint8_t flags;       /* FUSE 1:0, PSDT 7:6 */
	uint16_t cid;
	uint32_t nsid;
	uint32_t cdw2;
	uint32_t cdw3;
	uint64_t mptr;
	uint64_t prp1;       /* or the first 8 bytes of SGL1 */
	uint64_t prp2;       /* or the last 8 bytes of SGL1 */
	uint32_t cdw10;
	uint32_t cdw11;
	uint32_t cdw12;
	uint32_t cdw13;
	uint32_t cdw14;
	uint32_t cdw15;
};
static_assert(sizeof(struct nvme_sqe) == 64, "SQE is 64 bytes");

#define NVME_SQE_PSDT_SHIFT 6
#define NVME_SQE_PSDT_MASK 0x3u
#define NVME_PSDT_PRP 0u
#define NVME_PSDT_SGL_MPTR_CONTIG 1u

/* Completion queue entry (4.6). */
struct nvme_cqe {
	uint32_t dw0;
	uint32_t dw1;
	uint16_t sqhd;
	uint16_t sqid;
	uint16_t cid;
	uint16_t status;     /* bit 0: phase tag; 15:1: status field */
};
static_assert(sizeof(struct nvme_cqe) == 16, "CQE is 16 bytes");

/* Status field (4.6.1), as a 16-bit value with the phase bit at bit 0. */
#define NVME_CQE_P_SHIFT 0
#define NVME_CQE_P_MASK 0x1u
#define NVME_CQE_SC_SHIFT 1
#define NVME_CQE_SC_MASK 0xffu
#define NVME_CQE_SCT_SHIFT 9
#define NVME_CQE_SCT_MASK 0x7u
#define NVME_CQE_DNR_SHIFT 15
#define NVME_CQE_DNR_MASK 0x1u

/* SGL descriptor (4.4). */
struct nvme_sgl_desc {
	uint64_t addr;
	uint32_t len;
	uint8_t rsvd[3];
	uint8_t type;        /* 7:4 type, 3:0 subtype */
};
static_assert(sizeof(struct nvme_sgl_desc) == 16, "SGL descriptor is 16 bytes");
#define NVME_SGL_TYPE_DATA_BLOCK 0x0u
#define NVME_SGL_TYPE_SEGMENT 0x2u
#define NVME_SGL_TYPE_LAST_SEGMENT 0x3u
#define NVME_SGL_ID(type) ((uint8_t)((type) << 4)) /* subtype 0: address */

/* Dataset Management range (NVM command set 3.2.3). */
struct nvme_dsm_range {
	uint32_t cattr;
	uint32_t nlb;
	uint64_t slba;
};
static_assert(sizeof(struct nvme_dsm_range) == 16, "DSM range is 16 bytes");

/* Admin opcodes (5). */
enum nvme_admin_opc {
	NVME_ADM_DELETE_SQ = 0x00,
	NVME_ADM_CREATE_SQ = 0x01,
	NVME_ADM_GET_LOG_PAGE = 0x02,
	NVME_ADM_DELETE_CQ = 0x04,
	NVME_ADM_CREATE_CQ = 0x05,
	NVME_ADM_IDENTIFY = 0x06,
	NVME_ADM_ABORT = 0x08,
	NVME_ADM_SET_FEATURES = 0x09,
	NVME_ADM_GET_FEATURES = 0x0a,
	NVME_ADM_ASYNC_EVENT = 0x0c,
	NVME_ADM_DBBUF_CONFIG = 0x7c,
};

/* NVM command set opcodes. */
enum nvme_io_opc {
	NVME_CMD_FLUSH = 0x00,
	NVME_CMD_WRITE = 0x01,
	NVME_CMD_READ = 0x02,
	NVME_CMD_COMPARE = 0x05,
	NVME_CMD_WRITE_ZEROES = 0x08,
	NVME_CMD_DSM = 0x09,
};

/* Read/Write CDW12 */
#define NVME_RW_NLB_SHIFT 0
#define NVME_RW_NLB_MASK 0xffffu
#define NVME_RW_FUA_SHIFT 30
#define NVME_RW_FUA_MASK 0x1u
#define NVME_DSM_NR_MASK 0xffu       /* CDW10, 0's based */
#define NVME_DSM_AD (1u << 2)        /* CDW11: attribute deallocate */

/* Identify CNS values (5.15). */
#define NVME_CNS_NS 0x00
#define NVME_CNS_CTRL 0x01
#define NVME_CNS_ACTIVE_NS_LIST 0x02

/* Feature ids (5.21.1). */
#define NVME_FEAT_NUM_QUEUES 0x07

/* Create I/O queue CDW11 flags */
#define NVME_QUEUE_PC 0x1u     /* physically contiguous */
#define NVME_CQ_IEN 0x2u       /* interrupts enabled (never set by udrv) */

/* Log page ids (5.14.1). */
#define NVME_LOG_ERROR 0x01
#define NVME_LOG_SMART 0x02

/* Identify Controller data structure: the fields udrv reads (5.15.2.2). */
enum nvme_id_ctrl_off {
	NVME_IDC_VID = 0,       /* u16 */
	NVME_IDC_SSVID = 2,     /* u16 */
	NVME_IDC_SN = 4,        /* 20 bytes ASCII */
	NVME_IDC_MN = 24,       /* 40 bytes ASCII */
	NVME_IDC_FR = 64,       /* 8 bytes ASCII */
	NVME_IDC_MDTS = 77,     /* u8, 2^n minimum pages, 0 = no limit */
	NVME_IDC_CNTLID = 78,   /* u16 */
	NVME_IDC_VER = 80,      /* u32 */
	NVME_IDC_OACS = 256,    /* u16 */
	NVME_IDC_ACL = 258,     /* u8, 0's based abort command limit */
	NVME_IDC_ELPE = 262,    /* u8, 0's based error log entries */
	NVME_IDC_LPA = 261,     /* u8 */
	NVME_IDC_SQES = 512,    /* u8 */
	NVME_IDC_CQES = 513,    /* u8 */
	NVME_IDC_NN = 516,      /* u32 */
	NVME_IDC_ONCS = 520,    /* u16 */
	NVME_IDC_VWC = 525,     /* u8 */
	NVME_IDC_SGLS = 536,    /* u32 */
	NVME_IDC_SIZE = 4096,
};
#define NVME_OACS_DBBUF (1u << 8)
#define NVME_ONCS_COMPARE (1u << 0)
#define NVME_ONCS_DSM (1u << 2)
#define NVME_ONCS_WRITE_ZEROES (1u << 3)
#define NVME_SGLS_SUPPORTED_MASK 0x3u

/* Identify Namespace data structure: the fields udrv reads (NVM CS 4.1.5.1). */
enum nvme_id_ns_off {
	NVME_IDN_NSZE = 0,      /* u64 */
	NVME_IDN_NCAP = 8,      /* u64 */
	NVME_IDN_NUSE = 16,     /* u64 */
	NVME_IDN_NLBAF = 25,    /* u8, 0's based */
	NVME_IDN_FLBAS = 26,    /* u8, format index in bits 3:0 */
	NVME_IDN_LBAF = 128,    /* 16 x u32 LBA formats */
	NVME_IDN_SIZE = 4096,
};
#define NVME_LBAF_MS_SHIFT 0
#define NVME_LBAF_MS_MASK 0xffffu
#define NVME_LBAF_LBADS_SHIFT 16
#define NVME_LBAF_LBADS_MASK 0xffu

/* SMART / Health log (5.14.1.2), 512 bytes. */
struct nvme_smart_log {
	uint8_t critical_warning;
	uint8_t temperature[2];
	uint8_t avail_spare;
	uint8_t spare_thresh;
	uint8_t percent_used;
	uint8_t endu_grp_crit_warn;
	uint8_t rsvd7[25];
	uint8_t data_units_read[16];
	uint8_t data_units_written[16];
	uint8_t host_reads[16];
	uint8_t host_writes[16];
	uint8_t ctrl_busy_time[16];
	uint8_t power_cycles[16];
	uint8_t power_on_hours[16];
	uint8_t unsafe_shutdowns[16];
	uint8_t media_errors[16];
	uint8_t num_err_log_entries[16];
	uint8_t rsvd192[320];
};
static_assert(sizeof(struct nvme_smart_log) == 512, "SMART log is 512 bytes");

/* Error Information log entry (5.14.1.1), 64 bytes. */
struct nvme_error_log {
	uint64_t error_count;
	uint16_t sqid;
	uint16_t cid;
	uint16_t status;
	uint16_t param_error_location;
	uint64_t lba;
	uint32_t nsid;
	uint8_t vs;
	uint8_t trtype;
	uint8_t rsvd30[2];
	uint64_t cs;
	uint16_t trtype_spec;
	uint8_t rsvd42[22];
};
static_assert(sizeof(struct nvme_error_log) == 64, "error log entry is 64 bytes");

/* Doorbell offset of SQ qid tail / CQ qid head (3.1.3.21, 3.1.3.22). */
static inline uint32_t nvme_sq_db_off(uint16_t qid, unsigned dstrd)
{
	return NVME_REG_DBS + (2u * qid) * (4u << dstrd);
}

static inline uint32_t nvme_cq_db_off(uint16_t qid, unsigned dstrd)
{
	return NVME_REG_DBS + (2u * qid + 1u) * (4u << dstrd);
}

/* Unaligned little-endian loads from identify data. */
static inline uint16_t nvme_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t nvme_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t nvme_le64(const uint8_t *p)
{
	return (uint64_t)nvme_le32(p) | (uint64_t)nvme_le32(p + 4) << 32;
}

static inline void nvme_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void nvme_put32(uint8_t *p, uint32_t v)
{
	nvme_put16(p, (uint16_t)v);
	nvme_put16(p + 2, (uint16_t)(v >> 16));
}

static inline void nvme_put64(uint8_t *p, uint64_t v)
{
	nvme_put32(p, (uint32_t)v);
	nvme_put32(p + 4, (uint32_t)(v >> 32));
}

#endif
