#!/usr/bin/env python3
"""Test double for tusk-server, used only by selftest.sh: starts a real
redis-server on another port and proxies every client connection to it,
changing replies as $MUTANT says, so that the difftest can be shown to
report (or, for values its rules ignore, to accept) differences.

MUTANT (comma separated):
  echo      the bulk reply hello becomes HELLO          (must FAIL)
  errtext   "wrong number of arguments" text changed    (must FAIL)
  keepopen  do not close when redis closes              (must FAIL)
  reverse   reverse arrays of bulk strings              (KEYS/SMEMBERS pass, MGET fails)
  volatile  change id=/age=/fd= in CLIENT INFO/LIST     (must PASS)
  flags     change flags=N to flags=X in CLIENT INFO    (must FAIL)
  none      plain proxy                                 (must PASS)
Usage: mutant-server.py --port N [--dir D] [--bind A] [other redis options]
"""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from difftest import Conn, ConnClosed, ProtoError, Reply, free_port  # noqa: E402

MUT = set(os.environ.get('MUTANT', 'none').split(','))


def mutate(r):
    raw = r.raw
    if 'echo' in MUT and raw == b'$5\r\nhello\r\n':
        return b'$5\r\nHELLO\r\n'
    if 'errtext' in MUT and raw.startswith(b'-ERR wrong number of arguments'):
        return raw.replace(b'arguments', b'args')
    if 'reverse' in MUT and r.kind == '*' and r.value and len(r.value) > 1 \
            and all(x.kind == '$' for x in r.value):
        return (b'*%d\r\n' % len(r.value)) + b''.join(x.raw for x in reversed(r.value))
    if r.kind in '$=' and r.value is not None and b'flags=' in r.value:
        body = r.value
        if 'volatile' in MUT:
            body = re.sub(rb'\bid=\d+', b'id=777', body)
            body = re.sub(rb'\bage=\d+', b'age=99', body)
            body = re.sub(rb'\bfd=\d+', b'fd=42', body)
        if 'flags' in MUT:
            body = body.replace(b'flags=N', b'flags=X')
        return b'%s%d\r\n%s\r\n' % (r.kind.encode(), len(body), body)
    return raw


def serve_client(cs, upstream_port):
    try:
        up = Conn(upstream_port, None)
    except OSError:
        cs.close()
        return

    def c2s():
        try:
            while True:
                d = cs.recv(65536)
                if not d:
                    break
                up.sock.sendall(d)
        except OSError:
            pass
        try:
            up.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    threading.Thread(target=c2s, daemon=True).start()
    try:
        while True:
            r = up.read_reply()
            cs.sendall(mutate(r))
    except (ConnClosed, ProtoError, OSError):
        pass
    if 'keepopen' in MUT:
        time.sleep(30)
    try:
        cs.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    cs.close()
    up.close()


def main():
    args = sys.argv[1:]
    port = int(args[args.index('--port') + 1])
    upstream = free_port()
    rest = list(args)
    i = rest.index('--port')
    rest[i + 1] = str(upstream)
    redis = subprocess.Popen(['redis-server'] + rest + ['--save', ''],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(*_):
        redis.terminate()
        redis.wait()
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', port))
    ls.listen(64)
    for _ in range(100):
        try:
            socket.create_connection(('127.0.0.1', upstream), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    while True:
        cs, _ = ls.accept()
        threading.Thread(target=serve_client, args=(cs, upstream), daemon=True).start()


if __name__ == '__main__':
    main()
