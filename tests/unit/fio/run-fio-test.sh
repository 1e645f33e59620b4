#!/bin/sh
# Runs fio with the udrv engine on a job file or command line and checks the
# outcome. usage: run-fio-test.sh ENGINE.so ok JOBFILE|-- FIO_ARGS...
#                 run-fio-test.sh ENGINE.so fail 'TEXT' FIO_ARGS...
# "ok": fio exits 0 and every job reports err= 0.
# "fail": fio exits non-zero and its output contains TEXT (fixed string).
set -u
engine=$1 mode=$2 arg=$3
shift 3
command -v fio >/dev/null || { echo "fio not installed"; exit 77; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if [ "$mode" = ok ] && [ "$arg" != -- ]; then
	set -- "$arg" "$@"
fi
timeout 120 fio --ioengine=external:"$engine" "$@" >"$out" 2>&1
rc=$?
cat "$out"
case $mode in
ok)
	[ $rc -eq 0 ] || { echo "FAIL: fio exited $rc"; exit 1; }
	jobs=$(grep -c '(groupid=' "$out")
	good=$(grep -c '(groupid=.*err= 0:' "$out")
	[ "$jobs" -gt 0 ] && [ "$jobs" -eq "$good" ] ||
		{ echo "FAIL: $good of $jobs jobs without error"; exit 1; }
	;;
fail)
	[ $rc -ne 0 ] || { echo "FAIL: fio succeeded, expected an error"; exit 1; }
	grep -qF -- "$arg" "$out" || { echo "FAIL: expected the text: $arg"; exit 1; }
	;;
esac
echo PASS
