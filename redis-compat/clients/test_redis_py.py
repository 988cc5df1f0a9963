"""redis-py against tusk-server: typical application use.

Run by run-redis-py.sh (make check), which picks a python3 that can import
redis (Debian's python3-redis). Starts one tusk-server on a free port in a
temp dir, runs every test on it (each starts with FLUSHALL), stops it by pid
and checks it exits with status 0. Closing line: N passed, M failed, K skipped.
"""

import collections
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import redis  # noqa: E402

from tuskserver import Runner, Server, check, eq  # noqa: E402

PORT = None


def client(**kw):
    return redis.Redis(host='127.0.0.1', port=PORT, socket_timeout=60, **kw)


def fresh(**kw):
    r = client(**kw)
    r.flushall()
    return r


# ------------------------------------------------------------------ tests

def test_basics():
    r = fresh()
    eq(r.ping(), True, 'PING')
    eq(r.echo(b'hi'), b'hi', 'ECHO')
    eq(r.set('foo', 'bar'), True, 'SET')
    eq(r.get('foo'), b'bar', 'GET')
    eq(r.get('nope'), None, 'GET missing')
    eq(r.set('foo', 'x', nx=True), None, 'SET NX on existing')
    eq(r.set('foo', 'baz', xx=True, get=True), b'bar', 'SET XX GET')
    eq(r.exists('foo', 'nope'), 1, 'EXISTS')
    eq(r.type('foo'), b'string', 'TYPE')
    eq(r.incr('n'), 1, 'INCR')
    eq(r.incrby('n', 41), 42, 'INCRBY')
    eq(r.decr('n'), 41, 'DECR')
    eq(r.incrbyfloat('f', 1.5), 1.5, 'INCRBYFLOAT')
    eq(r.append('foo', '!'), 4, 'APPEND')
    eq(r.strlen('foo'), 4, 'STRLEN')
    eq(r.getrange('foo', 1, 2), b'az', 'GETRANGE')
    eq(r.rename('foo', 'foo2'), True, 'RENAME')
    eq(r.getdel('foo2'), b'baz!', 'GETDEL')
    eq(r.delete('n', 'f', 'nope'), 2, 'DEL')
    eq(sorted(r.keys('*')), [], 'KEYS')
    try:
        r.incr('nonint') if r.set('nonint', 'abc') else None
        raise AssertionError('INCR on a non-integer did not raise')
    except redis.ResponseError as e:
        eq(str(e), 'value is not an integer or out of range', 'INCR error text')
    t = r.time()
    check(abs(t[0] - time.time()) < 60, 'TIME far from the local clock: %r' % (t,))


def test_pipeline():
    r = fresh()
    n = 3000
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.set('p:%d' % i, 'v%d' % i)
        p.incr('p:counter')
        p.get('p:%d' % i)
    res = p.execute()
    eq(len(res), 3 * n, 'pipeline reply count')
    for i in range(n):
        eq(res[3 * i], True, 'SET reply %d' % i)
        eq(res[3 * i + 1], i + 1, 'INCR reply %d' % i)
        eq(res[3 * i + 2], ('v%d' % i).encode(), 'GET reply %d' % i)
    # errors inside a pipeline come back in place, the rest still runs
    p = r.pipeline(transaction=False)
    p.set('s', 'notanumber').incr('s').get('s')
    res = p.execute(raise_on_error=False)
    eq(res[0], True, 'SET in pipeline')
    check(isinstance(res[1], redis.ResponseError), 'INCR error in place: %r' % (res[1],))
    eq(res[2], b'notanumber', 'GET after the error')
    # a pipeline used as a context manager, reused after execute
    with r.pipeline(transaction=False) as p:
        p.mset({'a': 1, 'b': 2})
        p.mget('a', 'b', 'c')
        eq(p.execute(), [True, [b'1', b'2', None]], 'MSET/MGET pipeline')
        p.dbsize()
        eq(p.execute(), [n + 4], 'DBSIZE in a reused pipeline')


