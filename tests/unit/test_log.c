/* SPDX-License-Identifier: MIT */
/* Logging: levels, the per-device prefix, the sink, the last error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <udrv/udrv.h>

static char captured[1024];
static int calls;

static void sink(enum udrv_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)arg;
	snprintf(captured, sizeof(captured), "%s", line);
	calls++;
}

static void log__prefix_and_sink(void **state)
{
	(void)state;
	udrv_log_set_handler(sink, NULL);
	udrv_log_set_level(UDRV_LOG_INFO);
	calls = 0;
	udrv_log(UDRV_LOG_INFO, "0000:01:00.0", "queue %d ready", 3);
	assert_int_equal(calls, 1);
	assert_string_equal(captured, "udrv 0000:01:00.0: queue 3 ready");
	udrv_log(UDRV_LOG_WARN, NULL, "plain");
	assert_string_equal(captured, "udrv: plain");
	udrv_log_set_handler(NULL, NULL);
}

static void log__level_filters_but_errors_always_recorded(void **state)
{
	(void)state;
	udrv_log_set_handler(sink, NULL);
	udrv_log_set_level(UDRV_LOG_ERROR);
	calls = 0;
	udrv_log(UDRV_LOG_DEBUG, "dev", "hidden");
	udrv_log(UDRV_LOG_WARN, "dev", "hidden");
	assert_int_equal(calls, 0);
	udrv_log(UDRV_LOG_ERROR, "dev", "boom %s", "here");
	assert_int_equal(calls, 1);
	assert_string_equal(udrv_last_error(), "udrv dev: boom here");
	udrv_log_set_handler(NULL, NULL);
}

static void log__long_message_truncated_safely(void **state)
{
	char big[3000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	udrv_log_set_handler(sink, NULL);
	udrv_log(UDRV_LOG_ERROR, "dev", "%s", big);
	assert_true(strlen(udrv_last_error()) < 1024);
	assert_true(strlen(captured) > 900);
	udrv_log_set_handler(NULL, NULL);
}

static void log__env_level_parsed(void **state)
{
	(void)state;
	/* The level in the environment is read by a fresh process. */
	assert_int_equal(system("UDRV_LOG=debug ./test_log --print-level | grep -qx 3"), 0);
	assert_int_equal(system("UDRV_LOG=error ./test_log --print-level | grep -qx 0"), 0);
	assert_int_equal(system("UDRV_LOG=bogus ./test_log --print-level 2>&1 | grep -q 'not a level'"), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log__prefix_and_sink),
		cmocka_unit_test(log__level_filters_but_errors_always_recorded),
		cmocka_unit_test(log__long_message_truncated_safely),
		cmocka_unit_test(log__env_level_parsed),
	};

	if (argc > 1 && !strcmp(argv[1], "--print-level")) {
		printf("%d\n", (int)udrv_log_get_level());
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
