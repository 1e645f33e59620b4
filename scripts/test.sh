#!/usr/bin/env bash
# udrv's test command (the README's, and what .ci/run calls).
#   scripts/test.sh            unit suite (gcc, gcc+ASan+UBSan, clang build), a bounded
#                              fuzz run (clang build, about a minute), then the rig suite
#   scripts/test.sh --unit     unit and fuzz suites only (no QEMU)
# As root on Debian 12 it installs what it needs first (scripts/install-deps.sh).
# Ends with one line "N passed, N failed, N skipped".
set -euo pipefail
usage() {
  cat <<'EOF'
usage: scripts/test.sh [--unit]
       scripts/test.sh --help

udrv's test command: builds three ways (gcc, gcc with ASan+UBSan, clang) in
build/, build-asan/ and build-clang/, runs the unit suite under both gcc builds,
then the rig suite (a QEMU guest with an emulated IOMMU; several minutes).
Installs the Debian packages it needs first (scripts/install-deps.sh, as root).
Ends with one line "N passed, N failed, N skipped"; exits 1 if any failed.

  --unit    the unit suite only (no QEMU)
  --help    this text

examples:
  scripts/test.sh --unit
  sudo scripts/test.sh
EOF
}
unit_only=0
case "${1:-}" in
  "") ;;
  --unit) unit_only=1 ;;
  -h|--help) usage; exit 0 ;;
  *) echo "test.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
esac
(($# <= 1)) || { echo "test.sh: one argument at most" >&2; usage >&2; exit 2; }
cd "$(dirname "$0")/.."
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
