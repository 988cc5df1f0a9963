#!/bin/sh
# Failed-fsync test (tests/crash/README.md) on a slow disk: every fdatasync
# of the server takes 2 ms longer (tools/bench/slowsync.c preloaded), so
# WAL flushes overlap and the walwriter's sync threads run most of them
# (wal/README.md, "Who flushes"): the fdatasync that fails is then most
# often one of theirs, and the server must still never acknowledge what it
# was to make durable.
command -v "${PYTHON:-python3}" >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
here=$(dirname "$0")
script="${srcdir:-$here/../..}/tests/crash/crash_test.py"
[ -f "$script" ] || script="$here/crash_test.py"
exec "${PYTHON:-python3}" "$script" failsync --slow-flush 2000 --rounds "${TUSK_CRASH_ROUNDS:-8}" "$@"
