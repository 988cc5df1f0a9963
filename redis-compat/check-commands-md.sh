#!/bin/sh
# make check: COMMANDS.md must match tusk's command table (see gen_commands_md.py).
here=$(cd "$(dirname "$0")" && pwd)
tusk=${TUSK_SERVER:-$(pwd)/tusk-server}
[ -x "$tusk" ] || tusk=$here/../tusk-server
command -v redis-server >/dev/null 2>&1 || { echo "redis-server (the oracle) is missing: apt-get install redis-server" >&2; exit 99; }
exec python3 "$here/gen_commands_md.py" --check --tusk "$tusk" --output "$here/COMMANDS.md"
