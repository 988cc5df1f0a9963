#!/usr/bin/env python3
"""Differential tester: tusk-server vs. a real redis-server.

Starts both servers on free loopback ports in temporary directories, sends
the same command sequences to both over raw sockets, reads one complete
RESP2/RESP3 reply from each and compares them (exact bytes unless a per
command comparison rule says otherwise).  See README.md beside this file.

Python 3 standard library only.
"""

import argparse
import ast
import os
import random
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------
# Sequence line splitting (same rules as redis-cli / sdssplitargs)
# --------------------------------------------------------------------------


class SplitError(Exception):
    pass


_HEX = b'0123456789abcdefABCDEF'
_ESC = {ord('n'): b'\n', ord('r'): b'\r', ord('t'): b'\t', ord('b'): b'\b',
        ord('a'): b'\a', ord('0'): b'\0'}
_SPACE = b' \n\r\t\0'


def split_args(line):
    """Split one line like sdssplitargs() does (redis-cli and inline
    commands).  Input and output are bytes.  Raises SplitError on
    unbalanced quotes.  Extension over sdssplitargs: \\0 inside double
    quotes is a NUL byte (redis-cli would keep the 0)."""
    args = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in _SPACE:
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        inq = insq = False
        while True:
            if inq:
                if i >= n:
                    raise SplitError('unbalanced double quotes')
                c = line[i]
                if (c == 0x5c and i + 3 < n and line[i + 1] in b'xX'
                        and line[i + 2] in _HEX and line[i + 3] in _HEX):
                    cur.append(int(line[i + 2:i + 4], 16))
                    i += 3
                elif c == 0x5c and i + 1 < n:
                    i += 1
                    cur += _ESC.get(line[i], bytes([line[i]]))
                elif c == 0x22:
                    if i + 1 < n and line[i + 1] not in _SPACE:
                        raise SplitError('closing quote must be followed by a space')
                    i += 1
                    break
                else:
                    cur.append(c)
            elif insq:
                if i >= n:
                    raise SplitError('unbalanced single quotes')
                c = line[i]
                if c == 0x5c and i + 1 < n and line[i + 1] == 0x27:
                    i += 1
                    cur.append(0x27)
                elif c == 0x27:
                    if i + 1 < n and line[i + 1] not in _SPACE:
                        raise SplitError('closing quote must be followed by a space')
                    i += 1
                    break
                else:
                    cur.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in _SPACE:
                    break
                if c == 0x22:
                    inq = True
                elif c == 0x27:
                    insq = True
                else:
                    cur.append(c)
            i += 1
        args.append(bytes(cur))


def quote_arg(a):
    """Render one argument the way it can be written in a sequence file."""
    if a and all(33 <= c < 127 and c not in b'"\'\\' for c in a):
        return a.decode()
    out = []
    for c in a:
        if c == 0x22:
            out.append('\\"')
        elif c == 0x5c:
            out.append('\\\\')
        elif c == 10:
            out.append('\\n')
        elif c == 13:
            out.append('\\r')
        elif c == 0:
            out.append('\\0')
        elif 32 <= c < 127:
            out.append(chr(c))
        else:
            out.append('\\x%02x' % c)
    return '"' + ''.join(out) + '"'


def fmt_cmd(argv, limit=300):
    s = ' '.join(quote_arg(a) for a in argv)
    if len(s) > limit:
        s = s[:limit] + '...(%d chars)' % len(s)
    return s


def encode_cmd(argv):
    out = [b'*%d\r\n' % len(argv)]
    for a in argv:
        out.append(b'$%d\r\n' % len(a))
        out.append(a)
        out.append(b'\r\n')
    return b''.join(out)


def eval_bytes_expr(text):
    """Evaluate a python bytes literal, optionally combined with + and
    * int (e.g. b'*1\\r\\n$' + b'1' * 70000).  No names, no calls."""
    tree = ast.parse(text.strip(), mode='eval')

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (bytes, int)):
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
            left, right = ev(node.left), ev(node.right)
            return left + right if isinstance(node.op, ast.Add) else left * right
        raise ValueError('only bytes literals, ints, + and * are allowed')
    val = ev(tree)
    if not isinstance(val, bytes):
        raise ValueError('expression is not bytes')
    return val


# --------------------------------------------------------------------------
# RESP2 / RESP3 reply reader
# --------------------------------------------------------------------------


class ConnClosed(Exception):
    pass


class ProtoError(Exception):
    pass


class Reply:
    """One parsed reply.  kind is the RESP type byte as a str ('+', '-',
    ':', '$', '*', '_', ',', '#', '!', '=', '(', '%', '~', '>', '|').
    value: bytes for scalars (None for RESP2 nulls), a list of Reply for
    aggregates (maps and attributes as a flat k, v, k, v list; an
    attribute's last element is the reply it annotates).  raw: the exact
    bytes of the whole reply."""
    __slots__ = ('kind', 'value', 'raw')

    def __init__(self, kind, value, raw):
        self.kind, self.value, self.raw = kind, value, raw

    @property
    def is_error(self):
        return self.kind in '-!'

    @property
    def is_agg(self):
        return self.kind in '*%~>|' and self.value is not None

    def text(self):
        """Scalar payload as bytes (verbatim strings without 'txt:')."""
        if self.kind == '=' and self.value is not None:
            return self.value[4:]
        return self.value

    def pairs(self):
        v = self.value or []
        return [(v[i], v[i + 1]) for i in range(0, len(v) - 1, 2)]

    def __repr__(self):
        return 'Reply(%r, %r)' % (self.kind, self.raw)


class Conn:
    def __init__(self, port, timeout):
        self.port = port
        self.timeout = timeout
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0
        self.eof = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise ConnClosed('send failed: %s' % e)

    def _fill(self, want=0):
        if self.eof:
            raise ConnClosed('connection closed by server')
        self.sock.settimeout(self.timeout)
        try:
            d = self.sock.recv(min(max(want, 1 << 16), 1 << 22))
        except socket.timeout:
            raise
        except OSError as e:
            self.eof = True
            raise ConnClosed('recv failed: %s' % e)
        if not d:
            self.eof = True
            raise ConnClosed('connection closed by server')
        self.buf += d

    def _line(self):
        while True:
            i = self.buf.find(b'\r\n', self.pos)
            if i >= 0:
                line = bytes(self.buf[self.pos:i])
                self.pos = i + 2
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) - self.pos < n:
            self._fill(n - (len(self.buf) - self.pos))
        d = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return d

    def read_reply(self):
        """Read one complete reply; return a Reply.  Raises socket.timeout,
        ConnClosed or ProtoError."""
        # compact so raw slices stay cheap
        if self.pos:
            del self.buf[:self.pos]
            self.pos = 0
        start = self.pos
        r = self._parse()
        r.raw = bytes(self.buf[start:self.pos])
        return r

    def _parse(self):
        s0 = self.pos
        line = self._line()
        if not line:
            raise ProtoError('empty reply line')
        t = chr(line[0])
        rest = line[1:]
        if t in '+-:,#(':
            return Reply(t, rest, None)
        if t == '_':
            return Reply(t, None, None)
        if t in '$!=':
            n = _int(rest)
            if n < 0:
                return Reply(t, None, None)
            data = self._exact(n + 2)
            if data[-2:] != b'\r\n':
                raise ProtoError('bulk not terminated by CRLF')
            return Reply(t, data[:-2], None)
        if t in '*~>%|':
            n = _int(rest)
            if n < 0:
                return Reply(t, None, None)
            if t in '%|':
                n *= 2
            items = []
            for _ in range(n):
                st = self.pos
                it = self._parse()
                it.raw = bytes(self.buf[st:self.pos])
                items.append(it)
            if t == '|':          # attribute: followed by the real reply
                st = self.pos
                it = self._parse()
                it.raw = bytes(self.buf[st:self.pos])
                items.append(it)
            return Reply(t, items, None)
        self.pos = s0
        raise ProtoError('unknown reply type byte %r' % line[:1])

    def wait_closed(self, timeout):
        """True if the server closes the connection within timeout (any
        further bytes received meanwhile are returned as the 2nd item)."""
        extra = bytes(self.buf[self.pos:])
        self.buf, self.pos = bytearray(), 0
        if self.eof:
            return True, extra
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                return False, extra
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(1 << 16)
            except socket.timeout:
                return False, extra
            except OSError:
                self.eof = True
                return True, extra
            if not d:
                self.eof = True
                return True, extra
            extra += d


