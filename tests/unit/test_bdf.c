/* SPDX-License-Identifier: MIT */
/* udrv_bdf_parse / udrv_bdf_format: the contract in include/udrv/dev.h. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <udrv/dev.h>
#include <udrv/log.h>

static void quiet(enum udrv_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

static int setup_quiet(void **state)
{
	(void)state;
	udrv_log_set_handler(quiet, NULL);
	return 0;
}

static int teardown_quiet(void **state)
{
	(void)state;
	udrv_log_set_handler(NULL, NULL);
	return 0;
}

static void expect_bdf(const char *s, uint32_t dom, uint8_t bus, uint8_t dev, uint8_t fn)
{
	struct udrv_bdf b;

	memset(&b, 0xa5, sizeof(b));
	assert_int_equal(udrv_bdf_parse(s, &b), 0);
	assert_int_equal(b.domain, dom);
	assert_int_equal(b.bus, bus);
	assert_int_equal(b.dev, dev);
	assert_int_equal(b.fn, fn);
}

static void expect_rejected(const char *s)
{
	struct udrv_bdf b;

	assert_int_equal(udrv_bdf_parse(s, &b), -EINVAL);
	/* Logged: the message quotes the input and shows the expected form. */
	if (*s)
		assert_non_null(strstr(udrv_last_error(), s));
	assert_non_null(strstr(udrv_last_error(), "0000:01:00.0"));
}

static void bdf_parse__full_form(void **state)
{
	(void)state;
	expect_bdf("0000:01:00.0", 0, 1, 0, 0);
	expect_bdf("0000:00:1f.7", 0, 0, 0x1f, 7);
	expect_bdf("0001:ff:1f.3", 1, 0xff, 0x1f, 3);
	expect_bdf("ffff:00:02.1", 0xffff, 0, 2, 1);
}

static void bdf_parse__short_form_is_domain_0(void **state)
{
	(void)state;
	expect_bdf("01:00.0", 0, 1, 0, 0);
	expect_bdf("3a:1e.6", 0, 0x3a, 0x1e, 6);
}

static void bdf_parse__hex_either_case(void **state)
{
	(void)state;
	expect_bdf("ABCD:EF:1F.7", 0xabcd, 0xef, 0x1f, 7);
	expect_bdf("abcd:ef:1f.7", 0xabcd, 0xef, 0x1f, 7);
	expect_bdf("0000:aB:0c.2", 0, 0xab, 0x0c, 2);
}

static void bdf_parse__rejects_garbage(void **state)
{
	(void)state;
	expect_rejected("nvme0");
	expect_rejected("hello:world");
	expect_rejected("0000:0g:00.0");
	expect_rejected("0000-01-00.0");
	expect_rejected("0000:01:00:0");
	expect_rejected("0000:01.00.0");
	expect_rejected("0000:01:00.");
	expect_rejected(":01:00.0");
	expect_rejected("0000::00.0");
	expect_rejected("00000:01:00.0");
	expect_rejected("0000:001:00.0");
	expect_rejected("0000:01:000.0");
	expect_rejected(" 0000:01:00.0");
	expect_rejected("0000:01:00.0 ");
	expect_rejected("0:0:0:01:00.0");
	expect_rejected("0x00:01:00.0");
}

static void bdf_parse__rejects_out_of_range(void **state)
{
	(void)state;
	expect_rejected("0000:00:20.0"); /* device > 0x1f */
	expect_rejected("0000:00:ff.0");
	expect_rejected("0000:00:00.8"); /* function > 7 */
	expect_rejected("0000:00:00.f");
	expect_rejected("00:20.0");
	expect_rejected("00:1f.8");
}

static void bdf_parse__rejects_trailing_junk(void **state)
{
	(void)state;
	expect_rejected("0000:01:00.0x");
	expect_rejected("0000:01:00.00");
	expect_rejected("0000:01:00.0\n");
	expect_rejected("01:00.0/");
	expect_rejected("0000:01:00.0:1");
}

static void bdf_parse__rejects_empty_and_null(void **state)
{
	struct udrv_bdf b;

	(void)state;
	expect_rejected("");
	assert_int_equal(udrv_bdf_parse(NULL, &b), -EINVAL);
}

static void bdf_format__full_form_lower_case(void **state)
{
	struct udrv_bdf b = { .domain = 0xabcd, .bus = 0xef, .dev = 0x1f, .fn = 7 };
	struct udrv_bdf z = { 0 };
	char buf[UDRV_BDF_STRLEN];

	(void)state;
	assert_ptr_equal(udrv_bdf_format(&b, buf), buf);
	assert_string_equal(buf, "abcd:ef:1f.7");
	assert_string_equal(udrv_bdf_format(&z, buf), "0000:00:00.0");
	assert_int_equal(strlen(buf), UDRV_BDF_STRLEN - 1);
}

static void bdf_format__round_trips(void **state)
{
	static const char *const in[] = { "0000:01:00.0", "01:00.0", "0000:AB:1F.7", "1234:00:02.3" };
	static const char *const want[] = { "0000:01:00.0", "0000:01:00.0", "0000:ab:1f.7",
					    "1234:00:02.3" };
	char buf[UDRV_BDF_STRLEN];
	struct udrv_bdf b, b2;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(udrv_bdf_parse(in[i], &b), 0);
		assert_string_equal(udrv_bdf_format(&b, buf), want[i]);
		assert_int_equal(udrv_bdf_parse(buf, &b2), 0);
		assert_int_equal(b.domain, b2.domain);
		assert_int_equal(b.bus, b2.bus);
		assert_int_equal(b.dev, b2.dev);
		assert_int_equal(b.fn, b2.fn);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bdf_parse__full_form),
		cmocka_unit_test(bdf_parse__short_form_is_domain_0),
		cmocka_unit_test(bdf_parse__hex_either_case),
		cmocka_unit_test(bdf_parse__rejects_garbage),
		cmocka_unit_test(bdf_parse__rejects_out_of_range),
		cmocka_unit_test(bdf_parse__rejects_trailing_junk),
		cmocka_unit_test(bdf_parse__rejects_empty_and_null),
		cmocka_unit_test(bdf_format__full_form_lower_case),
		cmocka_unit_test(bdf_format__round_trips),
	};

	return cmocka_run_group_tests(tests, setup_quiet, teardown_quiet);
}
