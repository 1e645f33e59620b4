# SPDX-License-Identifier: MIT
# Helpers for the tool tests (tests/cli/*.sh): run a tool, check its exit
# code, stdout and stderr. Source it; call `finish` at the end.
set -uo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 checks=0 name=""
out="" err="" rc=0

# case NAME: starts a test case (its name prefixes every failure).
case_() { name=$1; }

# run CMD...: runs it with a 60 s limit; sets rc, out, err.
run() {
	timeout 60 "$@" >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
	out=$(cat "$tmp/out") err=$(cat "$tmp/err")
}

fail() {
	failures=$((failures + 1))
	printf 'FAIL %s: %s\n  command output:\n%s\n%s\n' "$name" "$1" "$out" "$err" >&2
}

expect_rc() { checks=$((checks + 1)); [[ $rc == "$1" ]] || fail "exit code $rc, expected $1"; }
expect_out() { checks=$((checks + 1)); [[ $out == *"$1"* ]] || fail "stdout lacks: $1"; }
expect_err() { checks=$((checks + 1)); [[ $err == *"$1"* ]] || fail "stderr lacks: $1"; }
expect_no_err() { checks=$((checks + 1)); [[ $err != *"$1"* ]] || fail "stderr has: $1"; }
expect_no_out() { checks=$((checks + 1)); [[ $out != *"$1"* ]] || fail "stdout has: $1"; }
# expect_json PYTHON_EXPR: stdout is one JSON object d for which EXPR holds.
expect_json() {
	checks=$((checks + 1))
	python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); assert '"$1"', d' <<<"$out" \
		2>"$tmp/json-err" || fail "JSON check failed: $1 ($(tail -n1 "$tmp/json-err"))"
}

finish() {
	if ((failures)); then
		echo "$failures of $checks checks failed"
		exit 1
	fi
	echo "all $checks checks passed"
}
