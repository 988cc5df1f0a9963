#!/bin/sh
# make check wrapper for test_redis_cli.py (redis-compat/README.md,
# "Client and redis-cli tests").
#   exit 0 pass, 1 failures, 77 SKIP only when tusk-server is not built,
#   99 hard error: python3, redis-cli, redis-server (the oracle) or tmux
#   missing - all installed by tools/bootstrap; missing is a failure.
here=$(cd "$(dirname "$0")" && pwd)
tusk=${TUSK_SERVER:-}
if [ -z "$tusk" ]; then
    if [ -x ./tusk-server ]; then tusk=$(pwd)/tusk-server; else tusk=$here/../../tusk-server; fi
fi
if [ ! -x "$tusk" ]; then
    echo "SKIP: tusk-server binary not found at $tusk (set TUSK_SERVER)"
    exit 77
fi
export TUSK_SERVER="$tusk"
for tool in python3 "${REDIS_CLI:-redis-cli}" "${REDIS_SERVER:-redis-server}" tmux; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "ERROR: $tool not found; run tools/bootstrap (apt-get install python3 redis-tools redis-server tmux)" >&2
        exit 99
    fi
done
python3 "$here/test_redis_cli.py"
rc=$?
case $rc in
    0|1) exit $rc ;;
    *) echo "ERROR: test_redis_cli.py exited with status $rc" >&2; exit 99 ;;
esac
