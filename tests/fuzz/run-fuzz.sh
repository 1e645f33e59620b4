#!/usr/bin/env bash
# One bounded libFuzzer run, as the 'fuzz' test suite runs it:
#   run-fuzz.sh HARNESS SEED_CORPUS_DIR SECONDS
# The committed seeds are read, never written: new inputs go to a scratch
# corpus next to the harness. Exits non-zero (and keeps the crashing input as
# crash-* in the harness directory) if an invariant or a sanitizer fails.
set -euo pipefail
if [[ $# -ne 3 ]]; then
  echo "usage: $0 HARNESS SEED_CORPUS_DIR SECONDS" >&2
  exit 2
fi
exe=$1 seeds=$2 secs=$3
work="$exe.corpus"
mkdir -p "$work"
cd "$(dirname "$exe")"
# -rss_limit_mb: DMA memory is anonymous memory here; leaks are checked by
# the harnesses' own pool accounting (and LeakSanitizer at exit).
exec "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
  -artifact_prefix="$(basename "$exe")-" "$work" "$seeds"
