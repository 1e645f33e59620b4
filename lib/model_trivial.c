/* SPDX-License-Identifier: MIT */
/* The trivial register-only model (see <udrv/model.h>): the runtime's own test device. */
#include <udrv/mmio.h>
#include <udrv/model.h>

static int trivial_init(void *ctx, struct udrv_dev *dev)
{
	(void)ctx;
	udrv_mmio_write32(udrv_model_bar(dev, 0), UDRV_TRIVIAL_ID, UDRV_TRIVIAL_MAGIC);
	return 0;
}

static bool trivial_poll(void *ctx, struct udrv_dev *dev)
{
	volatile uint8_t *bar = udrv_model_bar(dev, 0);
	uint32_t db = udrv_mmio_read32(bar, UDRV_TRIVIAL_DOORBELL);

	(void)ctx;
	if (!db)
		return false;
	udrv_mmio_write32(bar, UDRV_TRIVIAL_DOORBELL, 0);
	udrv_mmio_write32(bar, UDRV_TRIVIAL_ECHO, db);
	udrv_mmio_write32(bar, UDRV_TRIVIAL_COUNT, udrv_mmio_read32(bar, UDRV_TRIVIAL_COUNT) + 1);
	return true;
}

static void trivial_reset(void *ctx, struct udrv_dev *dev)
{
	volatile uint8_t *bar = udrv_model_bar(dev, 0);

	for (uint32_t off = 4; off <= UDRV_TRIVIAL_COUNT; off += 4)
		udrv_mmio_write32(bar, off, 0);
	(void)ctx;
}

const struct udrv_model_ops udrv_model_trivial_ops = {
	.size = sizeof(struct udrv_model_ops),
	.vendor = 0x1b36,
	.device = 0xffff,
	.class_code = 0xff0000,
	.bar_size = { 4096 },
	.init = trivial_init,
	.poll = trivial_poll,
	.reset = trivial_reset,
};
