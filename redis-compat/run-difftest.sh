#!/bin/sh
# Automake-friendly wrapper around difftest.py.
#   exit 0   all compared replies matched
#   exit 1   mismatches (or tusk-server crashed)
#   exit 77  SKIP: the tusk-server binary is not built (yet)
#   exit 99  hard error: redis-server (the oracle) or python3 is missing,
#            or the runner itself failed
# Environment:
#   TUSK_SERVER      tusk binary (default: ./tusk-server in the current
#                    directory if present, else ../tusk-server next to this script)
#   REDIS_SERVER     redis binary (default: redis-server on PATH)
#   DIFFTEST_RANDOM  also run a random sequence of this many commands (default 2000, 0 = off)
#   DIFFTEST_SEED    seed for it (default 1, so CI runs are reproducible)
#   DIFFTEST_ARGS    extra arguments for difftest.py
# Arguments are passed on to difftest.py.
here=$(cd "$(dirname "$0")" && pwd)

tusk=${TUSK_SERVER:-}
if [ -z "$tusk" ]; then
    if [ -x "./tusk-server" ]; then
        tusk=$(pwd)/tusk-server
    else
        tusk=$here/../tusk-server
    fi
fi
if [ ! -x "$tusk" ]; then
    echo "SKIP: tusk-server binary not found at $tusk (set TUSK_SERVER)"
    exit 77
fi

redis=${REDIS_SERVER:-redis-server}
if ! command -v "$redis" >/dev/null 2>&1; then
    echo "ERROR: redis-server not found ($redis); it is the test oracle: apt-get install redis-server" >&2
    exit 99
fi
redis=$(command -v "$redis")

py=$(command -v python3 || true)
if [ -z "$py" ]; then
    echo "ERROR: python3 not found" >&2
    exit 99
fi

random=${DIFFTEST_RANDOM:-2000}
seed=${DIFFTEST_SEED:-1}
# A generous per-reply timeout: the sequences check replies, not speed
# (a 512 MB SETRANGE takes tusk seconds: it is written to the WAL).
set -- --redis "$redis" --tusk "$tusk" --timeout "${DIFFTEST_TIMEOUT:-60}" ${DIFFTEST_ARGS:-} "$@"
if [ "$random" != 0 ]; then
    set -- "$@" --random "$random" --seed "$seed"
fi
"$py" "$here/difftest.py" "$@"
rc=$?
case $rc in
    0|1) exit $rc ;;
    130) exit 99 ;;
    *) echo "ERROR: difftest.py exited with status $rc" >&2; exit 99 ;;
esac