def _int(b):
    try:
        return int(b)
    except ValueError:
        raise ProtoError('bad length/int %r' % b)


# --------------------------------------------------------------------------
# Comparison rules
# --------------------------------------------------------------------------
# A rule is f(redis_reply, tusk_reply) -> None when equal, else a short
# reason string.  compare() always falls back to exact bytes when either
# reply is an error: error texts are deterministic and must match.


def rule_exact(a, b):
    return None if a.raw == b.raw else 'bytes differ'


def rule_type(a, b):
    """Same reply type (and both null or both non-null); value ignored."""
    if a.kind != b.kind:
        return 'type %r vs %r' % (a.kind, b.kind)
    if (a.value is None) != (b.value is None):
        return 'null vs non-null'
    return None


def _shape(a, b, leaf=None, path='reply'):
    if a.kind != b.kind:
        return '%s: type %r vs %r' % (path, a.kind, b.kind)
    if (a.value is None) != (b.value is None):
        return '%s: null vs non-null' % path
    if a.is_agg:
        if len(a.value) != len(b.value):
            return '%s: %d vs %d elements' % (path, len(a.value), len(b.value))
        for i, (x, y) in enumerate(zip(a.value, b.value)):
            r = _shape(x, y, leaf, '%s[%d]' % (path, i))
            if r:
                return r
    elif leaf is not None and a.value is not None:
        return leaf(a, b, path)
    return None


def rule_shape(a, b):
    """Same type tree and aggregate lengths; scalar values ignored."""
    return _shape(a, b)


def _digits(a, b, path):
    if not re.fullmatch(rb'[0-9]+', b.value or b''):
        return '%s: %r is not a non-negative integer' % (path, b.value)
    return None


def rule_time(a, b):
    """TIME: two bulk strings of digits; seconds within 5 s of each other."""
    r = _shape(a, b, _digits)
    if r is None and a.is_agg and len(a.value) == 2:
        if abs(int(a.value[0].value) - int(b.value[0].value)) > 5:
            return 'clocks differ by more than 5 s'
        if not 0 <= int(b.value[1].value) < 1000000:
            return 'microseconds out of range'
    return r


def _multiset(items):
    return sorted(items)


def rule_unordered(a, b):
    """Aggregate compared as a multiset of its elements' exact bytes
    (header must match).  For SMEMBERS, KEYS, SUNION, HKEYS, ..."""
    if a.kind != b.kind or not a.is_agg or not b.is_agg:
        return rule_exact(a, b)
    if len(a.value) != len(b.value):
        return '%d vs %d elements' % (len(a.value), len(b.value))
    if a.kind in '%|':
        return rule_unordered_pairs(a, b)
    if _multiset(x.raw for x in a.value) != _multiset(x.raw for x in b.value):
        return 'different elements (compared unordered)'
    return None


def rule_unordered_pairs(a, b):
    """Flat field/value list (RESP2 HGETALL, CONFIG GET) or RESP3 map,
    compared as a multiset of (field, value) pairs."""
    if a.kind != b.kind or not a.is_agg or not b.is_agg:
        return rule_exact(a, b)
    if len(a.value) != len(b.value):
        return '%d vs %d elements' % (len(a.value), len(b.value))
    pa = _multiset((k.raw, v.raw) for k, v in a.pairs())
    pb = _multiset((k.raw, v.raw) for k, v in b.pairs())
    if pa != pb:
        return 'different field/value pairs (compared unordered)'
    return None


def _pairs_rule(volatile):
    """Pairs compared unordered; values of the named fields ignored."""
    def rule(a, b):
        if a.kind != b.kind or not a.is_agg or not b.is_agg:
            return rule_exact(a, b)
        if len(a.value) != len(b.value):
            return '%d vs %d elements' % (len(a.value), len(b.value))

        def norm(r):
            out = []
            for k, v in r.pairs():
                if (k.text() or b'').lower() in volatile:
                    out.append((k.raw, 'kind=' + v.kind))
                else:
                    out.append((k.raw, v.raw))
            return sorted(out, key=repr)
        if norm(a) != norm(b):
            return 'different field/value pairs (ignoring values of %s)' % (
                ', '.join(sorted(x.decode() for x in volatile)))
        return None
    return rule


rule_config_get = _pairs_rule({b'port', b'dir', b'tls-port', b'pidfile'})
rule_hello = _pairs_rule({b'id', b'version'})


def _parse_info(text):
    sections, fields = [], {}
    for line in text.split(b'\r\n'):
        if not line:
            continue
        if line.startswith(b'#'):
            sections.append(line)
            continue
        k, sep, v = line.partition(b':')
        fields[k] = v
    return sections, fields


def rule_info(a, b):
    """INFO: same section headers (in order) and same set of field names;
    values ignored, except the Keyspace lines (dbN:keys=..,expires=..),
    whose keys= and expires= counts must match."""
    if a.kind != b.kind or a.value is None or b.value is None:
        return rule_type(a, b)
    sa, fa = _parse_info(a.text())
    sb, fb = _parse_info(b.text())
    if sa != sb:
        return 'sections differ: %r vs %r' % (sa, sb)
    if set(fa) != set(fb):
        only_r = sorted(set(fa) - set(fb))
        only_t = sorted(set(fb) - set(fa))
        return 'field names differ: only in redis %r, only in tusk %r' % (only_r, only_t)
    for k in fa:
        if re.fullmatch(rb'db[0-9]+', k):
            ka = re.sub(rb',avg_ttl=\d+', b'', fa[k])
            kb = re.sub(rb',avg_ttl=\d+', b'', fb[k])
            if ka != kb:
                return 'keyspace %r: %r vs %r' % (k, fa[k], fb[k])
    return None


CLIENT_VOLATILE = {b'id', b'addr', b'laddr', b'fd', b'age', b'idle', b'qbuf',
                   b'qbuf-free', b'argv-mem', b'multi-mem', b'rbs', b'rbp',
                   b'tot-mem', b'omem'}


def _client_lines(text):
    out = []
    for line in text.split(b'\n'):
        if not line:
            continue
        fields = []
        for tok in line.split(b' '):
            k, sep, v = tok.partition(b'=')
            fields.append((k, None if k in CLIENT_VOLATILE else v))
        out.append(fields)
    return out


def rule_client_list(a, b):
    """CLIENT LIST / CLIENT INFO: same lines with the same field names in
    the same order; values compared except connection/memory/time ones
    (id addr laddr fd age idle qbuf qbuf-free argv-mem multi-mem rbs rbp
    tot-mem omem)."""
    if a.kind != b.kind or a.value is None or b.value is None:
        return rule_type(a, b)
    ta, tb = a.text(), b.text()
    if ta.endswith(b'\n') != tb.endswith(b'\n'):
        return 'trailing newline differs'
    la, lb = _client_lines(ta), _client_lines(tb)
    # tusk appends the backend's process id (pid=) to each line: a documented
    # extension (COMMANDS.md); every Redis field must still be there, in order
    lb = [x[:-1] if x and x[-1][0] == b'pid' else x for x in lb]
    if len(la) != len(lb):
        return '%d vs %d client lines' % (len(la), len(lb))
    for x, y in zip(sorted(la, key=repr), sorted(lb, key=repr)):
        if [k for k, _ in x] != [k for k, _ in y]:
            return 'field names differ'
        if x != y:
            diff = [(k.decode(), v1, v2) for (k, v1), (_, v2) in zip(x, y) if v1 != v2]
            return 'field values differ: %r' % diff
    return None


def _int_tolerance(tol):
    def rule(a, b):
        if a.kind != ':' or b.kind != ':':
            return rule_exact(a, b)
        x, y = int(a.value), int(b.value)
        if x < 0 or y < 0:
            return None if x == y else 'values differ'
        return None if abs(x - y) <= tol else 'differ by more than %d' % tol
    rule.__doc__ = 'integer within +-%d; negative (special) values exact' % tol
    return rule


