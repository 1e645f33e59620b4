/* SPDX-License-Identifier: MIT */
/* udrv-setup: bind devices to vfio-pci, reserve hugepages, show status. */
#include <stdio.h>

#include "setup.h"

int main(int argc, char **argv)
{
	return setup_main(argc, argv, stdout, stderr);
}
