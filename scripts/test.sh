#!/usr/bin/env bash
# udrv's test command (the README's, and what .ci/run calls).
#   scripts/test.sh            unit suite (gcc, gcc+ASan+UBSan, clang build), a bounded
#                              fuzz run (clang build, about a minute), then the rig suite
#   scripts/test.sh --unit     unit and fuzz suites only (no QEMU)
# As root on Debian 12 it installs what it needs first (scripts/install-deps.sh).
# Ends with one line "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
unit_only=0
[[ "${1:-}" == "--unit" ]] && unit_only=1
if ((unit_only)); then scripts/install-deps.sh; else scripts/install-deps.sh --rig; fi

setup() { # setup DIR [meson options...]
  local dir=$1; shift
  if [[ -f "$dir/build.ninja" ]]; then meson setup --reconfigure "$dir" "$@" >/dev/null
  else meson setup "$dir" "$@" >/dev/null; fi
  ninja -C "$dir" >/dev/null
}

logs=()
run_suite() { # run_suite DIR SUITE
  local dir=$1 suite=$2
  echo "== $suite suite ($dir)"
  meson test -C "$dir" --suite "$suite" --print-errorlogs --no-rebuild \
    --logbase "testlog-$suite" || true
  logs+=("$dir/meson-logs/testlog-$suite.json")
}

echo "== building (gcc)"
setup build
echo "== building (gcc, ASan+UBSan)"
setup build-asan -Dsanitize=true
echo "== building (clang, with the libFuzzer harnesses)"
CC=clang setup build-clang -Dfuzz=true

run_suite build unit
run_suite build-asan unit
run_suite build-clang fuzz
((unit_only)) || run_suite build rig

python3 - "${logs[@]}" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        print(f"missing test log {path}")
        continue
    for line in lines:
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
