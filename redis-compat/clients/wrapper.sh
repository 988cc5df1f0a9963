# Sourced by the make check wrappers of the client tests (run-*.sh), after
# they set $here. Exit codes follow automake: 77 SKIP only when
# tusk-server is not built; 99 (hard error) for a missing client or oracle,
# which tools/bootstrap installs - a missing client is a failure.

# need_tusk: export TUSK_SERVER (default: the build tree's tusk-server), or
# exit 77.
need_tusk() {
    tusk=${TUSK_SERVER:-}
    if [ -z "$tusk" ]; then
        if [ -x ./tusk-server ]; then tusk=$(pwd)/tusk-server; else tusk=$here/../../tusk-server; fi
    fi
    if [ ! -x "$tusk" ]; then
        echo "SKIP: tusk-server binary not found at $tusk (set TUSK_SERVER)"
        exit 77
    fi
    export TUSK_SERVER="$tusk"
}

# need_command PROGRAM HOW: exit 99 unless PROGRAM is on PATH; HOW says how
# to install it.
need_command() {
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "ERROR: $1 not found; install it: $2" >&2
        exit 99
    fi
}

# need_redis_py: set $py to a python3 that can import redis, or exit 99.
# Debian's python3-redis lives in /usr/lib/python3/dist-packages, which a
# python3 earlier on PATH (pyenv, a venv) may not see: try the candidates.
need_redis_py() {
    py=
    for cand in ${TUSK_PYTHON:-} python3 /usr/bin/python3; do
        if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import redis' >/dev/null 2>&1; then
            py=$cand
            return
        fi
    done
    echo "ERROR: no python3 can import redis (redis-py); install it: apt-get install python3-redis" >&2
    exit 99
}

# run_test PROGRAM SCRIPT [ARGS]: exit with its status if 0 or 1, else 99.
run_test() {
    prog=$1
    script=$2
    shift 2
    "$prog" "$here/$script" "$@"
    rc=$?
    case $rc in
        0|1) exit $rc ;;
        *) echo "ERROR: $script exited with status $rc" >&2; exit 99 ;;
    esac
}
