#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/test.sh and scripts/quickstart.sh answer --help with their usage
# (and a bad argument with exit 2) instead of building and running.
# Usage: scripts.sh SOURCE_ROOT
. "$(dirname "$0")/lib.sh"
src=$1
for s in test quickstart; do
	case_ "$s.sh --help"
	# 10 s: a script that ignored --help would start building (and be killed).
	timeout 10 bash "$src/scripts/$s.sh" --help >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
	out=$(cat "$tmp/out") err=$(cat "$tmp/err")
	expect_rc 0; expect_out "usage: scripts/$s.sh"; expect_out "examples:"
	expect_no_out "=="
	case_ "$s.sh --bogus"
	timeout 10 bash "$src/scripts/$s.sh" --bogus >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
	out=$(cat "$tmp/out") err=$(cat "$tmp/err")
	expect_rc 2; expect_err "usage: scripts/$s.sh"
done
finish
