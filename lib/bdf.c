/* SPDX-License-Identifier: MIT */
/* PCI addresses: "dddd:bb:dd.f" or "bb:dd.f". */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse exactly ndigits (1..max) hex digits up to a stop character. */
static const char *parse_hex(const char *s, unsigned max_digits, unsigned long *out)
{
	unsigned long v = 0;
	unsigned n = 0;

	while (hexval(*s) >= 0) {
		if (++n > max_digits)
			return NULL;
		v = v * 16 + (unsigned long)hexval(*s++);
	}
	if (n == 0)
		return NULL;
	*out = v;
	return s;
}

int udrv_bdf_parse(const char *s, struct udrv_bdf *out)
{
	unsigned long dom = 0, bus, dev, fn;
	const char *p = s;
	int colons = 0;

	if (!s || !out) {
		udrvi_err(NULL, "no PCI address given: expected DOMAIN:BUS:DEVICE.FUNCTION such as 0000:01:00.0");
		return -EINVAL;
	}
	for (const char *q = s; *q; q++)
		colons += *q == ':';
	if (colons == 2) {
		p = parse_hex(p, 4, &dom);
		if (!p || *p++ != ':')
			goto bad;
	}
	p = colons >= 1 ? parse_hex(p, 2, &bus) : NULL;
	if (!p || *p++ != ':')
		goto bad;
	p = parse_hex(p, 2, &dev);
	if (!p || *p++ != '.')
		goto bad;
	p = parse_hex(p, 1, &fn);
	if (!p || *p != '\0')
		goto bad;
	if (dev > 0x1f || fn > 7) {
		udrvi_err(NULL, "'%s' is not a valid PCI address: device must be 00-1f and function 0-7 (e.g. 0000:01:00.0)", s);
		return -EINVAL;
	}
	out->domain = (uint32_t)dom;
	out->bus = (uint8_t)bus;
	out->dev = (uint8_t)dev;
	out->fn = (uint8_t)fn;
	return 0;
bad:
	udrvi_err(NULL, "'%s' is not a PCI address: expected DOMAIN:BUS:DEVICE.FUNCTION in hex, such as 0000:01:00.0 (udrv-setup status lists the devices)", s);
	return -EINVAL;
}

char *udrv_bdf_format(const struct udrv_bdf *bdf, char *buf)
{
	snprintf(buf, UDRV_BDF_STRLEN, "%04x:%02x:%02x.%x", bdf->domain & 0xffff, bdf->bus,
		 bdf->dev & 0x1f, bdf->fn & 7);
	return buf;
}
