"""redis-cli (from redis-tools 7.0) against tusk-server, compared with the
same invocations against a real redis-server 7.0.

Run by run-redis-cli.sh (make check). Python 3 standard library only.
Starts one tusk-server and one redis-server (the oracle) on free ports in
temp dirs, stops both by pid. Every non-interactive invocation runs against
both servers in the same state; stdout, stderr and the exit status must be
identical once the port number is replaced by PORT, and most cases also
check the expected text itself. The interactive session runs redis-cli in
tmux (its own socket, -L), types into it with send-keys and reads the
screen with capture-pane.

Closing line: N passed, M failed, K skipped.
"""

import os
import random
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tuskserver import Runner, Server, check, eq, redis_binary  # noqa: E402

CLI = os.environ.get('REDIS_CLI', 'redis-cli')
TUSK = REDIS = None
ENV = dict(os.environ, REDISCLI_HISTFILE='/dev/null', REDISCLI_RCFILE='/dev/null',
           TERM='xterm', LC_ALL='C')


def cli(srv, *args, stdin=None, timeout=300):
    p = subprocess.run([CLI, '-h', '127.0.0.1', '-p', str(srv.port)] + list(args),
                       input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=ENV, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def norm(srv, b):
    return b.replace(str(srv.port).encode(), b'PORT')


def both(*args, stdin=None, same=True, what=None):
    """Run on both servers; with same=True the results must be identical.
    Returns tusk's (rc, stdout, stderr)."""
    t = cli(TUSK, *args, stdin=stdin)
    r = cli(REDIS, *args, stdin=stdin)
    if same:
        tn = (t[0], norm(TUSK, t[1]), norm(TUSK, t[2]))
        rn = (r[0], norm(REDIS, r[1]), norm(REDIS, r[2]))
        if tn != rn:
            raise AssertionError('redis-cli %s%s differs from redis-server:\n'
                                 '  tusk : rc=%d out=%r err=%r\n  redis: rc=%d out=%r err=%r'
                                 % (' '.join(args), ' (stdin %d bytes)' % len(stdin) if stdin else '',
                                    tn[0], tn[1][:600], tn[2][:300], rn[0], rn[1][:600], rn[2][:300]))
    return t


def flush():
    for s in (TUSK, REDIS):
        rc, out, err = cli(s, 'FLUSHALL')
        eq((rc, out), (0, b'OK\n'), 'FLUSHALL on %s' % s.label)


# Commands whose output is deterministic on both servers, run in order on
# fresh databases. `-x` ones take their last argument from stdin.
SEQUENCE = [
    (['PING'], None), (['ECHO', 'hello world'], None),
    (['SET', 'foo', 'bar'], None), (['GET', 'foo'], None), (['GET', 'nope'], None),
    (['SET', 'foo', 'x', 'NX'], None), (['SET', 'foo', 'baz', 'XX', 'GET'], None),
    (['INCR', 'n'], None), (['INCRBY', 'n', '-10'], None), (['INCR', 'foo'], None),
    (['INCRBYFLOAT', 'f', '1.5'], None), (['INCRBYFLOAT', 'f', '1e3'], None),
    (['MSET', 'a', '1', 'b', 'two words', 'c', ''], None), (['MGET', 'a', 'b', 'c', 'nope'], None),
    (['-x', 'SET', 'bin'], b'a\x00b\r\nc\xff'), (['GET', 'bin'], None),
    (['STRLEN', 'bin'], None), (['GETRANGE', 'bin', '0', '2'], None),
    (['-x', 'SET', 'utf'], 'héllo ✓'.encode()), (['GET', 'utf'], None),
    (['APPEND', 'foo', '!'], None), (['EXISTS', 'foo', 'nope', 'a'], None),
    (['TYPE', 'foo'], None), (['TYPE', 'nope'], None),
    (['EXPIRE', 'foo', '1000'], None), (['TTL', 'nope'], None), (['TTL', 'a'], None),
    (['PERSIST', 'foo'], None), (['TTL', 'foo'], None),
    (['KEYS', 'fo*'], None), (['DBSIZE'], None), (['CONFIG', 'GET', 'databases'], None),
    (['CONFIG', 'GET', 'maxclients'], None), (['CONFIG', 'GET', 'nosuch'], None),
    (['LCS', 'b', 'utf'], None), (['DEL', 'a', 'b', 'c', 'nope'], None),
    (['NOSUCHCOMMAND', 'x'], None), (['GET'], None), (['SET', 'k', 'v', 'EX', '0'], None),
    (['SELECT', '3'], None), (['DBSIZE'], None),
]


def run_sequence(mode_args):
    flush()
    outs = []
    for args, stdin in SEQUENCE:
        outs.append(both(*(mode_args + args), stdin=stdin))
    return outs


def test_raw():
    outs = run_sequence(['--raw'])
    # a few absolute checks (the comparison with redis did the rest)
    idx = {tuple(a): i for i, (a, _) in enumerate(SEQUENCE)}
    eq(outs[idx[('GET', 'foo')]][1], b'bar\n', '--raw GET foo')
    eq(outs[idx[('GET', 'nope')]][1], b'\n', '--raw GET nope')
    eq(outs[idx[('-x', 'SET', 'bin')] + 1][1], b'a\x00b\r\nc\xff\n', '--raw GET of binary value')
    eq(outs[idx[('MGET', 'a', 'b', 'c', 'nope')]][1], b'1\ntwo words\n\n\n', '--raw MGET')
    # redis-cli 7.0 ends an error with an empty line in --raw mode
    eq(outs[idx[('INCR', 'foo')]][1], b'ERR value is not an integer or out of range\n\n',
       '--raw error')


def test_no_raw():
    outs = run_sequence(['--no-raw'])
    idx = {tuple(a): i for i, (a, _) in enumerate(SEQUENCE)}
    eq(outs[idx[('GET', 'foo')]][1], b'"bar"\n', 'GET foo')
    eq(outs[idx[('GET', 'nope')]][1], b'(nil)\n', 'GET nope')
    eq(outs[idx[('INCR', 'n')]][1], b'(integer) 1\n', 'INCR')
    eq(outs[idx[('-x', 'SET', 'bin')] + 1][1], b'"a\\x00b\\r\\nc\\xff"\n', 'GET of binary value')
    eq(outs[idx[('MGET', 'a', 'b', 'c', 'nope')]][1],
       b'1) "1"\n2) "two words"\n3) ""\n4) (nil)\n', 'MGET')
    eq(outs[idx[('INCR', 'foo')]][1], b'(error) ERR value is not an integer or out of range\n',
       'error')


def test_resp3():
    outs = run_sequence(['-3', '--no-raw'])
    idx = {tuple(a): i for i, (a, _) in enumerate(SEQUENCE)}
    eq(outs[idx[('CONFIG', 'GET', 'databases')]][1], b'1# "databases" => "16"\n',
       '-3 CONFIG GET is a map')
    eq(outs[idx[('GET', 'nope')]][1], b'(nil)\n', '-3 null')
    run_sequence(['-3', '--raw'])
    # HELLO's reply as redis-cli prints it, the client id blanked
    t = both('-3', '--no-raw', 'HELLO', '3', same=False)
    r = cli(REDIS, '-3', '--no-raw', 'HELLO', '3')
    blank = lambda b: re.sub(rb'"id" => \(integer\) \d+', b'"id" => (integer) N', b)  # noqa: E731
    eq(blank(t[1]), blank(r[1]), '-3 HELLO 3 output')
    check(b'3# "proto" => (integer) 3' in t[1], '-3 HELLO shows proto 3: %r' % t[1])
    t = cli(TUSK, '-3', '--no-raw', 'CLIENT', 'INFO')
    check(b' resp=3 ' in t[1], 'CLIENT INFO under -3 says resp=3: %r' % t[1])
    t = cli(TUSK, '-2', '--no-raw', 'CLIENT', 'INFO')
    check(b' resp=2 ' in t[1], 'CLIENT INFO under -2 says resp=2: %r' % t[1])


def resp(*args):
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    return b''.join(out)


def test_pipe_100000():
    flush()
    n = 100000
    payload = b''.join(resp('SET', 'key:%d' % i, 'value:%d' % (i * 7)) for i in range(n - 1))
    payload += resp('SET', 'key:%d' % (n - 1), b'bin\x00\r\n\xff')
    for srv in (TUSK, REDIS):
        t0 = time.time()
        rc, out, err = cli(srv, '--pipe', stdin=payload, timeout=600)
        eq(rc, 0, '--pipe exit status on %s (stderr %r)' % (srv.label, err[-300:]))
        text = (out + err).decode('utf-8', 'replace')
        check('errors: 0, replies: %d' % n in text,
              '--pipe on %s: want "errors: 0, replies: %d", got %r' % (srv.label, n, text[-300:]))
        print('  --pipe of %d SETs to %s: %.1f s' % (n, srv.label, time.time() - t0), flush=True)
    eq(both('DBSIZE')[1], b'%d\n' % n, 'DBSIZE after --pipe')
    for i in (0, 1, 31337, 65535, n - 2):
        eq(both('GET', 'key:%d' % i)[1], b'value:%d\n' % (i * 7), 'GET key:%d' % i)
    eq(both('--no-raw', 'GET', 'key:%d' % (n - 1))[1], b'"bin\\x00\\r\\n\\xff"\n',
       'binary value sent through --pipe')
    # inline commands through --pipe too (redis-cli sends the bytes as they are)
    inline = b''.join(b'SET inline:%d %d\r\n' % (i, i) for i in range(1000)) + b'INCR inline:7\r\n'
    for srv in (TUSK, REDIS):
        rc, out, err = cli(srv, '--pipe', stdin=inline)
        check(rc == 0 and b'errors: 0, replies: 1001' in out + err,
              'inline --pipe on %s: rc %d %r' % (srv.label, rc, (out + err)[-200:]))
    eq(both('GET', 'inline:7')[1], b'8\n', 'GET after inline --pipe')
    # an error inside the pipe is counted, as redis does
    rc, out, err = both('--pipe', stdin=resp('SET', 'e', 'x') + resp('INCR', 'e') + resp('GET', 'e'),
                        same=False)
    check(b'errors: 1, replies: 3' in out + err, '--pipe error count: %r' % (out + err))


def test_scan_pattern():
    flush()
    payload = b''.join(resp('SET', 'user:%d' % i, i) for i in range(2000))
    payload += b''.join(resp('SET', 'other:%d' % i, i) for i in range(500))
    for srv in (TUSK, REDIS):
        rc, out, err = cli(srv, '--pipe', stdin=payload)
        check(rc == 0 and b'errors: 0, replies: 2500' in out + err, '--pipe load: %r' % (out + err))
    want_user = sorted(b'user:%d' % i for i in range(2000))
    # (redis-cli 7.0 has no --count; it scans with the server's default COUNT)
    for srv in (TUSK, REDIS):
        rc, out, err = cli(srv, '--scan', '--pattern', 'user:*')
        eq(rc, 0, '--scan exit status (stderr %r)' % err)
        lines = out.split(b'\n')[:-1]
        eq(len(lines), 2000, '%s: --scan --pattern user:* lines' % srv.label)
        eq(sorted(lines), want_user, '%s: --scan --pattern user:* keys' % srv.label)
    rc, out, err = cli(TUSK, '--scan', '--pattern', 'user:1??')
    eq(sorted(out.split(b'\n')[:-1]), sorted(b'user:%d' % i for i in range(100, 200)),
       '--scan --pattern user:1??')
    rc, out, err = cli(TUSK, '--scan')
    eq(len(out.split(b'\n')[:-1]), 2500, '--scan without a pattern')
    rc, out, err = cli(TUSK, '--scan', '--pattern', 'nomatch*')
    eq((rc, out), (0, b''), '--scan with no match')
    # --scan --quoted-pattern with a binary key (redis-cli 7.0 option)
    for srv in (TUSK, REDIS):
        cli(srv, '-x', 'SET', 'q\x01', stdin=b'v')
    eq(both('--scan', '--quoted-pattern', '"q\\x01*"')[1], b'q\x01\n', '--quoted-pattern')


def test_repeat():
    flush()
    eq(both('--no-raw', '-r', '5', 'INCR', 'x')[1],
       b''.join(b'(integer) %d\n' % i for i in range(1, 6)), '-r 5 INCR x')
    eq(both('-r', '5', 'INCR', 'x')[1], b''.join(b'%d\n' % i for i in range(6, 11)),
       '-r 5 INCR x (raw, not a tty)')
    eq(both('GET', 'x')[1], b'10\n', 'GET x after 10 INCRs')
    eq(both('-r', '3', '-i', '0.05', 'PING')[1], b'PONG\nPONG\nPONG\n', '-r 3 -i 0.05 PING')
    eq(both('--no-raw', '-r', '2', 'MGET', 'x', 'nope')[1],
       b'1) "10"\n2) (nil)\n1) "10"\n2) (nil)\n', '-r 2 MGET')
    # commands from stdin, one per line, non-interactive
    eq(both('--no-raw', stdin=b'SET s 1\nINCR s\nGET s\n')[1], b'OK\n(integer) 2\n"2"\n',
       'commands on stdin')


# ------------------------------------------------------------------ tmux

TMUX_SOCKET = 'tusk-clients-%d' % os.getpid()


def tmux(*args, check_rc=True):
    p = subprocess.run(['tmux', '-L', TMUX_SOCKET, '-f', '/dev/null'] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, timeout=60)
    if check_rc and p.returncode != 0:
        raise AssertionError('tmux %s: rc %d %s' % (' '.join(args), p.returncode, p.stderr))
    return p.stdout.decode('utf-8', 'replace')


def pane(session):
    return tmux('capture-pane', '-p', '-J', '-S', '-', '-t', session)


def wait_for(session, pred, what, timeout=30):
    deadline = time.time() + timeout
    while True:
        screen = pane(session)
        if pred(screen):
            return screen
        if time.time() > deadline:
            raise AssertionError('tmux: timed out waiting for %s; screen:\n%s' % (what, screen))
        time.sleep(0.05)


INTERACTIVE = ['set foo bar', 'get foo', 'get nope', 'incr n', 'incr n', 'mget foo nope n',
               'incr foo', 'set bin "a\\x00b\\r\\n"', 'get bin', 'strlen bin',
               'config get databases', 'ttl foo', 'expire foo 100', 'persist foo',
               'exists foo nope', 'del foo', 'dbsize', 'select 2', 'get foo', 'nosuchcmd a b',
               'hello 3', 'config get databases', 'get nope', 'incrbyfloat f 2.5', 'hello 2',
               'echo "tab\\there"']


def session_transcript(srv):
    """Drive one interactive redis-cli session; returns (hint line after
    typing `set `, transcript with the port and client ids normalised)."""
    name = 's%d' % srv.port
    prompt = '127.0.0.1:%d' % srv.port     # then '>' or, after SELECT 2, '[2]>'
    tmux('new-session', '-d', '-s', name, '-x', '200', '-y', '50',
         '%s -h 127.0.0.1 -p %d' % (CLI, srv.port))
    try:
        wait_for(name, lambda s: prompt in s, 'the prompt')
        tmux('send-keys', '-t', name, '-l', 'set ')
        hint = wait_for(name, lambda s: 'key value' in s, 'the hint of SET', timeout=10)
        hint = [line for line in hint.splitlines() if line.startswith(prompt + '>')][-1]
        tmux('send-keys', '-t', name, 'C-u')
        for i, c in enumerate(INTERACTIVE):
            before = pane(name).count(prompt)
            tmux('send-keys', '-t', name, '-l', c)
            tmux('send-keys', '-t', name, 'Enter')
            # the next prompt (after `select 2` it is PROMPT[2]>) is drawn
            wait_for(name, lambda s: s.count(prompt) > before, 'the reply to %r' % c)
        screen = pane(name)
    finally:
        tmux('kill-session', '-t', name, check_rc=False)
    text = screen.replace(str(srv.port), 'PORT')
    text = re.sub(r'"id" => \(integer\) \d+', '"id" => (integer) N', text)
    text = re.sub(r'(\d+\) "id"\n *\d+\) \(integer\) )\d+', r'\1N', text)
    return hint.replace(str(srv.port), 'PORT'), text.rstrip()


def test_interactive_tmux():
    if not shutil.which('tmux'):
        raise AssertionError('tmux is not installed (apt-get install tmux; tools/bootstrap does)')
    flush()
    try:
        t_hint, t_text = session_transcript(TUSK)
        r_hint, r_text = session_transcript(REDIS)
    finally:
        tmux('kill-server', check_rc=False)
        sock = os.path.join(os.environ.get('TMUX_TMPDIR', '/tmp'), 'tmux-%d' % os.getuid(),
                            TMUX_SOCKET)
        if os.path.exists(sock):
            os.unlink(sock)
    eq(t_hint, '127.0.0.1:PORT> set key value [NX|XX] [GET] [EX seconds|PX milliseconds|'
       'EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]', 'hint after typing "set "')
    eq(t_hint, r_hint, 'hint, tusk vs redis')
    for want in ('127.0.0.1:PORT> get foo\n"bar"\n', '127.0.0.1:PORT> get nope\n(nil)\n',
                 '127.0.0.1:PORT> incr n\n(integer) 1\n', '127.0.0.1:PORT> incr n\n(integer) 2\n',
                 '1) "bar"\n2) (nil)\n3) "2"\n',
                 '(error) ERR value is not an integer or out of range\n',
                 '127.0.0.1:PORT> get bin\n"a\\x00b\\r\\n"\n',
                 '127.0.0.1:PORT[2]> get foo\n(nil)\n', '1# "databases" => "16"\n'):
        check(want in t_text + '\n', 'tusk session lacks %r; transcript:\n%s' % (want, t_text))
    if t_text != r_text:
        import difflib
        raise AssertionError('interactive session differs from redis-server:\n' + '\n'.join(
            difflib.unified_diff(r_text.splitlines(), t_text.splitlines(), 'redis', 'tusk',
                                 lineterm='')))


def main():
    global TUSK, REDIS
    redis_bin = redis_binary()
    if not redis_bin:
        print('ERROR: redis-server not found: it is the oracle (apt-get install redis-server)')
        return 99
    if not shutil.which(CLI):
        print('ERROR: %s not found (apt-get install redis-tools)' % CLI)
        return 99
    v = subprocess.run([CLI, '--version'], stdout=subprocess.PIPE).stdout.decode().strip()
    print('%s; oracle %s' % (v, redis_bin), flush=True)
    random.seed(1)
    TUSK = Server().start()
    REDIS = Server(redis_bin, label='redis').start()
    run = Runner()
    try:
        for name, fn in [('raw', test_raw), ('no_raw', test_no_raw), ('resp3_dash_3', test_resp3),
                         ('pipe_100000', test_pipe_100000), ('scan_pattern', test_scan_pattern),
                         ('repeat_r5_incr', test_repeat), ('interactive_tmux', test_interactive_tmux)]:
            if not TUSK.alive():
                run.run(name, lambda: (_ for _ in ()).throw(
                    AssertionError('tusk-server is not running any more\n' + TUSK.log_tail())))
                continue
            run.run(name, fn)
    finally:
        alive = TUSK.alive()
        rc = TUSK.stop()
        if not alive or rc != 0:
            run.failed += 1
            print('FAIL server: tusk exit status %s (died during the tests: %s)\n%s'
                  % (rc, not alive, TUSK.log_tail()))
        TUSK.cleanup()
        REDIS.stop()
        REDIS.cleanup()
    return run.finish()


if __name__ == '__main__':
    sys.exit(main())
