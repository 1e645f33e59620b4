/* SPDX-License-Identifier: MIT */
/* The virtio PCI capability parser on hand-made config spaces (pure logic). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <udrv/log.h>

#include "../../../drivers/net/virtio/virtio_pci.h"

static const uint64_t bars[6] = { 0x4000, 0, 0, 0, 0x1000, 0 };

static void put_cap(uint8_t *cfg, unsigned at, unsigned next, unsigned len, unsigned type,
		    unsigned bar, uint32_t off, uint32_t length)
{
	cfg[at] = PCI_CAP_ID_VNDR;
	cfg[at + 1] = (uint8_t)next;
	cfg[at + 2] = (uint8_t)len;
	cfg[at + 3] = (uint8_t)type;
	cfg[at + 4] = (uint8_t)bar;
	memcpy(cfg + at + 8, &off, 4);
	memcpy(cfg + at + 12, &length, 4);
}

/* Common in BAR0 at 0, notify in BAR4, device in BAR0 at 0x2000. */
static void good_cfg(uint8_t *cfg)
{
	uint32_t mult = 4;

	memset(cfg, 0, PCI_CFG_SIZE);
	cfg[PCI_CFG_STATUS] = PCI_STATUS_CAP_LIST;
	cfg[PCI_CFG_CAP_PTR] = 0x40;
	put_cap(cfg, 0x40, 0x60, 16, VIRTIO_PCI_CAP_COMMON_CFG, 0, 0, 0x38);
	put_cap(cfg, 0x60, 0x80, 20, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, 0, 0x1000);
	memcpy(cfg + 0x60 + 16, &mult, 4);
	put_cap(cfg, 0x80, 0xa0, 16, VIRTIO_PCI_CAP_ISR_CFG, 0, 0x1000, 1);
	put_cap(cfg, 0xa0, 0, 16, VIRTIO_PCI_CAP_DEVICE_CFG, 0, 0x2000, 0x100);
}

static void caps_parse__accepts_valid_layout(void **state)
{
	struct udrvi_vpci_caps caps;
	uint8_t cfg[PCI_CFG_SIZE];

	good_cfg(cfg);
	assert_int_equal(udrvi_vpci_parse_caps(cfg, bars, &caps, "t"), 0);
	assert_int_equal(caps.notify.bar, 4);
	assert_int_equal(caps.notify_mult, 4);
	assert_int_equal(caps.device.off, 0x2000);
	assert_true(caps.isr.present);
}

static void caps_parse__rejects_offset_beyond_bar(void **state)
{
	struct udrvi_vpci_caps caps;
	uint8_t cfg[PCI_CFG_SIZE];

	good_cfg(cfg);
	put_cap(cfg, 0xa0, 0, 16, VIRTIO_PCI_CAP_DEVICE_CFG, 0, 0x4000, 0x10);
	assert_int_equal(udrvi_vpci_parse_caps(cfg, bars, &caps, "t"), -EPROTO);
}

static void caps_parse__rejects_length_past_bar_end(void **state)
{
	struct udrvi_vpci_caps caps;
	uint8_t cfg[PCI_CFG_SIZE];

	good_cfg(cfg);
	put_cap(cfg, 0x60, 0x80, 20, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, 0x800, 0x801);
	assert_int_equal(udrvi_vpci_parse_caps(cfg, bars, &caps, "t"), -EPROTO);
}

static void caps_parse__rejects_offset_plus_length_wrapping(void **state)
{
	struct udrvi_vpci_caps caps;
	uint8_t cfg[PCI_CFG_SIZE];

	good_cfg(cfg);
	put_cap(cfg, 0x40, 0x60, 16, VIRTIO_PCI_CAP_COMMON_CFG, 0, 0xfffffff0u, 0x40);
	assert_int_equal(udrvi_vpci_parse_caps(cfg, bars, &caps, "t"), -EPROTO);
}

static void caps_parse__rejects_absent_bar(void **state)
{
	struct udrvi_vpci_caps caps;
	uint8_t cfg[PCI_CFG_SIZE];

	good_cfg(cfg);
	put_cap(cfg, 0x40, 0x60, 16, VIRTIO_PCI_CAP_COMMON_CFG, 2, 0, 0x38);
	assert_int_equal(udrvi_vpci_parse_caps(cfg, bars, &caps, "t"), -EPROTO);
}

static void caps_parse__skips_reserved_bar_number(void **state)
{
	struct udrvi_vpci_caps caps;
	uint8_t cfg[PCI_CFG_SIZE];

	/* A capability naming BAR 7 is skipped (4.1.4); without another common
	 * capability the device is refused. */
	good_cfg(cfg);
	put_cap(cfg, 0x40, 0x60, 16, VIRTIO_PCI_CAP_COMMON_CFG, 7, 0, 0x38);
	assert_int_equal(udrvi_vpci_parse_caps(cfg, bars, &caps, "t"), -EPROTO);
}

