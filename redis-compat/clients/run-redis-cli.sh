#!/bin/sh
# make check wrapper for test_redis_cli.py (redis-compat/README.md,
# "Client and redis-cli tests").
#   exit 0 pass, 1 failures, 77 SKIP only when tusk-server is not built,
#   99 hard error: python3, redis-cli, redis-server (the oracle) or tmux
#   missing - all installed by tools/bootstrap; missing is a failure.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/wrapper.sh"
need_tusk
for tool in python3 "${REDIS_CLI:-redis-cli}" "${REDIS_SERVER:-redis-server}" tmux; do
    need_command "$tool" "run tools/bootstrap (apt-get install python3 redis-tools redis-server tmux)"
done
run_test python3 test_redis_cli.py
