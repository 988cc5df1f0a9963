#!/bin/sh
# Failed-fsync test (tests/crash/README.md): lossyfs makes one fsync fail
# with EIO, dropping that file's unsynced writes, while writers run. The
# server must restart without acknowledging what that fsync covered, tell
# the waiting clients, and keep every acknowledged write.
command -v "${PYTHON:-python3}" >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
here=$(dirname "$0")
script="${srcdir:-$here/../..}/tests/crash/crash_test.py"
[ -f "$script" ] || script="$here/crash_test.py"
exec "${PYTHON:-python3}" "$script" failsync --rounds "${TUSK_CRASH_ROUNDS:-8}" "$@"
