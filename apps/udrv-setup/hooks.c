/* SPDX-License-Identifier: MIT */
/* The real system behind setup_hooks; tests replace the table. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <spawn.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "setup.h"

extern char **environ;

static int real_modprobe(const char *module)
{
	char *argv[] = { "modprobe", (char *)module, NULL };
	int status, ret;
	pid_t pid;

	ret = posix_spawnp(&pid, "modprobe", NULL, NULL, argv, environ);
	if (ret)
		return -ret;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ENOENT;
}

static bool real_is_root(void)
{
	return geteuid() == 0;
}

static int mkdir_p(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static int real_mount_hugetlbfs(const char *path, const char *opts)
{
	char dir[4096];
	int ret;

	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, path);
	ret = mkdir_p(dir);
	if (ret)
		return ret;
	return mount("nodev", path, "hugetlbfs", 0, opts) < 0 ? -errno : 0;
}

static int real_iface_addrs(const char *ifname, char *buf, size_t len)
{
	struct ifaddrs *ifa, *i;
	char addr[INET6_ADDRSTRLEN];
	int n = 0;

	buf[0] = '\0';
	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		const void *a;

		if (!i->ifa_addr || strcmp(i->ifa_name, ifname))
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			a = &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			const struct in6_addr *a6 =
				&((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;

			/* Every interface that is up gets one: it says nothing about use. */
			if (IN6_IS_ADDR_LINKLOCAL(a6))
				continue;
			a = a6;
		} else {
			continue;
		}
		if (inet_ntop(i->ifa_addr->sa_family, a, addr, sizeof(addr))) {
			setup_list_add(buf, len, addr);
			n++;
		}
	}
	freeifaddrs(ifa);
	return n;
}

static void real_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One initializer for both tables: setup_hooks starts as the real system
 * and tests swap entries in it; setup_hooks_real lets them put it back. */
#define REAL_HOOKS \
	{ \
		.sysfs_write = udrvi_sysfs_write, \
		.modprobe = real_modprobe, \
		.is_root = real_is_root, \
		.mount_hugetlbfs = real_mount_hugetlbfs, \
		.iface_addrs = real_iface_addrs, \
		.sleep_ms = real_sleep_ms, \
	}

const struct setup_hooks setup_hooks_real = REAL_HOOKS;
struct setup_hooks setup_hooks = REAL_HOOKS;
