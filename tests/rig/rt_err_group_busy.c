/* SPDX-License-Identifier: MIT */
/*
 * dev_open__group_busy_in_another_process: while this process holds a
 * device, a second process (this program re-executed) gets -EBUSY and an
 * error that says the device is in use.
 */
#include <sys/wait.h>

#include "rigtest.h"

static int child(const char *bdf)
{
	struct udrv_dev *dev;
	int rc = udrv_dev_open(bdf, &dev);

	printf("second process: udrv_dev_open(%s) = %d; last error: %s\n", bdf, rc, udrv_last_error());
	RT_CHECK(rc == -EBUSY, "expected -EBUSY, got %d", rc);
	RT_CHECK(udrv_last_error()[0], "the error must be explained");
	return 0;
}

int main(int argc, char **argv)
{
	char bdfs[RT_MAX_BDFS][UDRV_BDF_STRLEN];
	struct udrv_dev *dev;
	int status;
	pid_t pid;

	if (argc == 3 && !strcmp(argv[1], "--child"))
		return child(argv[2]);
	rt_bdfs("UDRV_TEST_NVME", bdfs, 1);
	RT_OK(udrv_dev_open(bdfs[0], &dev));
	fflush(stdout);
	pid = fork();
	RT_CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "--child", bdfs[0], (char *)NULL);
		_exit(127);
	}
	RT_CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	RT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "second process failed (status %#x)",
		 status);
	udrv_dev_close(dev);
	udrv_fini();
	return 0;
}
