/* SPDX-License-Identifier: MIT */
/* udrv_net_open() by model name ("model", "model:virtio,...", "model:e1000e"),
 * as udrv-nvme takes "model[:opts]"; a bad name is -EINVAL with a message. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <udrv/log.h>
#include <udrv/net.h>

static void opens(const char *name, const char *driver, uint16_t max_rxq)
{
	struct udrv_net_port_opts po = { .size = sizeof(po) };
	struct udrv_net_port *port = NULL;
	struct udrv_net_info info;

	assert_int_equal(udrv_net_open(name, &po, &port), 0);
	udrv_net_info(port, &info);
	assert_string_equal(info.driver, driver);
	if (max_rxq)
		assert_int_equal(info.max_rxq, max_rxq);
	udrv_net_close(port); /* closes the model too (LeakSanitizer checks) */
}

static void model_names_open(void **state)
{
	(void)state;
	opens("model", "virtio-net", 1);
	opens("model:virtio", "virtio-net", 1);
	opens("model:virtio,queues=4,qsize=64", "virtio-net", 4);
	opens("model:queues=2", "virtio-net", 2);
	opens("model:e1000e", "e1000e", 1);
}

static void bad_model_names_refused(void **state)
{
	static const char *const bad[] = {
		"model:bogus", "model:e1000e,queues=2", "model:virtio,queues=9",
		"model:virtio,queues=0", "model:virtio,qsize=100", "model:virtio,qsize=",
		"model:virtio,queues", "model:virtio,e1000e", "model:virtio,queues=2x",
	};
	struct udrv_net_port_opts po = { .size = sizeof(po) };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct udrv_net_port *port = NULL;

		assert_int_equal(udrv_net_open(bad[i], &po, &port), -EINVAL);
		assert_null(port);
		assert_non_null(strstr(udrv_last_error(), "model:e1000e"));
		assert_non_null(strstr(udrv_last_error(), bad[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(model_names_open),
		cmocka_unit_test(bad_model_names_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
