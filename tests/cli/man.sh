#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Each tool's man page renders without a groff warning, has the usual
# sections, and shows the tool's --help texts (one source: docs/man/*.txt).
# Usage: man.sh PAGE TOOL [PAGE TOOL...]
. "$(dirname "$0")/lib.sh"
if ! command -v groff >/dev/null; then
	echo "SKIP: groff is not installed (scripts/install-deps.sh installs groff-base)"
	exit 77
fi
while (($# >= 2)); do
	page=$1 tool=$2
	shift 2
	case_ "$(basename "$page")"
	run groff -man -Tascii -ww -z "$page"
	expect_rc 0
	[[ -z $err ]] || fail "groff warns: $err"
	run groff -man -Tascii -ww -P-cbou "$page"
	expect_rc 0
	tname=$(basename "$tool")
	sections=(NAME SYNOPSIS DESCRIPTION "EXIT STATUS" "SEE ALSO")
	# A tool that prints JSON documents every key (udrv-blk prints none).
	[[ $tname == udrv-blk ]] || sections+=("JSON OUTPUT")
	for sec in "${sections[@]}"; do
		expect_out "$sec"
	done
	rendered=$out
	# Every line of every --help text is in the page, as printed.
	helps=("--help")
	[[ $tname == udrv-nvme ]] && helps+=("identify --help" "perf --help" "verify --help")
	[[ $tname == udrv-blk ]] && helps+=("serve --help" "recover --help" "list --help" "remove --help")
	# --version prints the project's version (the page's footer carries it too).
	run "$tool" --version
	expect_rc 0
	[[ $out == "$tname (udrv) "[0-9]* ]] || fail "'$tname --version' printed: $out"
	for h in "${helps[@]}"; do
		run "$tool" $h
		expect_rc 0
		while IFS= read -r line; do
			[[ -z ${line// /} ]] && continue
			checks=$((checks + 1))
			[[ $rendered == *"$line"* ]] || fail "'$(basename "$tool") $h' line not in the man page: $line"
		done <<<"$out"
	done
	if command -v man >/dev/null; then
		run env MANPAGER=cat MANWIDTH=80 man -l "$page"
		expect_rc 0; expect_out "EXIT STATUS"
	fi
done
finish
