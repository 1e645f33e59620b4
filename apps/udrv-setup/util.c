/* SPDX-License-Identifier: MIT */
/* Small helpers for udrv-setup. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "setup.h"

char setup_proc_root[256] = "/proc";

int setup_proc_read(const char *relpath, char **content)
{
	char path[PATH_MAX], *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", setup_proc_root, relpath);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb) {
				ret = -ENOMEM;
				goto fail;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*content = buf;
	return 0;
fail:
	free(buf);
	close(fd);
	return ret;
}

void setup_list_add(char *buf, size_t len, const char *item)
{
	size_t used = strnlen(buf, len);

	if (used + 1 >= len)
		return;
	snprintf(buf + used, len - used, "%s%s", used ? ", " : "", item);
}

void setup_unescape_mount(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

const char *setup_human_bytes(unsigned long long bytes, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	unsigned i = 0;

	while (i < 4 && bytes >= 1024 && bytes % 1024 == 0) {
		bytes /= 1024;
		i++;
	}
	snprintf(buf, len, "%llu %s", bytes, units[i]);
	return buf;
}

const char *setup_iommu_hint(void)
{
	char *cpu = NULL;
	const char *hint =
		"enable VT-d (Intel) or AMD-Vi (AMD) in the firmware and boot with intel_iommu=on "
		"(Intel) or amd_iommu=on (AMD)";

	if (setup_proc_read("cpuinfo", &cpu) == 0) {
		if (strstr(cpu, "GenuineIntel"))
			hint = "enable VT-d in the firmware and add intel_iommu=on iommu=pt to the kernel "
			       "command line, then reboot";
		else if (strstr(cpu, "AuthenticAMD"))
			hint = "enable AMD-Vi (IOMMU) in the firmware and add amd_iommu=on iommu=pt to the "
			       "kernel command line, then reboot";
		/* A guest has no IOMMU unless the hypervisor gives it one. */
		if (strstr(cpu, " hypervisor"))
			hint = "this is a virtual machine: give it a virtual IOMMU (QEMU: -machine "
			       "q35,kernel-irqchip=split -device intel-iommu,intremap=on,caching-mode=on) "
			       "and boot it with intel_iommu=on";
		free(cpu);
	}
	return hint;
}
