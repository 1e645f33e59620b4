// SPDX-License-Identifier: MIT
// Every public header compiles as C++ (-Wall -Wextra -Werror -pedantic), the
// C functions link from C++ (extern "C"), and a C++ program can do I/O on the
// NVMe model with a lambda as the completion callback. The list below must
// name every header in include/udrv: the test reads the directory (argv[1])
// and fails on a header it does not include.
#include <udrv/udrv.h>
#include <udrv/blk.h>
#include <udrv/dev.h>
#include <udrv/e1000e_model.h>
#include <udrv/log.h>
#include <udrv/mem.h>
#include <udrv/mmio.h>
#include <udrv/model.h>
#include <udrv/net.h>
#include <udrv/net_hdr.h>
#include <udrv/net_model.h>
#include <udrv/nvme.h>
#include <udrv/nvme_model.h>
#include <udrv/pool.h>
#include <udrv/runtime.h>

#include <dirent.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <string>

static const char *const included[] = {
	"udrv.h", "blk.h", "dev.h", "e1000e_model.h", "log.h", "mem.h", "mmio.h", "model.h",
	"net.h", "net_hdr.h", "net_model.h", "nvme.h", "nvme_model.h", "pool.h", "runtime.h",
};

static int fail(const char *what)
{
	std::fprintf(stderr, "test_cxx_headers: %s (%s)\n", what, udrv_last_error());
	return 1;
}

static int check_header_list(const char *dir)
{
	std::set<std::string> have(std::begin(included), std::end(included));
	DIR *d = opendir(dir);
	int bad = 0;

	if (!d)
		return fail("cannot list the include directory");
	while (struct dirent *e = readdir(d)) {
		std::string n = e->d_name;
		if (n.size() > 2 && n.compare(n.size() - 2, 2, ".h") == 0 && !have.count(n)) {
			std::fprintf(stderr, "test_cxx_headers: include/udrv/%s is not included here: "
				     "add it to tests/unit/test_cxx_headers.cpp\n", n.c_str());
			bad = 1;
		}
	}
	closedir(d);
	return bad;
}

static int nvme_round_trip()
{
	struct udrv_dev *dev = nullptr;
	struct udrv_nvme_ctrl *ctrl = nullptr;
	struct udrv_nvme_qpair *qp = nullptr;
	struct udrv_nvme_ns_info ns;
	void *buf = nullptr;
	int done = 0, rc = 1;
	uint16_t status = 0xffff;

	if (udrv_nvme_model_open(nullptr, &dev, nullptr) < 0)
		return fail("udrv_nvme_model_open");
	if (udrv_nvme_ctrl_open(dev, nullptr, &ctrl) < 0 || udrv_nvme_ns_info(ctrl, 0, &ns) < 0 ||
	    udrv_nvme_qpair_create(ctrl, nullptr, &qp) < 0 ||
	    udrv_dma_alloc(2 * ns.lba_size, 4096, &buf, nullptr) < 0) {
		rc = fail("controller, queue pair or DMA memory");
		goto out;
	}
	{
		unsigned char *p = static_cast<unsigned char *>(buf);
		auto cb = [](void *arg, const struct udrv_nvme_cpl *cpl) {
			*static_cast<uint16_t *>(arg) = cpl->status;
		};
		for (uint32_t i = 0; i < ns.lba_size; i++)
			p[i] = static_cast<unsigned char>(i * 7 + 1);
		for (int step = 0; step < 2; step++) {
			status = 0xffff;
			int r = step == 0 ? udrv_nvme_write(qp, ns.nsid, p, 8, 1, 0, cb, &status)
					  : udrv_nvme_read(qp, ns.nsid, p + ns.lba_size, 8, 1, 0, cb, &status);
			if (r < 0) {
				rc = fail("submission");
				goto out;
			}
			while (status == 0xffff && udrv_nvme_qpair_poll(qp, 0) >= 0)
				;
			if (!UDRV_NVME_STATUS_OK(status)) {
				rc = fail("completion status");
				goto out;
			}
		}
		done = std::memcmp(p, p + ns.lba_size, ns.lba_size) == 0;
		rc = done ? 0 : fail("read-back differs");
	}
out:
	udrv_dma_free(buf);
	if (qp)
		udrv_nvme_qpair_destroy(qp);
	if (ctrl)
		udrv_nvme_ctrl_close(ctrl);
	if (dev)
		udrv_dev_close(dev);
	udrv_fini();
	return rc;
}

int main(int argc, char **argv)
{
	char st[96], name[UDRV_BDF_STRLEN];
	struct udrv_bdf bdf;

	if (argc != 2) {
		std::fprintf(stderr, "usage: test_cxx_headers INCLUDE_UDRV_DIR\n");
		return 2;
	}
	if (check_header_list(argv[1]))
		return 1;
	if (udrv_bdf_parse("0000:01:00.0", &bdf) < 0 ||
	    std::strcmp(udrv_bdf_format(&bdf, name), "0000:01:00.0") != 0)
		return fail("udrv_bdf_parse / udrv_bdf_format");
	udrv_nvme_status_str(0x0002, st, sizeof(st));
	if (!std::strstr(st, "0x02"))
		return fail("udrv_nvme_status_str");
	if (nvme_round_trip())
		return 1;
	std::printf("test_cxx_headers: %zu headers compile as C++, model round trip ok\n",
		    sizeof(included) / sizeof(included[0]));
	return 0;
}
