/* SPDX-License-Identifier: MIT */
/*
 * The smallest udrv program: allocate DMA memory, open a device (the trivial
 * in-process model, or a real device by BDF), read a register, and print
 * where the memory sits for the device.
 *
 *   cc dma_hello.c $(pkg-config --cflags --libs udrv) -o dma_hello
 *   UDRV_MEM=anon ./dma_hello            # the model, no hugepages needed
 *   ./dma_hello 0000:01:00.0             # a device bound to vfio-pci (reads BAR0 offset 0)
 */
#include <stdio.h>
#include <string.h>

#include <udrv/udrv.h>

int main(int argc, char **argv)
{
	struct udrv_dev *dev;
	void *buf, *bar;
	uint64_t iova;
	size_t len;
	int ret;

	ret = argc > 1 ? udrv_dev_open(argv[1], &dev)
		       : udrv_dev_open_model(&udrv_model_trivial_ops, NULL, "trivial0", &dev);
	if (ret) {
		fprintf(stderr, "cannot open the device: %s\n", strerror(-ret));
		return 1;
	}
	ret = udrv_dma_alloc(4096, 4096, &buf, &iova);
	if (ret) {
		fprintf(stderr, "cannot allocate DMA memory: %s\n", strerror(-ret));
		goto close;
	}
	ret = udrv_dev_map_bar(dev, 0, &bar, &len);
	if (ret)
		goto free;
	printf("%s: BAR0 is %zu bytes, register 0 reads 0x%08x\n", udrv_dev_name(dev), len,
	       udrv_mmio_read32(bar, 0));
	printf("4 KiB of DMA memory at va %p is iova 0x%llx for the device\n", buf,
	       (unsigned long long)iova);
free:
	udrv_dma_free(buf);
close:
	udrv_dev_close(dev);
	udrv_fini();
	return ret ? 1 : 0;
}
