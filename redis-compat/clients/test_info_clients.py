"""INFO as clients read it: redis-py's parsed dicts and redis-cli's text.

Run by run-info-clients.sh (make check), which picks a python3 that can
import redis (Debian's python3-redis) and checks that redis-cli is there.
Starts one tusk-server on a free port in a temp dir, stops it by pid and
checks it exits with status 0. Closing line: N passed, M failed, K skipped.

redis-py turns INFO into one dict for all the sections it got (headers are
dropped): `12` becomes an int, `1.5` a float, `a=1,b=2` a dict, anything
else a str, and a line without `:` goes to a list under `__raw__`. The
tests compare each parsed value with the type its raw text calls for, so a
counter printed as `12 ` or `1,234` shows up as a str, and a field name used
in two sections (one would hide the other in the dict) is a failure.
node-redis 4 returns INFO as an unparsed string, so it has no test here.

With TUSK_SERVER=/usr/bin/redis-server (the self-check of
redis-compat/README.md) tusk's own sections and fields are not expected.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import redis  # noqa: E402

from tuskserver import Runner, Server, check, eq  # noqa: E402

PORT = None
ORACLE = False      # the server is a real redis-server: no tusk sections
CLI = os.environ.get('REDIS_CLI', 'redis-cli')

# Section headers. INFO (and INFO default) gives Redis 7.0's default ones;
# INFO everything adds Commandstats and Latencystats, then tusk's own.
DEFAULT_SECTIONS = ['Server', 'Clients', 'Memory', 'Persistence', 'Stats', 'Replication',
                    'CPU', 'Modules', 'Errorstats', 'Cluster', 'Keyspace']
EVERYTHING_SECTIONS = DEFAULT_SECTIONS + ['Commandstats', 'Latencystats',
                                          'Tusk', 'Buffers', 'WAL', 'Checkpointer', 'Vacuum']

# Fields that must parse as ints, by section (one or two per section).
INT_FIELDS = {
    'server': ['tcp_port', 'process_id', 'uptime_in_seconds', 'arch_bits'],
    'clients': ['connected_clients', 'maxclients'],
    'memory': ['used_memory', 'maxmemory'],
    'persistence': ['loading', 'rdb_changes_since_last_save'],
    'stats': ['total_commands_processed', 'keyspace_hits', 'keyspace_misses',
              'total_net_input_bytes', 'expired_keys'],
    'replication': ['connected_slaves', 'master_repl_offset'],
    'cluster': ['cluster_enabled'],
    'tusk': ['backend_pid', 'shared_memory'],
    'buffers': ['shared_buffers', 'shared_buffers_pages', 'buffer_hits', 'buffer_reads',
                'buffer_evictions'],
    'wal': ['wal_records', 'wal_bytes', 'wal_fsyncs'],
    'checkpointer': ['checkpoints', 'checkpoint_timeout', 'max_wal_size'],
    'vacuum': ['autovacuum_runs'],
}
TUSK_SECTIONS = ['Tusk', 'Buffers', 'WAL', 'Checkpointer', 'Vacuum']


def everything_sections():
    if ORACLE:
        return [s for s in EVERYTHING_SECTIONS if s not in TUSK_SECTIONS]
    return EVERYTHING_SECTIONS


def client(**kw):
    return redis.Redis(host='127.0.0.1', port=PORT, socket_timeout=60, **kw)


def raw_client():
    """A client whose INFO replies are the raw bytes, not parse_info's dict."""
    r = client()
    r.set_response_callback('INFO', lambda response, **kw: response)
    return r


def raw_info(*args):
    return raw_client().execute_command('INFO', *args).decode()


def want_type(value):
    """The type parse_info should give value (see the module docstring)."""
    if ',' in value and '=' in value:
        return dict
    if re.fullmatch(r'-?[0-9]+', value):
        return int
    if re.fullmatch(r'-?[0-9]+\.[0-9]+', value):
        return float
    return str


def headers(text):
    return [line[2:] for line in text.splitlines() if line.startswith('# ')]


def fields(text):
    """[(name, value)] of the field lines, in order."""
    out = []
    for line in text.splitlines():
        if line and not line.startswith('#'):
            check(':' in line, 'INFO line without a colon: %r' % line)
            out.append(tuple(line.split(':', 1)))
    return out


def check_parsed(what, parsed, text):
    """parsed (redis-py's dict) against the raw text of the same request."""
    check(isinstance(parsed, dict), '%s: not a dict: %r' % (what, type(parsed)))
    check('__raw__' not in parsed, '%s: unparsed lines %r' % (what, parsed.get('__raw__')))
    names = [name for name, _ in fields(text)]
    dup = sorted({n for n in names if names.count(n) > 1})
    check(not dup, '%s: field names in more than one section: %s' % (what, dup))
    eq(sorted(parsed), sorted(names), '%s: parsed field names' % what)
    for name, value in fields(text):
        want = want_type(value)
        got = parsed[name]
        check(isinstance(got, want) and not isinstance(got, bool),
              '%s: %s:%s parsed as %s %r, want %s' % (what, name, value, type(got).__name__,
                                                      got, want.__name__))
        if want is dict:
            for item in value.split(','):
                k, v = item.rsplit('=', 1)
                check(isinstance(got[k], want_type(v)),
                      '%s: %s %s=%s parsed as %r' % (what, name, k, v, got[k]))


