/* SPDX-License-Identifier: MIT */
/*
 * dma_alloc__memlock_too_low_for_non_root: a non-root user (nobody) that owns
 * /dev/vfio/N but whose RLIMIT_MEMLOCK is 64 KiB opens the device, and its
 * first DMA allocation fails with -ENOMEM and an error that names
 * RLIMIT_MEMLOCK and ulimit -l. Restores the group file's owner.
 * Destructive: rig or UDRV_TEST_DESTRUCTIVE=1.
 */
#include <libgen.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "rigtest.h"

#define NOBODY 65534

static int child(const char *bdf)
{
	struct rlimit rl = { 64 << 10, 64 << 10 };
	struct udrv_dev *dev;
	uint64_t iova;
	void *va;
	int rc;

	RT_CHECK(setrlimit(RLIMIT_MEMLOCK, &rl) == 0, "setrlimit: %s", strerror(errno));
	RT_CHECK(setgid(NOBODY) == 0 && setuid(NOBODY) == 0, "setuid: %s", strerror(errno));
	RT_CHECK(geteuid() == NOBODY, "still root");
	rc = udrv_dev_open(bdf, &dev);
	if (rc == 0) {
		rc = udrv_dma_alloc(4096, 0, &va, &iova);
		printf("as nobody, ulimit -l 64: udrv_dma_alloc = %d; last error: %s\n", rc,
		       udrv_last_error());
	} else {
		printf("as nobody, ulimit -l 64: udrv_dev_open = %d; last error: %s\n", rc,
		       udrv_last_error());
	}
	RT_CHECK(rc == -ENOMEM, "expected -ENOMEM, got %d", rc);
	RT_CHECK(rt_error_mentions("RLIMIT_MEMLOCK") && rt_error_mentions("ulimit -l"),
		 "the error must name RLIMIT_MEMLOCK and ulimit -l");
	return 0;
}

int main(int argc, char **argv)
{
	char bdfs[RT_MAX_BDFS][UDRV_BDF_STRLEN];
	char link[PATH_MAX], grp[PATH_MAX], path[PATH_MAX];
	struct stat st;
	int status;
	ssize_t n;
	pid_t pid;

	rt_bdfs("UDRV_TEST_NVME", bdfs, 1);
	rt_need_destructive();
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdfs[0]);
	n = readlink(path, link, sizeof(link) - 1);
	RT_CHECK(n > 0, "%s: %s", path, strerror(errno));
	link[n] = 0;
	snprintf(grp, sizeof(grp), "/dev/vfio/%s", basename(link));
	RT_CHECK(stat(grp, &st) == 0, "%s: %s", grp, strerror(errno));
	RT_CHECK(chown(grp, NOBODY, NOBODY) == 0, "chown %s: %s", grp, strerror(errno));

	fflush(stdout);
	pid = fork();
	RT_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int rc = child(bdfs[0]);

		fflush(stdout);
		_exit(rc);
	}
	RT_CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	RT_CHECK(chown(grp, st.st_uid, st.st_gid) == 0, "restoring the owner of %s", grp);
	RT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the non-root process failed (%#x)",
		 status);
	(void)argc;
	(void)argv;
	return 0;
}
