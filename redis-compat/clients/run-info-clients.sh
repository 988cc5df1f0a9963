#!/bin/sh
# make check wrapper for test_info_clients.py (redis-compat/README.md,
# "Client and redis-cli tests").
#   exit 0 pass, 1 failures, 77 SKIP only when tusk-server is not built,
#   99 hard error: no python3 can import redis (Debian python3-redis) or no
#   redis-cli (redis-tools), both installed by tools/bootstrap - a missing
#   client is a failure.
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
if ! command -v "${REDIS_CLI:-redis-cli}" >/dev/null 2>&1; then
    echo "ERROR: ${REDIS_CLI:-redis-cli} not found; install it: apt-get install redis-tools" >&2
    exit 99
fi
# Debian's python3-redis lives in /usr/lib/python3/dist-packages, which a
# python3 earlier on PATH (pyenv, a venv) may not see: try the candidates.
py=
for cand in ${TUSK_PYTHON:-} python3 /usr/bin/python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import redis' >/dev/null 2>&1; then
        py=$cand
        break
    fi
done
if [ -z "$py" ]; then
    echo "ERROR: no python3 can import redis (redis-py); install it: apt-get install python3-redis" >&2
    exit 99
fi
"$py" "$here/test_info_clients.py"
rc=$?
case $rc in
    0|1) exit $rc ;;
    *) echo "ERROR: test_info_clients.py exited with status $rc" >&2; exit 99 ;;
esac
