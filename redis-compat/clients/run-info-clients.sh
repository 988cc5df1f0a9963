#!/bin/sh
# make check wrapper for test_info_clients.py (redis-compat/README.md,
# "Client and redis-cli tests").
#   exit 0 pass, 1 failures, 77 SKIP only when tusk-server is not built,
#   99 hard error: no python3 can import redis (Debian python3-redis) or no
#   redis-cli (redis-tools), both installed by tools/bootstrap - a missing
#   client is a failure.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/wrapper.sh"
need_tusk
need_command "${REDIS_CLI:-redis-cli}" "apt-get install redis-tools"
need_redis_py
run_test "$py" test_info_clients.py
