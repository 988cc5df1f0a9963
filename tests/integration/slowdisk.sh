#!/bin/sh
# The integration tests that exercise the reply hand-off, shared backends,
# MULTI and blocking commands, run again on a slow disk: every fdatasync
# of the server takes SLOWSYNC_US (1,000 us) longer (tools/bench/slowsync.c
# preloaded), so WAL flushes overlap and the walwriter runs them in its
# sync threads (wal/README.md, "Who flushes"). The same assertions must
# hold on that path as on a fast disk. (tests/README.md)
here=$(dirname "$0")
top="${srcdir:-$here/../..}"
cc=${CC:-cc}
work=$(mktemp -d "${TMPDIR:-/tmp}/tusk-slowdisk.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
if ! "$cc" -O2 -shared -fPIC -o "$work/slowsync.so" "$top/tools/bench/slowsync.c" -ldl; then
	echo "could not build slowsync.so"
	exit 99
fi
status=0
for t in check_handoff check_shared check_multi check_blocking; do
	echo "== $t on the slow disk"
	if ! LD_PRELOAD="$work/slowsync.so" SLOWSYNC_US=1000 "tests/integration/$t"; then
		echo "FAIL: $t on the slow disk"
		status=1
	fi
done
exit $status
