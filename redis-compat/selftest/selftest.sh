#!/bin/sh
# Self-test of the difftest runner (not of tusk): redis vs redis must pass,
# and a proxy that changes replies must be caught, except for values that
# the comparison rules deliberately ignore.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
dt="$here/difftest.py"
mut="$here/selftest/mutant-server.py"
redis=${REDIS_SERVER:-redis-server}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fails=0
check() {  # name expect(pass|fail) grep-pattern-that-must-appear -- args...
    name=$1 expect=$2 pat=$3; shift 3
    python3 "$dt" "$@" >"$out" 2>&1; rc=$?
    if [ "$expect" = pass ] && [ $rc -ne 0 ]; then
        echo "selftest $name: expected pass, got rc=$rc"; grep -A4 "^FAIL\|^error" "$out" | head -20; tail -3 "$out"; fails=$((fails+1)); return
    fi
    if [ "$expect" = fail ] && [ $rc -ne 1 ]; then
        echo "selftest $name: expected failures (rc 1), got rc=$rc"; tail -3 "$out"; fails=$((fails+1)); return
    fi
    if [ -n "$pat" ] && ! grep -q -- "$pat" "$out"; then
        echo "selftest $name: output lacks '$pat'"; tail -5 "$out"; fails=$((fails+1)); return
    fi
    echo "selftest $name: ok ($(tail -1 "$out"))"
}
check redis-vs-redis pass '0 failed' --tusk "$redis"
check random        pass '0 failed' --tusk "$redis" --no-files --random 2000 --seed 7
MUTANT=none     check proxy-none pass '0 failed' --tusk "$mut"
MUTANT=volatile check volatile   pass '0 failed' --tusk "$mut" --only connection.txt
MUTANT=echo     check echo       fail 'FAIL seq/connection.txt:[0-9]*: PING hello' --tusk "$mut" --only connection.txt
MUTANT=errtext  check errtext    fail "wrong number of args for 'get'" --tusk "$mut" --only connection.txt
MUTANT=flags    check flags      fail "field values differ: \[('flags'" --tusk "$mut" --only connection.txt
MUTANT=keepopen check keepopen   fail 'connection closed by redis but kept open by tusk' --tusk "$mut" --only protocol.txt --timeout 1
MUTANT=reverse  check reverse    fail ': MGET ' --tusk "$mut" --only keys.txt --only strings.txt
if MUTANT=reverse python3 "$dt" --tusk "$mut" --only keys.txt -v 2>&1 | grep -q '^FAIL.*: KEYS'; then
    echo "selftest reverse-keys: KEYS must be compared unordered"; fails=$((fails+1))
else
    echo "selftest reverse-keys: ok"
fi
# a different server configuration must show up
cat >"$out.sh" <<EOS
#!/bin/sh
exec "$redis" "\$@" --databases 8
EOS
chmod +x "$out.sh"
check databases8 fail 'SELECT 15' --tusk "$out.sh" --only connection.txt
rm -f "$out.sh"
# missing FLUSHALL must skip, loudly
cat >"$out.sh" <<EOS
#!/bin/sh
exec "$redis" "\$@" --rename-command FLUSHALL ""
EOS
chmod +x "$out.sh"
check skip pass 'SKIPPED .*strings.txt: tusk-server does not implement FLUSHALL' --tusk "$out.sh" --only strings.txt --only connection.txt
rm -f "$out.sh"
echo "selftest: $fails problem(s)"
[ $fails -eq 0 ]
