#!/bin/sh
# make check entry for "crash_test.py kill9" (tests/crash/README.md).
# Extra arguments are passed on, e.g. tests/crash/kill9.sh --seed 42
command -v "${PYTHON:-python3}" >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
here=$(dirname "$0")
script="${srcdir:-$here/../..}/tests/crash/crash_test.py"
[ -f "$script" ] || script="$here/crash_test.py"
exec "${PYTHON:-python3}" "$script" kill9 "$@"
