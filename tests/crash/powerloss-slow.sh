#!/bin/sh
# Power-loss test (tests/crash/README.md) on a slow disk: every fdatasync of
# the server takes 2 ms longer (tools/bench/slowsync.c preloaded), so WAL
# flushes overlap (wal/README.md, "Group commit") and every acknowledged
# write must survive the power cut all the same.
command -v "${PYTHON:-python3}" >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
here=$(dirname "$0")
script="${srcdir:-$here/../..}/tests/crash/crash_test.py"
[ -f "$script" ] || script="$here/crash_test.py"
exec "${PYTHON:-python3}" "$script" powerloss --slow-flush 2000 --rounds "${TUSK_CRASH_ROUNDS:-10}" "$@"
