#!/bin/sh
# make check wrapper for test_redis_py_diff.py (redis-compat/README.md,
# "Client and redis-cli tests"): redis-py calls compared between a real
# redis-server and tusk-server.
#   exit 0 pass, 1 mismatches, 77 SKIP only when tusk-server is not built,
#   99 hard error: no redis-server (the oracle; REDIS_SERVER overrides) or
#   no python3 can import redis (Debian python3-redis), both installed by
#   tools/bootstrap - a missing client or oracle is a failure.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/wrapper.sh"
need_tusk
need_command "${REDIS_SERVER:-redis-server}" "apt-get install redis-server"
need_redis_py
run_test "$py" test_redis_py_diff.py "$@"
