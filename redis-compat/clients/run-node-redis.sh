#!/bin/sh
# make check wrapper for node/test_node_redis.js (redis-compat/README.md,
# "Client and redis-cli tests").
#   exit 0 pass, 1 failures, 77 SKIP only when tusk-server is not built,
#   99 hard error: node or node-redis missing - a missing client is a
#   failure, never a skip. node-redis is installed into
#   redis-compat/clients/node/node_modules by tools/bootstrap
#   (npm ci --prefix redis-compat/clients/node, versions pinned by
#   package-lock.json); TUSK_NODE_MODULES points elsewhere.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/wrapper.sh"
need_tusk
need_command node "apt-get install nodejs npm, then run tools/bootstrap"
modules=${TUSK_NODE_MODULES:-$here/node/node_modules}
if [ ! -f "$modules/redis/package.json" ]; then
    echo "ERROR: node-redis is not installed in $modules." >&2
    echo "  Run tools/bootstrap, or: npm ci --prefix redis-compat/clients/node" >&2
    echo "  (npm must reach its registry; a missing client is a failure, not a skip)" >&2
    exit 99
fi
NODE_PATH=$modules exec node "$here/node/test_node_redis.js"