def test_scan_iter():
    r = fresh()
    n = 5000
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.set('scan:%d' % i, i)
    p.set('other', 1)
    p.execute()
    eq(r.dbsize(), n + 1, 'DBSIZE')
    for count in (None, 10, 1000):
        seen = collections.Counter(r.scan_iter(match='scan:*', count=count))
        dup = [k for k, c in seen.items() if c != 1]
        check(not dup, 'count=%s: keys returned more than once: %r' % (count, dup[:10]))
        eq(len(seen), n, 'count=%s: distinct keys from scan_iter' % count)
        eq(set(seen), {('scan:%d' % i).encode() for i in range(n)}, 'count=%s: key set' % count)
    every = collections.Counter(r.scan_iter())
    eq(len(every), n + 1, 'scan_iter without MATCH')
    check(max(every.values()) == 1, 'scan_iter without MATCH returned a key twice')
    eq(list(r.scan_iter(match='scan:4999')), [b'scan:4999'], 'exact MATCH')
    eq(sorted(r.scan_iter(match='scan:12?')), sorted(('scan:12%d' % i).encode()
                                                    for i in range(10)), 'MATCH ?')
    eq(len(list(r.scan_iter(_type='string'))), n + 1, 'scan_iter TYPE string')
    # manual cursor loop, as applications written before scan_iter do
    cursor, total = 0, 0
    while True:
        cursor, keys = r.scan(cursor=cursor, count=500)
        total += len(keys)
        if cursor == 0:
            break
    eq(total, n + 1, 'SCAN cursor loop total')


