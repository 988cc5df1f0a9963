#!/usr/bin/env python3
"""Helpers for tools/bench/storage (python3 standard library only).

  kvtool.py gen FILE N            write N commands "SET key:<i> <100-byte value>"
                                  in RESP to FILE (for redis-cli --pipe)
  kvtool.py check PORT N COUNT SEED
                                  GET COUNT random keys of 0..N-1 (chosen by
                                  SEED, so two calls check the same keys), in
                                  one pipeline; print "<ok> <wrong> <missing>"
  kvtool.py fsynclat DIR COUNT    time COUNT write+fdatasync pairs of a small
                                  file in DIR; print "median_us mean_us p99_us"
"""
import os
import random
import socket
import sys
import time

VALUE_LEN = 100


def value_of(i):
    # deterministic, different for every key, exactly VALUE_LEN bytes
    s = ("%d-" % i) * (VALUE_LEN // 3 + 1)
    return s[:VALUE_LEN].encode()


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def gen(path, n):
    with open(path, "wb", buffering=1 << 20) as f:
        for i in range(n):
            f.write(resp(b"SET", b"key:%d" % i, value_of(i)))


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self.line()
        if line[:1] == b"$":
            n = int(line[1:])
            return None if n < 0 else self.exact(n)
        if line[:1] == b"-":
            return RuntimeError(line.decode(errors="replace"))
        return line


def check(port, n, count, seed):
    rng = random.Random(seed)
    keys = [rng.randrange(n) for _ in range(count)]
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"".join(resp(b"GET", b"key:%d" % i) for i in keys))
    r = Reader(sock)
    ok = wrong = missing = 0
    for i in keys:
        v = r.reply()
        if v is None:
            missing += 1
        elif v == value_of(i):
            ok += 1
        else:
            wrong += 1
    sock.close()
    print(ok, wrong, missing)


def fsynclat(d, count):
    path = os.path.join(d, "fsynclat.tmp")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    block = b"x" * 512
    lat = []
    try:
        for i in range(count):
            os.pwrite(fd, block, (i % 16) * 512)
            t = time.perf_counter()
            os.fdatasync(fd)
            lat.append((time.perf_counter() - t) * 1e6)
    finally:
        os.close(fd)
        os.unlink(path)
    lat.sort()
    print("%.0f %.0f %.0f" % (lat[len(lat) // 2], sum(lat) / len(lat),
                              lat[min(len(lat) - 1, int(len(lat) * 0.99))]))


def main(argv):
    if len(argv) >= 3 and argv[0] == "gen":
        gen(argv[1], int(argv[2]))
    elif len(argv) >= 5 and argv[0] == "check":
        check(int(argv[1]), int(argv[2]), int(argv[3]), int(argv[4]))
    elif len(argv) >= 3 and argv[0] == "fsynclat":
        fsynclat(argv[1], int(argv[2]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