def traffic():
    """Something in every counter section: hits, a miss, an error, keys,
    dead versions."""
    r = client()
    r.flushall()
    for i in range(10):
        r.set('k%d' % i, 'v%d' % i)
    r.set('ttl', 'x', ex=1000)
    # old versions for the Vacuum section to count (until a vacuum removes them)
    r.set('k0', 'v0')
    r.set('gone', 'x')
    r.delete('gone')
    eq(r.get('k1'), b'v1', 'GET')
    eq(r.get('nope'), None, 'GET missing')
    try:
        r.incr('k1')
        raise AssertionError('INCR of a non-integer did not fail')
    except redis.ResponseError:
        pass
    return r


# ------------------------------------------------------------------ tests

def test_redis_py_groups():
    r = traffic()
    for args in ((), ('default',), ('all',), ('everything',)):
        what = 'INFO %s' % ' '.join(args) if args else 'INFO'
        # parsed first: the raw text fetched after it has the same fields
        parsed = r.info(*args)
        check_parsed(what, parsed, raw_info(*args))
    full = r.info('everything')
    eq(full['redis_version'], '7.0.15', 'redis_version')
    eq(full['tcp_port'], PORT, 'tcp_port')
    eq(full['role'], 'master', 'role')
    if not ORACLE:
        check(isinstance(full['buffer_hit_ratio'], float), 'buffer_hit_ratio is a float')
    eq(full['db0'], {'keys': 11, 'expires': 1, 'avg_ttl': full['db0']['avg_ttl']}, 'db0')
    check(isinstance(full['cmdstat_set']['calls'], int) and full['cmdstat_set']['calls'] >= 11,
          'cmdstat_set calls: %r' % full['cmdstat_set'])
    check(isinstance(full['cmdstat_set']['usec_per_call'], float), 'cmdstat usec_per_call')
    # one key=value pair has no comma: parse_info leaves it a str, with Redis too
    check(re.fullmatch(r'count=[1-9][0-9]*', full['errorstat_ERR']),
          'errorstat_ERR: %r' % full['errorstat_ERR'])


def test_redis_py_sections():
    r = traffic()
    text = raw_info('everything')
    sections = [h.lower() for h in headers(text)]
    for want in everything_sections():
        check(want.lower() in sections, 'INFO everything has no section %s: %s'
              % (want, headers(text)))
    for section in sections:
        parsed = r.info(section)
        raw = raw_info(section)
        eq(headers(raw), [h for h in headers(text) if h.lower() == section],
           'INFO %s headers' % section)
        check_parsed('INFO %s' % section, parsed, raw)
        for name in INT_FIELDS.get(section, ()):
            check(name in parsed, 'INFO %s lacks %s' % (section, name))
            check(type(parsed[name]) is int, 'INFO %s: %s is %r, not an int'
                  % (section, name, parsed[name]))
    # the counters move as they should between two parsed reads
    before = r.info('stats')['total_commands_processed']
    for _ in range(5):
        r.ping()
    after = r.info('stats')['total_commands_processed']
    eq(after - before, 6, 'total_commands_processed after 5 PINGs and an INFO')
    hits = r.info('stats')['keyspace_hits']
    r.get('k2')
    eq(r.info('stats')['keyspace_hits'], hits + 1, 'keyspace_hits after a GET')
    eq(r.info('keyspace')['db0']['keys'], 11, 'INFO keyspace db0 keys')


def cli(*args):
    p = subprocess.run([CLI, '-h', '127.0.0.1', '-p', str(PORT)] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                       env=dict(os.environ, REDISCLI_HISTFILE='/dev/null',
                                REDISCLI_RCFILE='/dev/null', LC_ALL='C'))
    eq((p.returncode, p.stderr), (0, b''), 'redis-cli %s: exit status and stderr' % ' '.join(args))
    return p.stdout.decode()


def test_redis_cli_sections():
    traffic()
    for args, want in ((('INFO',), DEFAULT_SECTIONS), (('INFO', 'default'), DEFAULT_SECTIONS),
                       (('INFO', 'all'), [s for s in EVERYTHING_SECTIONS
                                          if s in DEFAULT_SECTIONS or s.endswith('stats')]),
                       (('INFO', 'everything'), everything_sections())):
        out = cli(*args)
        got = headers(out.replace('\r', ''))
        missing = [s for s in want if s not in got]
        check(not missing, 'redis-cli %s: no section %s in %s' % (' '.join(args), missing, got))
        check(len(set(got)) == len(got), 'redis-cli %s: a section twice: %s' % (' '.join(args), got))
        if args == ('INFO',):
            extra = [s for s in got if s not in DEFAULT_SECTIONS]
            check(not extra, 'redis-cli INFO: sections beyond the default ones: %s' % extra)
        check(re.search(r'^total_commands_processed:[0-9]+\r?$', out, re.M),
              'redis-cli %s: no total_commands_processed line' % ' '.join(args))


def main():
    global PORT, ORACLE
    print('redis-py %s from %s, python %s' % (redis.__version__, redis.__file__,
                                              sys.version.split()[0]), flush=True)
    srv = Server().start()
    PORT = srv.port
    ORACLE = os.path.basename(srv.binary).startswith('redis-server')
    run = Runner()
    try:
        for name, fn in [('redis_py_groups', test_redis_py_groups),
                         ('redis_py_sections', test_redis_py_sections),
                         ('redis_cli_sections', test_redis_cli_sections)]:
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
