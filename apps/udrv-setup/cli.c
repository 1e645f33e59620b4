/* SPDX-License-Identifier: MIT */
/* udrv-setup command line: parse, then call the command. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <udrv/log.h>

#include "opt.h"
#include "setup.h"
#include "udrv-setup-help.h"

#define MAX_BDFS 64

struct args {
	const char *cmd;
	bool json, force, help, version;
	const char *size;
	const char *pos[MAX_BDFS];
	int npos;
};

static int usage_error(FILE *err, const char *fmt, const char *arg)
{
	fputs("udrv-setup: ", err);
	fprintf(err, fmt, arg);
	fputc('\n', err);
	fputs(help_usage, err);
	fputs("Try 'udrv-setup --help' for examples.\n", err);
	return SETUP_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct args *a, FILE *err)
{
	bool only_pos = false;
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (only_pos || s[0] != '-' || !s[1]) {
			if (!a->cmd) {
				a->cmd = s;
			} else if (a->npos == MAX_BDFS) {
				return usage_error(err, "too many arguments (at most %s)", "64");
			} else {
				a->pos[a->npos++] = s;
			}
		} else if (!strcmp(s, "--")) {
			only_pos = true;
		} else if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
			a->help = true;
		} else if (!strcmp(s, "--version")) {
			a->version = true;
		} else if (!strcmp(s, "--json")) {
			a->json = true;
		} else if (!strcmp(s, "--force") || !strcmp(s, "-f")) {
			a->force = true;
		} else if (!strcmp(s, "--size")) {
			if (++i == argc)
				return usage_error(err, "%s needs a value: 2M or 1G", s);
			a->size = argv[i];
		} else if (!strncmp(s, "--size=", 7)) {
			a->size = s + 7;
		} else {
			return usage_error(err, "unknown option '%s'", s);
		}
	}
	return 0;
}

static void quiet_log(enum udrv_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

/* Parse every BDF before touching anything: a typo binds nothing. */
static int parse_bdfs(const struct args *a, struct udrv_bdf *bdfs, FILE *err)
{
	int i, ret = 0;

	if (a->npos == 0)
		return usage_error(err, "%s needs at least one PCI address (BDF), e.g. 0000:01:00.0",
				   a->cmd);
	udrv_log_set_handler(quiet_log, NULL);
	for (i = 0; i < a->npos && !ret; i++) {
		if (udrv_bdf_parse(a->pos[i], &bdfs[i]) == 0)
			continue;
		fprintf(err,
			"udrv-setup: '%s' is not a PCI address: expected DDDD:BB:DD.F or BB:DD.F in hex,\n"
			"  device 00-1f, function 0-7 (e.g. 0000:01:00.0); `udrv-setup status` lists them\n",
			a->pos[i]);
		ret = SETUP_EXIT_USAGE;
	}
	udrv_log_set_handler(NULL, NULL);
	return ret;
}

static int cmd_hugepages(const struct args *a, FILE *out, FILE *err)
{
	unsigned long count, size_kb = 2048;
	char *end;

	if (a->npos != 1)
		return usage_error(err, "hugepages takes one COUNT, e.g. udrv-setup hugepages 512%s",
				   "");
	errno = 0;
	count = strtoul(a->pos[0], &end, 10);
	if (errno || end == a->pos[0] || *end || a->pos[0][0] == '-' || count > 1ul << 30)
		return usage_error(err, "'%s' is not a page count: give a number such as 512",
				   a->pos[0]);
	if (a->size) {
		size_kb = setup_parse_size(a->size);
		if (size_kb != 2048 && size_kb != 1024 * 1024)
			return usage_error(err, "--size '%s' is not a hugepage size: use 2M or 1G",
					   a->size);
	}
	return setup_hugepages(count, size_kb, a->force, out, err);
}

int setup_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct udrv_bdf bdfs[MAX_BDFS];
	struct args a;
	int ret;

	ret = parse_args(argc, argv, &a, err);
	if (ret)
		return ret;
	if (a.help || (a.cmd && !strcmp(a.cmd, "help"))) {
		fputs(help_usage, out);
		fputc('\n', out);
		fputs(help_more, out);
		return SETUP_EXIT_OK;
	}
	if (a.version) {
		opt_print_version("udrv-setup", out);
		return SETUP_EXIT_OK;
	}
	if (!a.cmd)
		return usage_error(err, "no command given%s", "");
	if ((a.json && strcmp(a.cmd, "status")) ||
	    (a.force && strcmp(a.cmd, "bind") && strcmp(a.cmd, "unbind") &&
	     strcmp(a.cmd, "hugepages")) ||
	    (a.size && strcmp(a.cmd, "hugepages")))
		return usage_error(err, "that option does not apply to '%s'", a.cmd);

	if (!strcmp(a.cmd, "status")) {
		if (a.npos)
			return usage_error(err, "status takes no arguments (got '%s')", a.pos[0]);
		return setup_status(a.json, out, err);
	}
	if (!strcmp(a.cmd, "bind") || !strcmp(a.cmd, "unbind")) {
		ret = parse_bdfs(&a, bdfs, err);
		if (ret)
			return ret;
		return a.cmd[0] == 'b' ? setup_bind(bdfs, a.npos, a.force, out, err)
				       : setup_unbind(bdfs, a.npos, a.force, out, err);
	}
	if (!strcmp(a.cmd, "hugepages"))
		return cmd_hugepages(&a, out, err);
	return usage_error(err, "unknown command '%s'", a.cmd);
}