static void caps_parse__rejects_capability_running_past_config(void **state)
{
	struct udrvi_vpci_caps caps;
	uint8_t cfg[PCI_CFG_SIZE];

	good_cfg(cfg);
	cfg[0xa0 + 2] = 0x70; /* 0xa0 + 0x70 > 256 */
	assert_int_equal(udrvi_vpci_parse_caps(cfg, bars, &caps, "t"), -EPROTO);
}

static void caps_parse__rejects_pointer_into_header_or_past_end(void **state)
{
	struct udrvi_vpci_caps caps;
	uint8_t cfg[PCI_CFG_SIZE];

	good_cfg(cfg);
	cfg[0x80 + 1] = 0x10;
	assert_int_equal(udrvi_vpci_parse_caps(cfg, bars, &caps, "t"), -EPROTO);
	good_cfg(cfg);
	cfg[0x80 + 1] = 0xfe; /* masked to 0xfc: only 4 bytes left */
	cfg[0xfc] = 0x11;
	cfg[0xfd] = 0xa0;
	assert_int_equal(udrvi_vpci_parse_caps(cfg, bars, &caps, "t"), 0);
}

static void caps_parse__rejects_capability_loop(void **state)
{
	struct udrvi_vpci_caps caps;
	uint8_t cfg[PCI_CFG_SIZE];

	good_cfg(cfg);
	cfg[0xa0 + 1] = 0x40;
	assert_int_equal(udrvi_vpci_parse_caps(cfg, bars, &caps, "t"), -EPROTO);
}

static void caps_parse__rejects_short_notify_capability(void **state)
{
	struct udrvi_vpci_caps caps;
	uint8_t cfg[PCI_CFG_SIZE];

	good_cfg(cfg);
	cfg[0x60 + 2] = 16; /* no room for notify_off_multiplier */
	assert_int_equal(udrvi_vpci_parse_caps(cfg, bars, &caps, "t"), -EPROTO);
}

static void caps_parse__rejects_missing_structures(void **state)
{
	struct udrvi_vpci_caps caps;
	uint8_t cfg[PCI_CFG_SIZE];

	good_cfg(cfg);
	cfg[0x80 + 1] = 0; /* device cfg cut off the list */
	assert_int_equal(udrvi_vpci_parse_caps(cfg, bars, &caps, "t"), -EPROTO);
	good_cfg(cfg);
	cfg[PCI_CFG_STATUS] = 0;
	assert_int_equal(udrvi_vpci_parse_caps(cfg, bars, &caps, "t"), -EPROTO);
}

static void caps_parse__rejects_common_cfg_too_short(void **state)
{
	struct udrvi_vpci_caps caps;
	uint8_t cfg[PCI_CFG_SIZE];

	good_cfg(cfg);
	put_cap(cfg, 0x40, 0x60, 16, VIRTIO_PCI_CAP_COMMON_CFG, 0, 0, 0x20);
	assert_int_equal(udrvi_vpci_parse_caps(cfg, bars, &caps, "t"), -EPROTO);
}

static void caps_parse__uses_first_capability_of_a_type(void **state)
{
	struct udrvi_vpci_caps caps;
	uint8_t cfg[PCI_CFG_SIZE];

	good_cfg(cfg);
	cfg[0xa0 + 1] = 0xc0;
	put_cap(cfg, 0xc0, 0, 16, VIRTIO_PCI_CAP_DEVICE_CFG, 0, 0x3000, 0x10);
	assert_int_equal(udrvi_vpci_parse_caps(cfg, bars, &caps, "t"), 0);
	assert_int_equal(caps.device.off, 0x2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(caps_parse__accepts_valid_layout),
		cmocka_unit_test(caps_parse__rejects_offset_beyond_bar),
		cmocka_unit_test(caps_parse__rejects_length_past_bar_end),
		cmocka_unit_test(caps_parse__rejects_offset_plus_length_wrapping),
		cmocka_unit_test(caps_parse__rejects_absent_bar),
		cmocka_unit_test(caps_parse__skips_reserved_bar_number),
		cmocka_unit_test(caps_parse__rejects_capability_running_past_config),
		cmocka_unit_test(caps_parse__rejects_pointer_into_header_or_past_end),
		cmocka_unit_test(caps_parse__rejects_capability_loop),
		cmocka_unit_test(caps_parse__rejects_short_notify_capability),
		cmocka_unit_test(caps_parse__rejects_missing_structures),
		cmocka_unit_test(caps_parse__rejects_common_cfg_too_short),
		cmocka_unit_test(caps_parse__uses_first_capability_of_a_type),
	};

	udrv_log_set_level(UDRV_LOG_ERROR + 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