rule_ttl = _int_tolerance(1)
rule_pttl = _int_tolerance(500)


def rule_command_info(a, b):
    """COMMAND INFO name...: per entry, name, arity, flags, first/last key
    and step must match exactly; ACL categories, tips, key specs and
    subcommands are ignored."""
    if a.kind != b.kind or not a.is_agg or not b.is_agg:
        return rule_shape(a, b)
    if len(a.value) != len(b.value):
        return '%d vs %d entries' % (len(a.value), len(b.value))
    for i, (x, y) in enumerate(zip(a.value, b.value)):
        if not x.is_agg or not y.is_agg:
            if x.raw != y.raw:
                return 'entry %d differs' % i
            continue
        for j in range(min(6, len(x.value))):
            if j >= len(y.value) or x.value[j].raw != y.value[j].raw:
                return 'entry %d field %d differs' % (i, j)
    return None


def rule_scan(a, b):
    """SCAN family: if both cursors are 0 (complete iteration) compare the
    elements unordered (as pairs for HSCAN/ZSCAN); otherwise shape only
    (cursor values depend on the hash table layout)."""
    r = rule_type(a, b)
    if r or not a.is_agg:
        return r
    if len(a.value) != 2 or len(b.value) != 2:
        return rule_shape(a, b)
    if a.value[0].value == b'0' and b.value[0].value == b'0':
        return rule_unordered(a.value[1], b.value[1])
    return rule_type(a.value[1], b.value[1])


def rule_hscan(a, b):
    r = rule_type(a, b)
    if r or not a.is_agg:
        return r
    if len(a.value) != 2 or len(b.value) != 2:
        return rule_shape(a, b)
    if a.value[0].value == b'0' and b.value[0].value == b'0':
        return rule_unordered_pairs(a.value[1], b.value[1])
    return rule_type(a.value[1], b.value[1])


RULES = {
    'exact': rule_exact, 'type': rule_type, 'shape': rule_shape,
    'unordered': rule_unordered, 'unordered_pairs': rule_unordered_pairs,
    'info': rule_info, 'client_list': rule_client_list, 'time': rule_time,
    'hello': rule_hello, 'config_get': rule_config_get, 'ttl': rule_ttl,
    'pttl': rule_pttl, 'command_info': rule_command_info, 'scan': rule_scan,
    'hscan': rule_hscan,
}

# Commands whose first argument is a subcommand (rule key "CMD|SUB").
CONTAINERS = {'CLIENT', 'CONFIG', 'COMMAND', 'OBJECT', 'MEMORY', 'DEBUG', 'ACL',
              'XINFO', 'FUNCTION', 'SCRIPT', 'CLUSTER', 'LATENCY', 'SLOWLOG',
              'MODULE', 'PUBSUB'}

COMMAND_RULES = {
    # server-specific values
    'INFO': 'info', 'CLIENT|LIST': 'client_list', 'CLIENT|INFO': 'client_list',
    'CLIENT|ID': 'type', 'TIME': 'time', 'LASTSAVE': 'type', 'HELLO': 'hello',
    'CONFIG|GET': 'config_get',
    'COMMAND': 'type', 'COMMAND|COUNT': 'type', 'COMMAND|LIST': 'type',
    'COMMAND|DOCS': 'type', 'COMMAND|INFO': 'command_info',
    'OBJECT|IDLETIME': 'ttl', 'OBJECT|FREQ': 'type', 'MEMORY|USAGE': 'type',
    # clocks: both servers run the same command within milliseconds
    'TTL': 'ttl', 'EXPIRETIME': 'ttl', 'PTTL': 'pttl', 'PEXPIRETIME': 'pttl',
    # random results
    'RANDOMKEY': 'type', 'SRANDMEMBER': 'shape', 'SPOP': 'shape',
    'HRANDFIELD': 'shape', 'ZRANDMEMBER': 'shape',
    # hash table order
    'KEYS': 'unordered', 'SMEMBERS': 'unordered', 'SUNION': 'unordered',
    'SINTER': 'unordered', 'SDIFF': 'unordered', 'HKEYS': 'unordered',
    'HVALS': 'unordered', 'HGETALL': 'unordered_pairs',
    'SCAN': 'scan', 'SSCAN': 'scan', 'HSCAN': 'hscan', 'ZSCAN': 'scan',
}

# After these, both servers must close the connection.
CLOSING = {'QUIT'}


def rule_key(argv):
    name = argv[0].decode('latin-1').upper()
    if name in CONTAINERS and len(argv) > 1:
        return name + '|' + argv[1].decode('latin-1').upper()
    return name


def rule_for(argv, override=None):
    if override:
        return override
    k = rule_key(argv)
    return COMMAND_RULES.get(k) or COMMAND_RULES.get(k.split('|')[0]) or 'exact'


def compare(rule_name, a, b):
    if a.is_error and b.is_error and rule_name == 'type':
        # an explicit "@rule type" on a line where Redis itself varies
        # between errors (seq/connection.txt, "GET\0"): same error code
        return None if a.raw.split(b' ')[0] == b.raw.split(b' ')[0] else 'error code differs'
    if a.is_error or b.is_error or rule_name == 'exact':
        return rule_exact(a, b)
    return RULES[rule_name](a, b)


# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Server:
    def __init__(self, label, binary, extra_args):
        self.label = label
        self.binary = binary
        self.extra = extra_args
        self.proc = None
        self.port = None
        self.dir = None
        self.log = None

    def start(self, timeout=10.0):
        for attempt in range(3):
            self.dir = tempfile.mkdtemp(prefix='difftest-%s-' % self.label)
            self.port = free_port()
            self.logpath = os.path.join(self.dir, 'server.log')
            self.log = open(self.logpath, 'wb')
            cmd = [self.binary, '--port', str(self.port), '--dir', self.dir,
                   '--bind', '127.0.0.1'] + self.extra
            self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.dir)
            if self._wait_ping(timeout):
                return
            rc = self.proc.poll()
            tail = self.log_tail()
            self.stop()
            if rc is None:
                raise RuntimeError('%s (%s) did not answer PING within %.0fs on port %d\n%s'
                                   % (self.label, self.binary, timeout, self.port, tail))
            # maybe lost the port race; retry
            err = '%s (%s) exited with status %s\n%s' % (self.label, self.binary, rc, tail)
        raise RuntimeError(err)

    def _wait_ping(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                c = Conn(self.port, 1.0)
                try:
                    c.send(b'*1\r\n$4\r\nPING\r\n')
                    if c.read_reply().raw == b'+PONG\r\n':
                        return True
                finally:
                    c.close()
            except (OSError, ConnClosed, ProtoError, socket.timeout):
                pass
            time.sleep(0.05)
        return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=20):
        try:
            with open(self.logpath, 'rb') as f:
                lines = f.read().decode('utf-8', 'replace').splitlines()
            return '\n'.join('    | ' + l for l in lines[-n:])
        except OSError:
            return ''

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    os.kill(self.proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    try:
                        os.kill(self.proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    self.proc.wait(5)
            self.proc = None
        if self.log:
            self.log.close()
            self.log = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


# --------------------------------------------------------------------------
# Sequence files
# --------------------------------------------------------------------------


class Item:
    """kind: cmd | raw | reconnect | sleep"""
    __slots__ = ('lineno', 'kind', 'argv', 'data', 'rule', 'ms')

    def __init__(self, lineno, kind, argv=None, data=None, rule=None, ms=0):
        self.lineno, self.kind, self.argv = lineno, kind, argv
        self.data, self.rule, self.ms = data, rule, ms


class Sequence:
    def __init__(self, name):
        self.name = name
        self.items = []
        self.requires = []     # command names tusk must know
        self.errors = []       # (lineno, message) parse errors

    def ncommands(self):
        return sum(1 for i in self.items if i.kind in ('cmd', 'raw'))


def parse_sequence(path, name=None):
    seq = Sequence(name or os.path.relpath(path))
    with open(path, 'rb') as f:
        lines = f.read().split(b'\n')
    pending_rule = None
    for no, line in enumerate(lines, 1):
        line = line.rstrip(b'\r')
        s = line.strip()
        if not s or s.startswith(b'#'):
            continue
        if s.startswith(b'@'):
            word, _, rest = s.partition(b' ')
            word = word.decode('latin-1').lower()
            rest = rest.strip()
            if word == '@resp3' or word == '@resp2':
                seq.items.append(Item(no, 'cmd', [b'HELLO', word[-1].encode()], rule='hello'))
            elif word == '@reconnect':
                seq.items.append(Item(no, 'reconnect'))
            elif word == '@raw':
                try:
                    seq.items.append(Item(no, 'raw', data=eval_bytes_expr(rest.decode('latin-1'))))
                except (ValueError, SyntaxError) as e:
                    seq.errors.append((no, '@raw: %s' % e))
            elif word == '@requires':
                seq.requires += [w.upper() for w in rest.decode('latin-1').split()]
            elif word == '@sleep':
                seq.items.append(Item(no, 'sleep', ms=int(rest)))
            elif word == '@rule':
                r = rest.decode('latin-1')
                if r not in RULES:
                    seq.errors.append((no, 'unknown rule %r (known: %s)' % (r, ', '.join(RULES))))
                pending_rule = r
            else:
                seq.errors.append((no, 'unknown directive %s' % word))
            continue
        try:
            argv = split_args(line)
        except SplitError as e:
            seq.errors.append((no, str(e)))
            continue
        if argv:
            seq.items.append(Item(no, 'cmd', argv, rule=pending_rule))
            pending_rule = None
    return seq


# Commands that run (harmlessly or not) with no arguments: probe them with
# extra bogus arguments, which makes them fail with a syntax/arity error.
NOARG_EXECUTES = {'FLUSHALL', 'FLUSHDB', 'PING', 'DBSIZE', 'RANDOMKEY', 'TIME',
                  'INFO', 'LASTSAVE', 'ROLE', 'COMMAND', 'RESET', 'DISCARD',
                  'EXEC', 'UNWATCH', 'READONLY', 'READWRITE', 'SAVE', 'BGSAVE',
                  'BGREWRITEAOF', 'LOLWUT', 'ASKING', 'HELLO'}
UNPROBEABLE = {'QUIT', 'SHUTDOWN', 'MONITOR', 'MULTI', 'SYNC', 'PSYNC', 'DEBUG',
               'SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE', 'UNSUBSCRIBE',
               'PUNSUBSCRIBE', 'SUNSUBSCRIBE', 'REPLICAOF', 'SLAVEOF', 'FAILOVER'}


def probe_argv(name):
    if name in UNPROBEABLE:
        return None
    if name in NOARG_EXECUTES:
        return [name.encode(), b'__difftest_probe__', b'__difftest_probe__']
    return [name.encode()]


# --------------------------------------------------------------------------
# Runner
# --------------------------------------------------------------------------


def short(b, verbose):
    r = repr(bytes(b))
    if not verbose and len(r) > 1200:
        r = r[:1200] + '... (%d bytes total)' % len(b)
    return r


class Runner:
    def __init__(self, args):
        self.args = args
        self.redis = Server('redis', args.redis, shlex.split(args.redis_args))
        self.tusk = Server('tusk', args.tusk, shlex.split(args.tusk_args))
        self.passed = self.failed = self.skipped = 0
        self.files_run = self.files_skipped = 0
        self.rc = self.tc = None

    def start(self):
        self.redis.start()
        self.tusk.start()
        print('redis-server: %s (port %d), tusk-server: %s (port %d)'
              % (self.redis.binary, self.redis.port, self.tusk.binary, self.tusk.port))
        sys.stdout.flush()

    def stop(self):
        for c in (self.rc, self.tc):
            if c:
                c.close()
        self.rc = self.tc = None
        self.tusk.stop()
        self.redis.stop()

    # connections -----------------------------------------------------------
    def connect(self):
        for c in (self.rc, self.tc):
            if c:
                c.close()
        self.rc = self.tc = None
        self.rc = Conn(self.redis.port, self.args.timeout)
        self.tc = self.connect_tusk()

    def connect_tusk(self):
        try:
            return Conn(self.tusk.port, self.args.timeout)
        except OSError as e:
            raise TuskDead('cannot connect to tusk-server: %s' % e)

    # reporting ---------------------------------------------------------------
    def fail(self, where, what, reason, rb=None, tb=None):
        self.failed += 1
        print('FAIL %s: %s' % (where, what))
        print('  reason: %s' % reason)
        if rb is not None:
            print('  redis: %s' % short(rb, self.args.verbose))
        if tb is not None:
            print('  tusk:  %s' % short(tb, self.args.verbose))
        sys.stdout.flush()

    def ok(self, where, what, rule, rb, tb):
        self.passed += 1
        if self.args.verbose:
            print('ok   %s: %s  [%s] -> %s' % (where, what, rule, short(rb, False)))
            if rb != tb:
                print('                    tusk: %s' % short(tb, False))

    # one sequence ------------------------------------------------------------
    def run_sequence(self, seq):
        for no, msg in seq.errors:
            self.fail('%s:%d' % (seq.name, no), '(parse error)', msg)
        if seq.errors:
            self.failed += seq.ncommands()
            print('ABORTED %s: %d parse error(s); its %d commands counted as failed'
                  % (seq.name, len(seq.errors), seq.ncommands()))
            return
        try:
            self.connect()
            missing = self.check_requires(seq)
            if missing:
                self.files_skipped += 1
                self.skipped += seq.ncommands()
                print('SKIPPED %s: tusk-server does not implement %s (%d commands not run)'
                      % (seq.name, ' '.join(missing), seq.ncommands()))
                return
            self.files_run += 1
            for idx, item in enumerate(seq.items):
                try:
                    self.run_item(seq, item)
                except TuskDead as e:
                    left = sum(1 for i in seq.items[idx + 1:] if i.kind in ('cmd', 'raw'))
                    self.fail('%s:%d' % (seq.name, item.lineno), self.describe(item), str(e))
                    self.failed += left
                    print('ABORTED %s: %d remaining commands counted as failed' % (seq.name, left))
                    self.recover_tusk()
                    return
        except TuskDead as e:
            self.fail(seq.name, '(connect)', str(e))
            self.failed += seq.ncommands()
            self.recover_tusk()

    def recover_tusk(self):
        if not self.tusk.alive():
            rc = self.tusk.proc.poll() if self.tusk.proc else None
            print('tusk-server is gone (exit status %s); log tail:\n%s' % (rc, self.tusk.log_tail()))
            self.tusk.stop()
            print('restarting tusk-server')
            self.tusk.start()
        try:
            self.connect()
        except (OSError, TuskDead):
            pass

    def check_requires(self, seq):
        missing = []
        for name in seq.requires:
            argv = probe_argv(name)
            if argv is None:
                raise RuntimeError('%s: @requires %s: cannot probe this command safely'
                                   % (seq.name, name))
            self.rc.send(encode_cmd(argv))
            self.tc.send(encode_cmd(argv))
            r = self.read(self.rc, 'redis')
            t = self.read_tusk()
            if isinstance(r, Reply) and r.raw.startswith(b'-ERR unknown command'):
                raise RuntimeError('redis-server does not know %s' % name)
            if not isinstance(t, Reply) or t.raw.startswith(b'-ERR unknown command'):
                missing.append(name)
        self.connect()    # fresh connections for the sequence itself
        return missing

    def describe(self, item):
        if item.kind == 'cmd':
            return fmt_cmd(item.argv)
        if item.kind == 'raw':
            return '@raw %s' % short(item.data, False)
        return '@' + item.kind

    def read(self, conn, label):
        """Read one reply from redis; oracle problems are fatal."""
        try:
            return conn.read_reply()
        except socket.timeout:
            raise RuntimeError('%s did not answer within %.1fs' % (label, self.args.timeout))
        except ConnClosed as e:
            return e
        except ProtoError as e:
            raise RuntimeError('%s sent an unparsable reply: %s' % (label, e))

    def read_tusk(self):
        """Read one reply from tusk; returns Reply or an error string."""
        try:
            return self.tc.read_reply()
        except socket.timeout:
            return 'tusk did not answer within %.1fs' % self.args.timeout
        except ConnClosed as e:
            if not self.tusk.alive():
                raise TuskDead('tusk-server died (exit status %s)' % self.tusk.proc.poll())
            return 'tusk: %s' % e
        except ProtoError as e:
            return 'tusk sent an unparsable reply: %s (buffer %r)' % (e, self.tc.buf[:200])

    def run_item(self, seq, item):
        where = '%s:%d' % (seq.name, item.lineno)
        if item.kind == 'reconnect':
            self.connect()
            return
        if item.kind == 'sleep':
            time.sleep(item.ms / 1000.0)
            return
        if item.kind == 'raw':
            return self.run_raw(where, item)
        argv = item.argv
        what = fmt_cmd(argv)
        data = encode_cmd(argv)
        self.rc.send(data)
        try:
            self.tc.send(data)
        except ConnClosed as e:
            if not self.tusk.alive():
                raise TuskDead('tusk-server died (exit status %s)' % self.tusk.proc.poll())
        r = self.read(self.rc, 'redis')
        t = self.read_tusk()
        if isinstance(r, ConnClosed):
            raise RuntimeError('%s: redis closed the connection unexpectedly on %s' % (where, what))
        rule = rule_for(argv, item.rule)
        if not isinstance(t, Reply):
            self.fail(where, what, t, r.raw, None)
            self.connect()
            return
        reason = compare(rule, r, t)
        if reason:
            self.fail(where, what, '%s (rule %s)' % (reason, rule), r.raw, t.raw)
        else:
            self.ok(where, what, rule, r.raw, t.raw)
        if rule_key(argv) == 'SPOP':
            self.resync_spop(argv, r, t)
        if rule_key(argv) in CLOSING and not r.is_error:
            rc, rextra = self.rc.wait_closed(1.0)
            tc, textra = self.tc.wait_closed(1.0)
            if (rc, rextra) != (tc, textra):
                self.fail(where, what + ' (connection close)',
                          'redis closed=%s, tusk closed=%s' % (rc, tc), rextra, textra)
            self.connect()

    def resync_spop(self, argv, r, t):
        """SPOP removes random members: make tusk's set equal to redis's
        by re-adding what tusk popped and removing what redis popped.  The
        same commands go to both servers (no-ops on redis) so statistics
        stay symmetric."""
        if r.is_error or t.is_error or len(argv) < 2:
            return
        def members(x):
            if x.is_agg:
                return {e.value for e in x.value if e.value is not None}
            return {x.value} if x.value is not None and x.kind == '$' else set()
        mr, mt = members(r), members(t)
        fixes = []
        if mt - mr:
            fixes.append([b'SADD', argv[1]] + sorted(mt - mr))
        if mr - mt:
            fixes.append([b'SREM', argv[1]] + sorted(mr - mt))
        for f in fixes:
            self.rc.send(encode_cmd(f))
            self.tc.send(encode_cmd(f))
            self.read(self.rc, 'redis')
            self.read_tusk()
            if self.args.verbose:
                print('     resync after SPOP: %s' % fmt_cmd(f))

    def run_raw(self, where, item):
        what = '@raw %s' % short(item.data, False)
        self.rc.send(item.data)
        try:
            self.tc.send(item.data)
        except ConnClosed:
            if not self.tusk.alive():
                raise TuskDead('tusk-server died (exit status %s)' % self.tusk.proc.poll())
        (rb, rclosed), (tb, tclosed) = read_raw_pair(self.rc, self.tc, self.args.quiet / 1000.0,
                                                     self.args.timeout)
        if not self.tusk.alive():
            raise TuskDead('tusk-server died (exit status %s)' % self.tusk.proc.poll())
        if rb != tb or rclosed != tclosed:
            reason = []
            if rb != tb:
                reason.append('bytes differ')
            if rclosed != tclosed:
                reason.append('connection %s by redis but %s by tusk' % (
                    'closed' if rclosed else 'kept open', 'closed' if tclosed else 'kept open'))
            self.fail(where, what, ', '.join(reason), rb + (b' <closed>' if rclosed else b''),
                      tb + (b' <closed>' if tclosed else b''))
        else:
            self.ok(where, what, 'raw', rb + (b' <closed>' if rclosed else b''),
                    tb + (b' <closed>' if tclosed else b''))
        if rclosed or tclosed:
            self.connect()


def read_raw_pair(rc, tc, quiet, timeout):
    """@raw: read from redis (rc) and tusk (tc) at the same time.  Redis's
    answer is complete when it closes the connection or is quiet for
    `quiet` s.  Tusk's is complete when it closes, or when it is quiet, has
    sent at least as many bytes as redis and redis did not close; it gets
    up to `timeout` s to get there.  Returns ((bytes, closed), (bytes,
    closed))."""
    conns = (rc, tc)
    bufs = [bytearray(c.buf[c.pos:]) for c in conns]
    closed = [c.eof for c in conns]
    for c in conns:
        c.buf, c.pos = bytearray(), 0
    start = time.time()
    last = [start, start]
    while True:
        now = time.time()
        r_done = closed[0] or now - last[0] >= quiet
        t_done = closed[1] or (now - last[1] >= quiet and len(bufs[1]) >= len(bufs[0])
                               and not closed[0])
        if r_done and (t_done or now - start >= timeout):
            break
        socks = [c.sock for i, c in enumerate(conns) if not closed[i]]
        if not socks:
            break
        ready, _, _ = select.select(socks, [], [], quiet / 4)
        for i, c in enumerate(conns):
            if c.sock in ready:
                try:
                    d = c.sock.recv(1 << 20)
                except OSError:
                    d = b''
                if d:
                    bufs[i] += d
                    last[i] = time.time()
                else:
                    closed[i] = c.eof = True
    return (bytes(bufs[0]), closed[0]), (bytes(bufs[1]), closed[1])


class TuskDead(Exception):
    pass


# --------------------------------------------------------------------------
# Random sequences
# --------------------------------------------------------------------------

RAND_KEYS = [b'k%d' % i for i in range(8)]
RAND_VALUES = [b'', b'a', b'hello', b'0', b'1', b'-1', b'42', b'007', b'3.14', b'-0.5',
               b'10.50', b'1e3', b' 1', b'1 ', b'+5', b'0x10', b'inf', b'nan',
               b'9223372036854775807', b'-9223372036854775808', b'9223372036854775808',
               b'x' * 44, b'y' * 45, b'\x00', b'a\x00b', b'\r\n', b'\xff\xfe\x00\x01',
               b'caf\xc3\xa9', b'"quoted"', b'sp ace']
RAND_INTS = [b'0', b'1', b'-1', b'5', b'-7', b'100', b'9223372036854775807',
             b'-9223372036854775808', b'9223372036854775806', b'abc', b'1.5', b'']
RAND_FLOATS = [b'0', b'1', b'-1', b'0.1', b'1.5', b'-2.25', b'1e2', b'5.0e3', b'3.0',
               b'1.23456789012345678', b'-0', b'inf', b'abc', b'1e400', b'0.0001']
RAND_SCORES = [b'0', b'1', b'-1', b'2', b'2.5', b'0.1', b'0.2', b'0.3', b'1e3', b'-0', b'inf',
               b'-inf', b'+inf', b'1.5e-7', b'nan', b'abc', b'', b'(1', b'0x10']
SCORE_ENDS = [b'-inf', b'+inf', b'inf', b'0', b'(0', b'1', b'(1', b'2.5', b'(2.5', b'-1', b'x', b'(', b'']
LEX_ENDS = [b'-', b'+', b'[f1', b'(f1', b'[f2', b'(f2', b'[f3', b'[', b'(', b'f1', b'[\x00', b'+x']
REL_SECONDS = [b'100', b'1000', b'5000', b'0', b'-1', b'abc', b'9999999999999']
ABS_SECONDS = [b'1', b'1000', b'4102444800', b'4102444900', b'0', b'-5']


def gen_random(n, seed):
    rnd = random.Random(seed)
    key = lambda: rnd.choice(RAND_KEYS)
    val = lambda: rnd.choice(RAND_VALUES)
    field = lambda: rnd.choice([b'f1', b'f2', b'f3', b'', b'\x00'])

    def set_cmd():
        argv = [b'SET', key(), val()]
        opts = []
        if rnd.random() < 0.3:
            opts.append(rnd.choice([b'NX', b'XX']))
        if rnd.random() < 0.4:
            e = rnd.choice([b'EX', b'PX', b'EXAT', b'PXAT', b'KEEPTTL'])
            if e == b'EX':
                opts += [e, rnd.choice(REL_SECONDS)]
            elif e == b'PX':
                opts += [e, rnd.choice([b'100000', b'5000000', b'0', b'-3'])]
            elif e == b'EXAT':
                opts += [e, rnd.choice(ABS_SECONDS)]
            elif e == b'PXAT':
                opts += [e, rnd.choice([b'4102444800000', b'1000', b'1'])]
            else:
                opts.append(e)
        if rnd.random() < 0.2:
            opts.append(b'GET')
        if rnd.random() < 0.05:
            opts.append(rnd.choice([b'NX', b'XX', b'EX', b'KEEPTTL', b'FOO']))
        rnd.shuffle(opts) if rnd.random() < 0.1 else None
        return argv + opts

    def zadd_cmd():
        opts = [o for o in (b'NX', b'XX', b'GT', b'LT', b'CH', b'INCR') if rnd.random() < 0.12]
        pairs = [x for _ in range(rnd.randint(1, 3)) for x in (rnd.choice(RAND_SCORES), field())]
        if rnd.random() < 0.05:
            pairs = pairs[:-1]
        return [b'ZADD', key()] + opts + pairs

    def zrange_cmd():
        by = rnd.choice([None, None, b'BYSCORE', b'BYLEX'])
        if by == b'BYSCORE':
            ends = [rnd.choice(SCORE_ENDS), rnd.choice(SCORE_ENDS)]
        elif by == b'BYLEX':
            ends = [rnd.choice(LEX_ENDS), rnd.choice(LEX_ENDS)]
        else:
            ends = [str(rnd.randint(-4, 3)).encode(), str(rnd.randint(-4, 3)).encode()]
        opts = [by] if by else []
        if rnd.random() < 0.3:
            opts.append(b'REV')
        if rnd.random() < 0.25:
            opts += [b'LIMIT', str(rnd.randint(-1, 3)).encode(), str(rnd.randint(-1, 3)).encode()]
        if rnd.random() < 0.4:
            opts.append(b'WITHSCORES')
        if rnd.random() < 0.1:
            rnd.shuffle(opts)
        if rnd.random() < 0.15:
            return [b'ZRANGESTORE', key(), key()] + ends + [o for o in opts if o != b'WITHSCORES']
        return [b'ZRANGE', key()] + ends + opts

    def zrange_old_cmd():
        c = rnd.choice([b'ZRANGEBYSCORE', b'ZREVRANGEBYSCORE', b'ZRANGEBYLEX', b'ZREVRANGEBYLEX', b'ZREVRANGE'])
        if c == b'ZREVRANGE':
            argv = [c, key(), str(rnd.randint(-4, 3)).encode(), str(rnd.randint(-4, 3)).encode()]
        else:
            ends = LEX_ENDS if b'LEX' in c else SCORE_ENDS
            argv = [c, key(), rnd.choice(ends), rnd.choice(ends)]
        if rnd.random() < 0.3:
            argv.append(b'WITHSCORES')
        if rnd.random() < 0.3 and c != b'ZREVRANGE':
            argv += [b'LIMIT', str(rnd.randint(-1, 3)).encode(), str(rnd.randint(-1, 3)).encode()]
        return argv

    def zsetop_cmd():
        c = rnd.choice([b'ZUNION', b'ZINTER', b'ZDIFF', b'ZUNIONSTORE', b'ZINTERSTORE', b'ZDIFFSTORE'])
        n = rnd.randint(1, 3)
        argv = [c] + ([key()] if c.endswith(b'STORE') else []) + [str(n).encode()] + [key() for _ in range(n)]
        if rnd.random() < 0.3:
            argv += [b'WEIGHTS'] + [rnd.choice([b'1', b'2', b'-1', b'0', b'0.5', b'inf', b'x']) for _ in range(n)]
        if rnd.random() < 0.3:
            argv += [b'AGGREGATE', rnd.choice([b'SUM', b'MIN', b'MAX', b'max', b'AVG'])]
        if rnd.random() < 0.4:
            argv.append(b'WITHSCORES')
        return argv

    def expire_cmd():
        c = rnd.choice([b'EXPIRE', b'PEXPIRE', b'EXPIREAT', b'PEXPIREAT'])
        if c == b'EXPIRE':
            t = rnd.choice(REL_SECONDS)
        elif c == b'PEXPIRE':
            t = rnd.choice([b'100000', b'2000000', b'0', b'-1', b'x'])
        elif c == b'EXPIREAT':
            t = rnd.choice(ABS_SECONDS)
        else:
            t = rnd.choice([b'4102444800000', b'4102444800500', b'1', b'0'])
        argv = [c, key(), t]
        r = rnd.random()
        if r < 0.4:
            argv.append(rnd.choice([b'NX', b'XX', b'GT', b'LT', b'nx', b'gt']))
        elif r < 0.45:
            argv += rnd.sample([b'NX', b'XX', b'GT', b'LT'], 2)
        return argv

    def getex_cmd():
        argv = [b'GETEX', key()]
        r = rnd.random()
        if r < 0.2:
            argv += [b'EX', rnd.choice(REL_SECONDS)]
        elif r < 0.3:
            argv += [b'PX', rnd.choice([b'100000', b'0'])]
        elif r < 0.4:
            argv += [b'EXAT', rnd.choice(ABS_SECONDS)]
        elif r < 0.45:
            argv += [b'PXAT', b'4102444800000']
        elif r < 0.6:
            argv.append(b'PERSIST')
        elif r < 0.63:
            argv += [b'PERSIST', b'EX', b'10']
        return argv

    tx_cmds = [
        lambda: [b'SET', key(), val()],
        lambda: [b'GET', key()],
        lambda: [rnd.choice([b'INCR', b'DECR']), key()],
        lambda: [b'APPEND', key(), val()],
        lambda: [b'HSET', key(), field(), val()],
        lambda: [b'HGET', key(), field()],
        lambda: [b'HINCRBY', key(), field(), rnd.choice(RAND_INTS)],
        lambda: [b'DEL', key()],
        lambda: [b'EXISTS', key(), key()],
        lambda: [b'MSET', key(), val(), key(), val()],
        lambda: [b'MGET', key(), key()],
        lambda: [b'GETSET', key(), val()],
        lambda: [b'TYPE', key()],
        lambda: [b'STRLEN', key()],
        lambda: [b'SADD', key(), field()],
        lambda: [b'SCARD', key()],
        lambda: [b'SISMEMBER', key(), field()],
        lambda: [b'RPUSH', key(), field()],
        lambda: [b'LPOP', key()],
        lambda: [b'ZADD', key(), rnd.choice(RAND_SCORES), field()],
        lambda: [b'ZINCRBY', key(), rnd.choice(RAND_SCORES), field()],
        lambda: [b'ZRANGE', key(), b'0', b'-1', b'WITHSCORES'],
        lambda: [b'ZPOPMIN', key()],
        lambda: [b'GET'],                  # refused while queueing: EXECABORT
    ]
    gens = [
        (10, set_cmd),
        (8, lambda: [b'GET', key()]),
        (2, lambda: [b'SETNX', key(), val()]),
        (2, lambda: [rnd.choice([b'SETEX', b'PSETEX']), key(),
                     rnd.choice([b'100000', b'0', b'-1', b'x']), val()]),
        (2, lambda: [b'GETSET', key(), val()]),
        (2, lambda: [b'GETDEL', key()]),
        (3, getex_cmd),
        (3, lambda: [b'MGET'] + [key() for _ in range(rnd.randint(1, 4))]),
        (3, lambda: [b'MSET'] + [x for _ in range(rnd.randint(1, 3)) for x in (key(), val())]),
        (1, lambda: [b'MSETNX'] + [x for _ in range(rnd.randint(1, 3)) for x in (key(), val())]),
        (4, lambda: [b'APPEND', key(), val()]),
        (2, lambda: [b'STRLEN', key()]),
        (4, lambda: [rnd.choice([b'INCR', b'DECR']), key()]),
        (3, lambda: [rnd.choice([b'INCRBY', b'DECRBY']), key(), rnd.choice(RAND_INTS)]),
        (3, lambda: [b'INCRBYFLOAT', key(), rnd.choice(RAND_FLOATS)]),
        (3, lambda: [rnd.choice([b'GETRANGE', b'SUBSTR']), key(),
                     str(rnd.randint(-12, 12)).encode(), str(rnd.randint(-12, 50)).encode()]),
        (3, lambda: [b'SETRANGE', key(), str(rnd.choice([0, 1, 3, 5, 10, 30, -1])).encode(), val()]),
        (1, lambda: [b'LCS', key(), key()] + rnd.choice([[], [b'LEN'], [b'IDX']])),
        (3, lambda: [rnd.choice([b'DEL', b'UNLINK'])] + [key() for _ in range(rnd.randint(1, 3))]),
        (3, lambda: [rnd.choice([b'EXISTS', b'TOUCH'])] + [key() for _ in range(rnd.randint(1, 3))]),
        (2, lambda: [b'TYPE', key()]),
        (2, lambda: [rnd.choice([b'RENAME', b'RENAMENX']), key(), key()]),
        (2, lambda: [b'COPY', key(), key()] + rnd.choice([[], [b'REPLACE'], [b'DB', b'1'], [b'DB', b'0']])),
        (5, expire_cmd),
        (4, lambda: [rnd.choice([b'TTL', b'PTTL', b'EXPIRETIME', b'PEXPIRETIME']), key()]),
        (2, lambda: [b'PERSIST', key()]),
        (1, lambda: [b'KEYS', rnd.choice([b'*', b'k[0-3]', b'k?', b'x*', b'*1'])]),
        # DBSIZE counts logically expired keys that are not reclaimed yet
        # (SET ... EXAT <past> leaves one behind until it is accessed or
        # the active expire cycle finds it): touch every key first.
        (1, lambda: [[b'EXISTS'] + RAND_KEYS, [b'DBSIZE']]),
        (1, lambda: [b'RANDOMKEY']),
        (1, lambda: [b'OBJECT', b'ENCODING', key()]),
        # hashes on the same keys: WRONGTYPE both ways
        (3, lambda: [b'HSET', key()] + [x for _ in range(rnd.randint(1, 2)) for x in (field(), val())]),
        (2, lambda: [b'HGET', key(), field()]),
        (1, lambda: [b'HDEL', key()] + [field() for _ in range(rnd.randint(1, 2))]),
        (1, lambda: [b'HINCRBY', key(), field(), rnd.choice(RAND_INTS)]),
        (1, lambda: [b'HINCRBYFLOAT', key(), field(), rnd.choice(RAND_FLOATS)]),
        (1, lambda: [rnd.choice([b'HGETALL', b'HKEYS', b'HVALS', b'HLEN']), key()]),
        (1, lambda: [rnd.choice([b'HEXISTS', b'HSTRLEN']), key(), field()]),
        (1, lambda: [b'HMGET', key(), field(), field()]),
        # sets on the same keys
        (3, lambda: [b'SADD', key()] + [field() for _ in range(rnd.randint(1, 3))]),
        (1, lambda: [b'SREM', key()] + [field() for _ in range(rnd.randint(1, 2))]),
        (1, lambda: [rnd.choice([b'SISMEMBER', b'SMISMEMBER']), key(), field()]),
        (1, lambda: [rnd.choice([b'SCARD', b'SMEMBERS']), key()]),
        (1, lambda: [rnd.choice([b'SINTER', b'SUNION', b'SDIFF']), key(), key()]),
        (1, lambda: [rnd.choice([b'SINTERSTORE', b'SUNIONSTORE', b'SDIFFSTORE']), key(), key(), key()]),
        (1, lambda: [b'SMOVE', key(), key(), field()]),
        (1, lambda: [b'SINTERCARD', b'2', key(), key()]),
        # lists on the same keys
        (3, lambda: [rnd.choice([b'LPUSH', b'RPUSH'])] + [key()] + [field() for _ in range(rnd.randint(1, 3))]),
        (1, lambda: [rnd.choice([b'LPUSHX', b'RPUSHX']), key(), field()]),
        (2, lambda: [rnd.choice([b'LPOP', b'RPOP']), key()] + rnd.choice([[], [b'2'], [b'0']])),
        (1, lambda: [b'LRANGE', key(), str(rnd.randint(-4, 3)).encode(), str(rnd.randint(-4, 3)).encode()]),
        (1, lambda: [rnd.choice([b'LLEN', b'LINDEX']), key()] + ([str(rnd.randint(-3, 3)).encode()] if rnd.random() < 0.5 else [])),
        (1, lambda: [b'LREM', key(), str(rnd.randint(-2, 2)).encode(), field()]),
        (1, lambda: [b'LMOVE', key(), key(), rnd.choice([b'LEFT', b'RIGHT']), rnd.choice([b'LEFT', b'RIGHT'])]),
        (1, lambda: [b'LPOS', key(), field()] + rnd.choice([[], [b'COUNT', b'0'], [b'RANK', b'-1']])),
        # bitmaps on the same keys: strings of every encoding, WRONGTYPE both ways
        (2, lambda: [b'SETBIT', key(), str(rnd.choice([0, 1, 7, 8, 15, 33, 100])).encode(), rnd.choice([b'0', b'1', b'1'])]),
        (1, lambda: [b'GETBIT', key(), str(rnd.choice([0, 1, 7, 8, 40])).encode()]),
        (1, lambda: [b'BITCOUNT', key()] + rnd.choice([[], [str(rnd.randint(-6, 6)).encode(), str(rnd.randint(-6, 6)).encode()],
                                                       [str(rnd.randint(-20, 20)).encode(), str(rnd.randint(-20, 40)).encode(), rnd.choice([b'BIT', b'BYTE'])]])),
        (1, lambda: [b'BITPOS', key(), rnd.choice([b'0', b'1'])] + rnd.choice([[], [str(rnd.randint(-3, 3)).encode()],
                                                                          [str(rnd.randint(-20, 20)).encode(), str(rnd.randint(-20, 40)).encode(), rnd.choice([b'BIT', b'BYTE'])]])),
        (1, lambda: [b'BITOP', rnd.choice([b'AND', b'OR', b'XOR']), key(), key(), key()]),
        (1, lambda: [b'BITOP', b'NOT', key(), key()]),
        (1, lambda: [b'BITFIELD', key()] + rnd.choice([[], [b'OVERFLOW', rnd.choice([b'WRAP', b'SAT', b'FAIL'])]]) +
                    rnd.choice([[b'GET', b'u8', b'0'], [b'SET', b'i8', b'#1', rnd.choice(RAND_INTS)], [b'INCRBY', b'u4', b'3', rnd.choice([b'1', b'-1', b'20'])]])),
        # HyperLogLogs on the same keys: strings that are not one, WRONGTYPE
        (2, lambda: [b'PFADD', key()] + [field() for _ in range(rnd.randint(0, 3))]),
        (1, lambda: [b'PFCOUNT'] + [key() for _ in range(rnd.randint(1, 2))]),
        (1, lambda: [b'PFMERGE', key(), key()]),
        # sorted sets on the same keys
        (6, zadd_cmd),
        (1, lambda: [b'ZINCRBY', key(), rnd.choice(RAND_SCORES), field()]),
        (1, lambda: [b'ZREM', key()] + [field() for _ in range(rnd.randint(1, 2))]),
        (1, lambda: [rnd.choice([b'ZSCORE', b'ZRANK', b'ZREVRANK']), key(), field()]),
        (1, lambda: [rnd.choice([b'ZCARD', b'ZSCAN']), key()] + ([b'0'] if rnd.random() < 0.9 else [])),
        (1, lambda: [b'ZMSCORE', key(), field(), field()]),
        (1, lambda: [b'ZCOUNT', key(), rnd.choice(SCORE_ENDS), rnd.choice(SCORE_ENDS)]),
        (1, lambda: [b'ZLEXCOUNT', key(), rnd.choice(LEX_ENDS), rnd.choice(LEX_ENDS)]),
        (3, zrange_cmd),
        (2, zrange_old_cmd),
        (1, lambda: rnd.choice([
            [b'ZREMRANGEBYRANK', key(), str(rnd.randint(-3, 2)).encode(), str(rnd.randint(-3, 2)).encode()],
            [b'ZREMRANGEBYSCORE', key(), rnd.choice(SCORE_ENDS), rnd.choice(SCORE_ENDS)],
            [b'ZREMRANGEBYLEX', key(), rnd.choice(LEX_ENDS), rnd.choice(LEX_ENDS)]])),
        (1, lambda: [rnd.choice([b'ZPOPMIN', b'ZPOPMAX']), key()] + rnd.choice([[], [b'2'], [b'0'], [b'-1']])),
        (1, lambda: [b'ZMPOP', b'2', key(), key(), rnd.choice([b'MIN', b'MAX'])] + rnd.choice([[], [b'COUNT', b'2']])),
        (2, zsetop_cmd),
        (1, lambda: [b'ZINTERCARD', b'2', key(), key()] + rnd.choice([[], [b'LIMIT', b'1']])),
        (1, lambda: [b'ZRANDMEMBER', key()] + rnd.choice([[], [b'2'], [b'-3', b'WITHSCORES'], [b'5', b'WITHSCORES']])),
        # streams on the same keys, with explicit ids (a generated id is the clock)
        (3, lambda: [b'XADD', key()] + rnd.choice([[], [], [b'MAXLEN', b'2'], [b'NOMKSTREAM'], [b'MINID', b'2']]) +
                    [rnd.choice([b'1-*', b'2-*', b'3', b'2-5', b'0-1', b'9-9'])] + [x for _ in range(rnd.randint(1, 2)) for x in (field(), val())]),
        (1, lambda: [rnd.choice([b'XRANGE', b'XREVRANGE']), key(), rnd.choice([b'-', b'+', b'2', b'(2-0']),
                     rnd.choice([b'-', b'+', b'3', b'(9-9'])] + rnd.choice([[], [b'COUNT', b'1']])),
        (1, lambda: rnd.choice([[b'XLEN'], [b'XINFO', b'STREAM']]) + [key()]),
        (1, lambda: [b'XDEL', key(), rnd.choice([b'1-0', b'2-0', b'2-5', b'x'])]),
        (1, lambda: [b'XTRIM', key(), rnd.choice([b'MAXLEN', b'MINID']), rnd.choice([b'0', b'1', b'2-1'])]),
        (1, lambda: [b'XREAD', b'STREAMS', key(), key(), rnd.choice([b'0', b'$', b'2']), b'0']),
        # a transaction of deterministic commands (EXEC's reply is compared exactly)
        (2, lambda: [[b'MULTI']] + [rnd.choice(tx_cmds)() for _ in range(rnd.randint(0, 4))] + [[b'EXEC']]),
    ]
    total = sum(w for w, _ in gens)
    items = [Item(1, 'cmd', [b'FLUSHALL'])]
    for i in range(n):
        r = rnd.uniform(0, total)
        for w, g in gens:
            r -= w
            if r <= 0:
                break
        argv = g()
        for a in (argv if isinstance(argv[0], list) else [argv]):
            items.append(Item(i + 2, 'cmd', a))
    # final state dump
    no = n + 2
    for cmd in ([b'EXISTS'] + RAND_KEYS, [b'DBSIZE'], [b'KEYS', b'*']):
        items.append(Item(no, 'cmd', cmd))
        no += 1
    for k in RAND_KEYS:
        for c in ([b'TYPE', k], [b'GET', k], [b'TTL', k], [b'ZRANGE', k, b'0', b'-1', b'WITHSCORES'],
                  [b'XINFO', b'STREAM', k, b'FULL']):
            items.append(Item(no, 'cmd', c))
            no += 1
    seq = Sequence('random(seed=%s)' % seed)
    seq.items = items
    seq.requires = ['FLUSHALL']
    return seq


def write_sequence(seq, path):
    with open(path, 'w') as f:
        f.write('# generated by difftest.py: %s\n@requires %s\n' % (seq.name, ' '.join(seq.requires)))
        for it in seq.items:
            if it.kind == 'cmd':
                f.write(fmt_cmd(it.argv, limit=10 ** 9) + '\n')


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------


def default_tusk():
    env = os.environ.get('TUSK_SERVER')
    if env:
        return env
    return os.path.normpath(os.path.join(HERE, '..', 'tusk-server'))


def main(argv=None):
    ap = argparse.ArgumentParser(description='Differential test: tusk-server vs redis-server')
    ap.add_argument('--redis', default=os.environ.get('REDIS_SERVER', 'redis-server'),
                    help='redis-server binary (default: redis-server on PATH, or $REDIS_SERVER)')
    ap.add_argument('--tusk', default=default_tusk(),
                    help='tusk-server binary (default: $TUSK_SERVER or ../tusk-server)')
    ap.add_argument('--redis-args', default="--save '' --appendonly no --daemonize no",
                    help='extra arguments for redis-server (after --port/--dir/--bind)')
    ap.add_argument('--tusk-args', default=os.environ.get('TUSK_ARGS', ''),
                    help='extra arguments for tusk-server (after --port/--dir/--bind)')
    ap.add_argument('--only', action='append', default=[], metavar='FILE',
                    help='run only this sequence file (repeatable; a bare name is looked up in seq/)')
    ap.add_argument('--no-files', action='store_true', help='run no sequence files (with --random)')
    ap.add_argument('--random', type=int, default=0, metavar='N',
                    help='also run a random sequence of N commands')
    ap.add_argument('--seed', default=None, metavar='S', help='seed for --random')
    ap.add_argument('--save-random', metavar='FILE', help='write the random sequence to FILE')
    ap.add_argument('--verbose', '-v', action='store_true', help='print every command and full replies')
    ap.add_argument('--timeout', type=float, default=5.0, help='seconds to wait for one reply')
    ap.add_argument('--quiet', type=int, default=100, metavar='MS',
                    help='@raw: the reply is complete after MS ms without data (default 100)')
    args = ap.parse_args(argv)

    for label, b in (('redis', args.redis), ('tusk', args.tusk)):
        path = shutil.which(b) if os.sep not in b else (b if os.access(b, os.X_OK) else None)
        if not path:
            print('error: %s binary not found or not executable: %s' % (label, b), file=sys.stderr)
            return 2
        setattr(args, label, os.path.abspath(path))

    seqs = []
    if not args.no_files:
        if args.only:
            files = []
            for f in args.only:
                if not os.path.exists(f) and os.path.exists(os.path.join(HERE, 'seq', f)):
                    f = os.path.join(HERE, 'seq', f)
                files.append(f)
        else:
            d = os.path.join(HERE, 'seq')
            files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith('.txt'))
        for f in files:
            af = os.path.abspath(f)
            name = os.path.relpath(af, HERE) if af.startswith(HERE + os.sep) else f
            seqs.append(parse_sequence(f, name))
    if args.random:
        seed = args.seed if args.seed is not None else str(int(time.time() * 1000) % 1000000007)
        print('random seed: %s' % seed)
        sys.stdout.flush()
        rs = gen_random(args.random, seed)
        if args.save_random:
            write_sequence(rs, args.save_random)
        seqs.append(rs)

    runner = Runner(args)

    def on_signal(signum, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    status = 0
    try:
        runner.start()
        for seq in seqs:
            runner.run_sequence(seq)
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
        status = 130
    except RuntimeError as e:
        print('error: %s' % e, file=sys.stderr)
        runner.failed += 1
        status = 1
    finally:
        runner.stop()
    if args.random and runner.failed:
        print('reproduce the random part with: %s --no-files --random %d --seed %s'
              % (sys.argv[0], args.random, seed))
    print('files: %d run, %d skipped' % (runner.files_run, runner.files_skipped))
    print('%d passed, %d failed, %d skipped' % (runner.passed, runner.failed, runner.skipped))
    if status:
        return status
    return 0 if runner.failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
