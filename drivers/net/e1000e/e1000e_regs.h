/* SPDX-License-Identifier: MIT */
/* Private: Intel 82574L registers and descriptors (82574 datasheet, chapter 10
 * registers, 7.1.4 legacy receive descriptor, 7.2.10.1 legacy transmit). */
#ifndef UDRVI_E1000E_REGS_H
#define UDRVI_E1000E_REGS_H

#include <stdint.h>

#define E1000E_VENDOR 0x8086
#define E1000E_DEVICE_82574L 0x10d3
#define E1000E_BAR0_MIN 0x8000 /* highest register we touch is below this */

enum e1000e_reg {
	E1000_CTRL = 0x0000,
	E1000_STATUS = 0x0008,
	E1000_EECD = 0x0010,
	E1000_EERD = 0x0014,
	E1000_CTRL_EXT = 0x0018,
	E1000_ICR = 0x00c0,
	E1000_IMC = 0x00d8,
	E1000_RCTL = 0x0100,
	E1000_TCTL = 0x0400,
	E1000_TIPG = 0x0410,
	E1000_RDBAL = 0x2800,
	E1000_RDBAH = 0x2804,
	E1000_RDLEN = 0x2808,
	E1000_RDH = 0x2810,
	E1000_RDT = 0x2818,
	E1000_RDTR = 0x2820,
	E1000_RXDCTL = 0x2828,
	E1000_RADV = 0x282c,
	E1000_TDBAL = 0x3800,
	E1000_TDBAH = 0x3804,
	E1000_TDLEN = 0x3808,
	E1000_TDH = 0x3810,
	E1000_TDT = 0x3818,
	E1000_TIDV = 0x3820,
	E1000_TXDCTL = 0x3828,
	E1000_TADV = 0x382c,
	E1000_CRCERRS = 0x4000,
	E1000_RXERRC = 0x400c,
	E1000_MPC = 0x4010,
	E1000_RLEC = 0x4040,
	E1000_GPRC = 0x4074,
	E1000_GPTC = 0x4080,
	E1000_RXCSUM = 0x5000,
	E1000_MTA = 0x5200,  /* 128 x 32 bit */
	E1000_RAL0 = 0x5400,
	E1000_RAH0 = 0x5404,
};

#define FIELD_GET(mask, v) (((v) & (mask)) >> __builtin_ctz(mask))
#define FIELD_SET(mask, v) (((uint32_t)(v) << __builtin_ctz(mask)) & (mask))

/* CTRL (10.2.2.1) */
#define E1000_CTRL_FD (1u << 0)
#define E1000_CTRL_GIO_MASTER_DISABLE (1u << 2)
#define E1000_CTRL_ASDE (1u << 5)
#define E1000_CTRL_SLU (1u << 6)
#define E1000_CTRL_RST (1u << 26)
#define E1000_CTRL_PHY_RST (1u << 31)
/* STATUS (10.2.2.2) */
#define E1000_STATUS_FD (1u << 0)
#define E1000_STATUS_LU (1u << 1)
#define E1000_STATUS_SPEED_MASK (3u << 6)
#define E1000_STATUS_GIO_MASTER_EN (1u << 19)
/* EECD / EERD (10.2.2.3, 10.2.2.4) */
#define E1000_EECD_AUTO_RD (1u << 9)
#define E1000_EERD_START (1u << 0)
#define E1000_EERD_DONE (1u << 1)
#define E1000_EERD_ADDR_MASK 0x0000fffcu
#define E1000_EERD_DATA_MASK 0xffff0000u
/* RCTL (10.2.5.1) */
#define E1000_RCTL_EN (1u << 1)
#define E1000_RCTL_SBP (1u << 2)
#define E1000_RCTL_UPE (1u << 3)
#define E1000_RCTL_MPE (1u << 4)
#define E1000_RCTL_LPE (1u << 5)
#define E1000_RCTL_BAM (1u << 15)
#define E1000_RCTL_BSIZE_MASK (3u << 16) /* 00: 2048 bytes with BSEX 0 */
#define E1000_RCTL_BSEX (1u << 25)
#define E1000_RCTL_SECRC (1u << 26)
/* TCTL (10.2.6.1) */
#define E1000_TCTL_EN (1u << 1)
#define E1000_TCTL_PSP (1u << 3)
#define E1000_TCTL_CT_MASK (0xffu << 4)
#define E1000_TCTL_COLD_MASK (0x3ffu << 12)
/* TIPG (10.2.6.2): IPGT 8, IPGR1 8, IPGR2 6 for IEEE 802.3 */
#define E1000_TIPG_DEFAULT (8u | (8u << 10) | (6u << 20))
/* RXDCTL / TXDCTL (10.2.5.13, 10.2.6.13) */
#define E1000_XDCTL_GRAN (1u << 24)
#define E1000_TXDCTL_WTHRESH_MASK (0x3fu << 16)
/* RXCSUM (10.2.5.16) */
#define E1000_RXCSUM_IPOFLD (1u << 8)
#define E1000_RXCSUM_TUOFLD (1u << 9)
#define E1000_RAH_AV (1u << 31)

/* Legacy receive descriptor (7.1.4) */
struct e1000_rx_desc {
	uint64_t addr;
	uint16_t length;
	uint16_t csum;
	uint8_t status;
	uint8_t errors;
	uint16_t special;
};
_Static_assert(sizeof(struct e1000_rx_desc) == 16, "legacy rx descriptor is 16 bytes");
#define E1000_RXD_STAT_DD 0x01
#define E1000_RXD_STAT_EOP 0x02
#define E1000_RXD_STAT_IXSM 0x04
#define E1000_RXD_STAT_TCPCS 0x20
#define E1000_RXD_STAT_IPCS 0x40
#define E1000_RXD_ERR_CE 0x01
#define E1000_RXD_ERR_SE 0x02
#define E1000_RXD_ERR_SEQ 0x04
#define E1000_RXD_ERR_CXE 0x10
#define E1000_RXD_ERR_TCPE 0x20
#define E1000_RXD_ERR_IPE 0x40
#define E1000_RXD_ERR_RXE 0x80
#define E1000_RXD_ERR_FRAME (E1000_RXD_ERR_CE | E1000_RXD_ERR_SE | E1000_RXD_ERR_SEQ | \
			     E1000_RXD_ERR_CXE | E1000_RXD_ERR_RXE)

/* Legacy transmit descriptor (7.2.10.1) */
struct e1000_tx_desc {
	uint64_t addr;
	uint16_t length;
	uint8_t cso;
	uint8_t cmd;
	uint8_t status;
	uint8_t css;
	uint16_t special;
};
_Static_assert(sizeof(struct e1000_tx_desc) == 16, "legacy tx descriptor is 16 bytes");
#define E1000_TXD_CMD_EOP 0x01
#define E1000_TXD_CMD_IFCS 0x02
#define E1000_TXD_CMD_RS 0x08
#define E1000_TXD_STAT_DD 0x01

#endif