def test_pool_threads():
    r = fresh()
    pool = redis.ConnectionPool(host='127.0.0.1', port=PORT, max_connections=20,
                                socket_timeout=60)
    threads, per, errors = 20, 500, []
    barrier = threading.Barrier(threads)

    def work(t):
        try:
            c = redis.Redis(connection_pool=pool)
            barrier.wait()
            for i in range(per):
                c.incr('counter')
                if i % 50 == 0:
                    c.incrby('counter:by', 3)
                    c.set('t:%d' % t, i)
        except Exception as e:  # noqa: BLE001
            errors.append('thread %d: %r' % (t, e))

    ts = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(300)
    check(not errors, 'thread errors: %s' % errors[:5])
    check(not any(t.is_alive() for t in ts), 'threads still running after 300 s')
    eq(r.get('counter'), str(threads * per).encode(), 'INCR total')
    eq(r.get('counter:by'), str(threads * (per // 50) * 3).encode(), 'INCRBY total')
    eq(r.mget(['t:%d' % t for t in range(threads)]),
       [str(max(i for i in range(per) if i % 50 == 0)).encode()] * threads,
       'last SET per thread')
    check(pool._created_connections <= 20,
          'pool grew past max_connections: %d' % pool._created_connections)
    # every pooled connection is a distinct client on the server
    names = [c for c in r.client_list() if c.get('cmd') != 'client|list']
    check(len(names) >= 2, 'CLIENT LIST shows the pooled connections: %d' % len(names))
    pool.disconnect()


def test_binary():
    r = fresh()
    vals = {
        b'nul': b'a\0b\0\0c',
        b'crlf': b'line1\r\nline2\r\n',
        b'resp': b'*2\r\n$3\r\nGET\r\n$1\r\nx\r\n',
        b'all': bytes(range(256)) * 4,
        b'empty': b'',
        b'k\0ey\r\n': b'binary key',
        b'\xff\xfe': b'\x80invalid utf-8\xc3',
    }
    for k, v in vals.items():
        eq(r.set(k, v), True, 'SET %r' % k)
    for k, v in vals.items():
        eq(r.get(k), v, 'GET %r' % k)
        eq(r.strlen(k), len(v), 'STRLEN %r' % k)
    keys = list(vals)
    eq(r.mget(keys), [vals[k] for k in keys], 'MGET binary')
    eq(r.mset({b'm\0': b'\r\n', b'm\r\n': b'\0'}), True, 'MSET binary')
    eq(r.mget([b'm\0', b'm\r\n']), [b'\r\n', b'\0'], 'MGET after binary MSET')
    eq(r.append(b'nul', b'\0\r\n'), 9, 'APPEND binary')
    eq(r.get(b'nul'), b'a\0b\0\0c\0\r\n', 'GET after APPEND')
    eq(r.setrange(b'crlf', 5, b'\0'), 14, 'SETRANGE binary')
    eq(r.getrange(b'crlf', 4, 6), b'1\0\n', 'GETRANGE binary')
    eq(set(r.scan_iter(match=b'k\0*')), {b'k\0ey\r\n'}, 'SCAN MATCH with a NUL')
    eq(r.exists(b'k\0ey\r\n'), 1, 'EXISTS binary key')


def test_large_values():
    r = fresh()
    one = os.urandom(1 << 20)
    eq(r.set('big1', one), True, 'SET 1 MB')
    eq(r.get('big1'), one, 'GET 1 MB')
    twenty = (os.urandom(1 << 16) + b'\0\r\n') * 320
    check(len(twenty) > 20 << 20, 'value size')
    eq(r.set('big20', twenty), True, 'SET 20 MB')
    eq(r.strlen('big20'), len(twenty), 'STRLEN 20 MB')
    eq(r.get('big20'), twenty, 'GET 20 MB')
    eq(r.getrange('big20', 10 << 20, (10 << 20) + 99), twenty[10 << 20:(10 << 20) + 100],
       'GETRANGE in the middle of 20 MB')
    eq(r.append('big1', one), 2 << 20, 'APPEND 1 MB to 1 MB')
    eq(r.get('big1'), one + one, 'GET 2 MB')
    eq(r.mget('big1', 'big20'), [one + one, twenty], 'MGET 2 MB + 20 MB')
    p = r.pipeline(transaction=False)
    for i in range(5):
        p.set('pbig%d' % i, one[i:] + one[:i])
    for i in range(5):
        p.get('pbig%d' % i)
    res = p.execute()
    for i in range(5):
        eq(res[5 + i], one[i:] + one[:i], 'pipelined GET of 1 MB value %d' % i)
    eq(r.getset('big20', 'small'), twenty, 'GETSET returns the 20 MB value')
    eq(r.get('big20'), b'small', 'GET after GETSET')


def test_expiry():
    r = fresh()
    eq(r.set('e', 'v', ex=100), True, 'SET EX')
    check(99 <= r.ttl('e') <= 100, 'TTL after SET EX 100: %r' % r.ttl('e'))
    eq(r.set('pe', 'v', px=100000), True, 'SET PX')
    check(98000 < r.pttl('pe') <= 100000, 'PTTL after SET PX 100000: %r' % r.pttl('pe'))
    eq(r.setex('se', 50, 'v'), True, 'SETEX')
    check(49 <= r.ttl('se') <= 50, 'TTL after SETEX')
    eq(r.ttl('nope'), -2, 'TTL missing key')
    r.set('forever', 1)
    eq(r.ttl('forever'), -1, 'TTL without expiry')
    eq(r.expire('forever', 30), True, 'EXPIRE')
    check(29 <= r.ttl('forever') <= 30, 'TTL after EXPIRE')
    eq(r.persist('forever'), True, 'PERSIST')
    eq(r.ttl('forever'), -1, 'TTL after PERSIST')
    eq(r.getex('forever', ex=20), b'1', 'GETEX EX')
    check(19 <= r.ttl('forever') <= 20, 'TTL after GETEX')
    eq(r.set('keep', 'a', ex=100), True, 'SET EX')
    eq(r.set('keep', 'b', keepttl=True), True, 'SET KEEPTTL')
    check(r.ttl('keep') > 90, 'KEEPTTL kept the TTL')
    eq(r.expireat('at', int(time.time()) + 100), False, 'EXPIREAT missing key')
    r.set('at', 1)
    eq(r.expireat('at', int(time.time()) + 100), True, 'EXPIREAT')
    check(98 <= r.ttl('at') <= 100, 'TTL after EXPIREAT')
    # a short expiry really expires (poll: no assertion on speed)
    r.set('short', 'v', px=300)
    eq(r.get('short'), b'v', 'GET before expiry')
    deadline = time.time() + 30
    while r.exists('short') and time.time() < deadline:
        time.sleep(0.1)
    eq(r.get('short'), None, 'GET after PX 300 expired')
    eq(r.ttl('short'), -2, 'TTL after expiry')
    eq(r.set('gone', 'v', ex=1), True, 'SET EX 1')
    eq(r.expire('gone', -1), True, 'EXPIRE negative deletes')
    eq(r.exists('gone'), 0, 'EXISTS after EXPIRE -1')


def test_mget_mset():
    r = fresh()
    d = {'k%d' % i: 'v%d' % i for i in range(1000)}
    eq(r.mset(d), True, 'MSET 1000')
    eq(r.mget(list(d)), [v.encode() for v in d.values()], 'MGET 1000')
    eq(r.mget('k1', 'missing', 'k2'), [b'v1', None, b'v2'], 'MGET with a missing key')
    eq(r.msetnx({'k1': 'x', 'new': 'y'}), False, 'MSETNX with an existing key')
    eq(r.get('new'), None, 'MSETNX set nothing')
    eq(r.msetnx({'new': 'y', 'new2': 'z'}), True, 'MSETNX')
    eq(r.mget(['new', 'new2']), [b'y', b'z'], 'MGET after MSETNX')
    eq(r.dbsize(), 1002, 'DBSIZE')


def test_info():
    r = fresh()
    info = r.info()
    check(isinstance(info, dict) and info, 'INFO parsed to a non-empty dict')
    eq(info.get('redis_version'), '7.0.15', 'redis_version')
    eq(info.get('tcp_port'), PORT, 'tcp_port parsed as int')
    check(isinstance(info.get('connected_clients'), int) and info['connected_clients'] >= 1,
          'connected_clients: %r' % info.get('connected_clients'))
    check(isinstance(info.get('uptime_in_seconds'), int), 'uptime_in_seconds is an int')
    check(isinstance(info.get('process_id'), int), 'process_id is an int')
    eq(info.get('redis_mode'), 'standalone', 'redis_mode')
    full = r.info('all')
    check(len(full) >= len(info), 'INFO all has at least the default fields')
    for k, v in info.items():
        if k not in ('uptime_in_seconds', 'server_time_usec', 'lru_clock',
                     'total_connections_received', 'uptime_in_days'):
            check(k in full, 'INFO all lacks %s' % k)
    for section, field in (('server', 'redis_version'), ('clients', 'connected_clients'),
                           ('persistence', 'loading')):
        s = r.info(section)
        check(field in s, 'INFO %s lacks %s: %r' % (section, field, sorted(s)[:10]))
    check(isinstance(r.info('keyspace'), dict), 'INFO keyspace parses')
    check(isinstance(r.info('everything'), dict), 'INFO everything parses')


def test_client_and_config():
    r = fresh(client_name='tusk-py')
    eq(r.client_getname(), 'tusk-py', 'CLIENT GETNAME after client_name=')
    me = [c for c in r.client_list() if c.get('name') == 'tusk-py']
    eq(len(me), 1, 'CLIENT LIST has exactly one tusk-py line')
    me = me[0]
    for f in ('id', 'addr', 'laddr', 'fd', 'age', 'idle', 'flags', 'db', 'cmd', 'user', 'resp'):
        check(f in me, 'CLIENT LIST lacks %s: %r' % (f, me))
    eq(me['laddr'], '127.0.0.1:%d' % PORT, 'laddr')
    eq(me['cmd'], 'client|list', 'cmd')
    eq(me['db'], '0', 'db')
    eq(int(me['id']), r.client_id(), 'CLIENT ID matches CLIENT LIST id')
    eq(r.client_info()['name'], 'tusk-py', 'CLIENT INFO name')
    r3 = client(db=3, client_name='in-db3')
    r3.set('x', 1)
    line = [c for c in r.client_list() if c.get('name') == 'in-db3']
    eq([c['db'] for c in line], ['3'], 'db of a client that selected 3')
    eq(r.dbsize(), 0, 'DBSIZE db 0 unaffected')
    eq(r3.dbsize(), 1, 'DBSIZE db 3')
    r3.close()
    eq(r.config_get('maxclients'), {'maxclients': '10000'}, 'CONFIG GET maxclients')
    eq(r.config_get('port'), {'port': str(PORT)}, 'CONFIG GET port')
    eq(r.config_get('databases'), {'databases': '16'}, 'CONFIG GET databases')
    allc = r.config_get('*')
    check(len(allc) > 10 and allc.get('port') == str(PORT), 'CONFIG GET *: %r' % allc)
    eq(r.config_set('timeout', 123), True, 'CONFIG SET timeout')
    eq(r.config_get('timeout'), {'timeout': '123'}, 'CONFIG GET timeout after SET')
    eq(r.config_set('timeout', 0), True, 'CONFIG SET timeout back')
    eq(r.config_get('nosuchparam'), {}, 'CONFIG GET unknown')
    # from_url, as frameworks configure it
    u = redis.Redis.from_url('redis://127.0.0.1:%d/5' % PORT)
    u.set('url', 'ok')
    eq(u.get('url'), b'ok', 'GET through from_url db 5')
    eq(r.exists('url'), 0, 'db 0 does not see db 5')
    u.close()


def test_decode_responses():
    r = fresh(decode_responses=True)
    eq(r.set('utf', 'héllo wörld ✓'), True, 'SET unicode')
    eq(r.get('utf'), 'héllo wörld ✓', 'GET decoded')
    eq(r.strlen('utf'), len('héllo wörld ✓'.encode()), 'STRLEN counts bytes')
    eq(r.mset({'a': 'α', 'b': 'β'}), True, 'MSET unicode')
    eq(r.mget('a', 'b', 'c'), ['α', 'β', None], 'MGET decoded')
    eq(sorted(r.scan_iter(match='?')), ['a', 'b'], 'scan_iter decoded')
    eq(r.type('a'), 'string', 'TYPE decoded')
    eq(r.incr('n'), 1, 'INCR still an int')
    check(isinstance(r.info()['redis_version'], str), 'INFO decoded')
    eq(r.client_list()[0]['resp'], '2', 'RESP2 connection')
    eq(r.config_get('databases'), {'databases': '16'}, 'CONFIG GET decoded')
    p = r.pipeline(transaction=False)
    p.set('x', 'ÿ').get('x').getrange('utf', 0, 0)
    eq(p.execute(), [True, 'ÿ', 'h'], 'pipeline decoded')


def test_resp3():
    import inspect
    params = inspect.signature(redis.Connection.__init__).parameters
    if 'protocol' not in params:
        raise Runner.Skip('redis-py %s has no protocol=3 (RESP3 arrived in redis-py 5.0); '
                          'RESP3 is covered by check_server (HELLO 3) and the redis-cli -3 test'
                          % redis.__version__)
    r = fresh(protocol=3, decode_responses=True)
    eq(r.set('a', '1'), True, 'SET over RESP3')
    eq(r.get('a'), '1', 'GET over RESP3')
    eq(r.get('missing'), None, 'null over RESP3')
    eq(r.incrbyfloat('f', 2.5), 2.5, 'INCRBYFLOAT over RESP3')
    check(r.config_get('databases').get('databases') == '16', 'CONFIG GET map over RESP3')
    eq(r.client_info()['resp'], '3', 'CLIENT INFO resp=3')
    eq(len(list(r.scan_iter(count=1))), 2, 'SCAN over RESP3')


def main():
    global PORT
    print('redis-py %s from %s, python %s' % (redis.__version__, redis.__file__,
                                              sys.version.split()[0]), flush=True)
    srv = Server().start()
    PORT = srv.port
    run = Runner()
    try:
        for name, fn in [('basics', test_basics), ('pipeline', test_pipeline),
                         ('scan_iter_5000', test_scan_iter),
                         ('pool_20_threads_incr', test_pool_threads),
                         ('binary_values', test_binary), ('large_values_1mb_20mb', test_large_values),
                         ('expiry', test_expiry), ('mget_mset', test_mget_mset),
                         ('info', test_info), ('client_list_config_get', test_client_and_config),
                         ('decode_responses', test_decode_responses), ('resp3', test_resp3)]:
            if not srv.alive():
                run.run(name, lambda: (_ for _ in ()).throw(
                    AssertionError('tusk-server is not running any more\n' + srv.log_tail())))
                continue
            run.run(name, fn)
    finally:
        alive = srv.alive()
        rc = srv.stop()
        if not alive or rc != 0:
            run.failed += 1
            print('FAIL server: exit status %s (died during the tests: %s)\n%s'
                  % (rc, not alive, srv.log_tail()))
        srv.cleanup()
    return run.finish()


if __name__ == '__main__':
    sys.exit(main())
