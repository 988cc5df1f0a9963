#!/bin/sh
# make check wrapper for test_redis_py.py (redis-compat/README.md,
# "Client and redis-cli tests").
#   exit 0 pass, 1 failures, 77 SKIP only when tusk-server is not built,
#   99 hard error: no python3 can import redis (Debian python3-redis is
#   installed by tools/bootstrap) - a missing client is a failure.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/wrapper.sh"
need_tusk
need_redis_py
run_test "$py" test_redis_py.py
