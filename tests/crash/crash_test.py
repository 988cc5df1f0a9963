#!/usr/bin/env python3
"""Crash and power-loss tests for tusk (tests/crash/README.md).

    crash_test.py kill9     [--rounds N] [--seed S]   kill -9 under load
    crash_test.py incr      [--seed S]                50 x 1000 INCR, restart
    crash_test.py powerloss [--rounds N] [--seed S]   kill -9 + lost page cache

Every round: 8 writer connections each SET k<w>:<n> v<n> then INCR c<w>,
one command at a time, recording each reply (a reply means acknowledged).
At a random moment the whole server process tree gets SIGKILL (powerloss:
and lossyfs forgets every write not fsynced). The server restarts on the
same directory and every acknowledged write must be there with its value;
a write whose reply never came may or may not be, and whatever recovery
decided must stick in later rounds. Counters: acknowledged value, or one
more if an INCR was in flight. tusk-check runs on the cleanly stopped
directory. Python 3 standard library only; RESP spoken by hand.

Environment: TUSK_SERVER, TUSK_CHECK, TUSK_LOSSYFS (binaries; default: the
build tree), TUSK_TEST_SEED (seed), TUSK_CRASH_ROUNDS, TUSK_KEEP=1 (keep
the temp directory). Exit 0 pass, 1 fail, 77 skip (automake).
"""

import argparse
import errno
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
WRITERS = 8


class TestFailure(Exception):
    pass


class Skip(Exception):
    pass


def log(msg):
    print("%s %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def find_binary(env, rel):
    path = os.environ.get(env)
    if path:
        return path
    for base in (os.getcwd(), TOP):
        cand = os.path.join(base, rel)
        if os.path.exists(cand):
            return cand
    return os.path.join(TOP, rel)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------- RESP


class RespError(Exception):
    pass


class Conn:
    """One blocking RESP2 connection."""

    def __init__(self, port, timeout=30.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.pos = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if not isinstance(a, bytes):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed by server")
        if self.pos:
            self.buf = self.buf[self.pos:]
            self.pos = 0
        self.buf += data

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                line = self.buf[self.pos:i]
                self.pos = i + 2
                return line
            self._fill()

    def _bytes(self, n):
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        data = self.buf[self.pos:self.pos + n]
        self.pos += n + 2
        return data

    def read_reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return RespError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._bytes(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read_reply() for _ in range(n)]
        raise ConnectionError("bad reply line %r" % line)

    def call(self, *args):
        self.sock.sendall(self.encode(*args))
        r = self.read_reply()
        if isinstance(r, RespError):
            raise r
        return r

    def pipeline(self, commands, batch=500):
        out = []
        for i in range(0, len(commands), batch):
            chunk = commands[i:i + batch]
            self.sock.sendall(b"".join(self.encode(*c) for c in chunk))
            out.extend(self.read_reply() for _ in chunk)
        return out


# ---------------------------------------------------------------- processes


def group_alive(pgid):
    """Non-zombie processes in process group pgid."""
    alive = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            alive.append(int(name))
    return alive


class Server:
    """tusk-server in its own session (process group = its pid)."""

    def __init__(self, binary, datadir, logpath, sync="on", env=None):
        self.binary = binary
        self.datadir = datadir
        self.logpath = logpath
        self.sync = sync
        self.env = env
        self.proc = None
        self.port = None
        self.shared_buffers = "32mb"

    def start(self, wait=True):
        self.port = free_port()
        logf = open(self.logpath, "ab")
        logf.write(b"==== start port %d shared_buffers %s\n" % (self.port, self.shared_buffers.encode()))
        logf.flush()
        self.proc = self._spawn(
            [self.binary, "--port", str(self.port), "--dir", self.datadir,
             "--synchronous_commit", self.sync, "--shared_buffers", self.shared_buffers,
             # vacuum as often as it can, freezing everything it may, so
             # that its records are in the WAL that every crash replays
             "--autovacuum_naptime", "1", "--vacuum_freeze_min_age", "0"], logf)
        logf.close()
        if wait:
            self.wait_ready()

    def _spawn(self, argv, logf):
        # Retry briefly: a rebuild may be replacing the binary (EACCES/ETXTBSY).
        for attempt in range(50):
            try:
                return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                                        stderr=subprocess.STDOUT, start_new_session=True,
                                        env=self.env)
            except OSError as e:
                if e.errno not in (errno.EACCES, errno.ETXTBSY, errno.ENOENT) or attempt == 49:
                    raise
                time.sleep(0.1)

    def wait_ready(self, timeout=60.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure("server exited with status %s during start-up; log tail:\n%s"
                                  % (self.proc.returncode, self.log_tail()))
            try:
                c = Conn(self.port, timeout=5.0)
                try:
                    if c.call("PING") == "PONG":
                        return
                finally:
                    c.close()
            except (OSError, ConnectionError, RespError):
                pass
            time.sleep(0.02)
        raise TestFailure("server not ready after %.0f s; log tail:\n%s" % (timeout, self.log_tail()))

    def kill_tree(self):
        """SIGKILL the postmaster and every child at once; wait until all are gone."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        deadline = time.time() + 30
        while True:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if self.proc.poll() is None:
                try:
                    self.proc.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    pass
            if self.proc.poll() is not None and not group_alive(pgid):
                break
            if time.time() > deadline:
                raise TestFailure("processes of group %d survive SIGKILL: %s"
                                  % (pgid, group_alive(pgid)))
            time.sleep(0.01)
        self.proc = None

    def stop(self, timeout=60.0):
        """Clean shutdown (SIGTERM to the postmaster)."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_tree()
            raise TestFailure("server did not stop within %.0f s after SIGTERM" % timeout)
        deadline = time.time() + 10
        while group_alive(pgid) and time.time() < deadline:
            time.sleep(0.01)
        if group_alive(pgid):
            self.kill_tree()
            raise TestFailure("children of the postmaster outlived it: %s" % group_alive(pgid))
        self.proc = None
        if rc != 0:
            raise TestFailure("server exited with status %d on SIGTERM; log tail:\n%s"
                              % (rc, self.log_tail()))

    def log_tail(self, n=30):
        try:
            with open(self.logpath, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"


def run_check(check_bin, datadir):
    # Retry briefly: a concurrent rebuild may be relinking the binary.
    for attempt in range(50):
        try:
            r = subprocess.run([check_bin, datadir], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
            break
        except OSError as e:
            if e.errno not in (errno.EACCES, errno.ETXTBSY, errno.ENOENT) or attempt == 49:
                raise
            time.sleep(0.1)
    out = r.stdout.decode(errors="replace")
    err = r.stderr.decode(errors="replace")
    if r.returncode != 0:
        raise TestFailure("tusk-check %s exited %d:\n%s%s" % (datadir, r.returncode, out, err))
    lines = err.strip().splitlines()
    notes = [l.split("note: ", 1)[1] for l in lines if "note: " in l]
    return (lines[-1] if lines else "") + "".join("\n    note: " + n for n in notes)


# ---------------------------------------------------------------- writers


class WriterState:
    """What one writer knows, across rounds."""

    def __init__(self, w):
        self.w = w
        self.next_n = 0
        self.acked = []            # n whose SET was acknowledged
        self.absent = []           # n whose in-flight SET recovery dropped
        self.deleted = []          # n whose DEL was acknowledged
        self.counter = 0           # last known counter value
        self.inflight = None       # ("set", n), ("incr", None) or ("del", n)
        self.error = None
        self.told_restart = 0      # "server restarting" error replies seen

    def key(self, n):
        return "k%d:%d" % (self.w, n)

    @staticmethod
    def value(n):
        return "v%d" % n

    def ckey(self):
        return "c%d" % self.w


def writer_loop(port, st, stop_evt):
    try:
        c = Conn(port, timeout=30.0)
    except OSError as e:
        st.error = "connect: %s" % e
        return
    try:
        while not stop_evt.is_set():
            n = st.next_n
            st.next_n += 1
            st.inflight = ("set", n)
            r = c.call("SET", st.key(n), st.value(n))
            if r != "OK":
                st.error = "SET %s replied %r" % (st.key(n), r)
                return
            st.acked.append(n)
            st.inflight = ("incr", None)
            r = c.call("INCR", st.ckey())
            if r != st.counter + 1:
                st.error = "INCR %s replied %r, expected %d" % (st.ckey(), r, st.counter + 1)
                return
            st.counter = r
            st.inflight = None
            # now and then delete an older key: dead versions that the
            # index points at, for vacuum to clean up while we crash
            if n % 5 == 4 and len(st.acked) > 3:
                m = st.acked[-3]
                st.inflight = ("del", m)
                r = c.call("DEL", st.key(m))
                if r != 1:
                    st.error = "DEL %s replied %r" % (st.key(m), r)
                    return
                st.acked.remove(m)
                st.deleted.append(m)
                st.inflight = None
    except (OSError, ConnectionError):
        pass                        # the server died: inflight stays as it was
    except RespError as e:
        if str(e).startswith("ERR server restarting after a failure"):
            st.told_restart += 1    # as good as the server dying: inflight stays
        else:
            st.error = "error reply: %s" % e
    finally:
        c.close()


def verify(port, states, round_no):
    """Every acknowledged write is there; settle the in-flight ones."""
    c = Conn(port, timeout=60.0)
    problems = []
    try:
        for st in states:
            if st.inflight and st.inflight[0] == "del":
                # settle the in-flight DEL: either outcome is fine
                m = st.inflight[1]
                got = c.pipeline([("GET", st.key(m))])[0]
                if got is None:
                    st.acked.remove(m)
                    st.deleted.append(m)
                elif got != st.value(m).encode():
                    problems.append("round %d: in-flight DEL %s left wrong value %r"
                                    % (round_no, st.key(m), got))
                st.inflight = None
            for n, got in zip(st.deleted, c.pipeline([("GET", st.key(n)) for n in st.deleted])
                              if st.deleted else []):
                if got is not None:
                    problems.append("round %d: acknowledged DEL %s undone: GET returned %r"
                                    % (round_no, st.key(n), got))
            cmds = [("GET", st.key(n)) for n in st.acked]
            cmds += [("GET", st.key(n)) for n in st.absent]
            if st.inflight and st.inflight[0] == "set":
                cmds.append(("GET", st.key(st.inflight[1])))
            cmds.append(("GET", st.ckey()))
            replies = c.pipeline(cmds)
            i = 0
            for n in st.acked:
                want = st.value(n).encode()
                if replies[i] != want:
                    problems.append("round %d: acknowledged SET %s lost: GET returned %r, want %r"
                                    % (round_no, st.key(n), replies[i], want))
                i += 1
            for n in st.absent:
                if replies[i] is not None:
                    problems.append("round %d: SET %s, found absent after an earlier crash, is "
                                    "back: %r" % (round_no, st.key(n), replies[i]))
                i += 1
            if st.inflight and st.inflight[0] == "set":
                n = st.inflight[1]
                got = replies[i]
                i += 1
                if got is None:
                    st.absent.append(n)
                elif got == st.value(n).encode():
                    st.acked.append(n)
                else:
                    problems.append("round %d: in-flight SET %s has wrong value %r"
                                    % (round_no, st.key(n), got))
            got = replies[i]
            val = 0 if got is None else int(got)
            hi = st.counter + (1 if st.inflight and st.inflight[0] == "incr" else 0)
            if not st.counter <= val <= hi:
                problems.append("round %d: counter %s is %d, acknowledged %d%s"
                                % (round_no, st.ckey(), val, st.counter,
                                   " (+1 in flight)" if hi > st.counter else ""))
            st.counter = val
            st.inflight = None
    finally:
        c.close()
    if problems:
        lost = sum(1 for p in problems if "lost" in p)
        head = "round %d: %d problem(s), %d acknowledged SET(s) lost\n" % (round_no, len(problems), lost)
        raise TestFailure(head + "\n".join(problems[:20]) +
                          ("\n... %d more" % (len(problems) - 20) if len(problems) > 20 else ""))


def write_and_crash(server, states, rng, crash):
    """Run the writers, call crash() at a random moment, collect them."""
    stop_evt = threading.Event()
    threads = [threading.Thread(target=writer_loop, args=(server.port, st, stop_evt), daemon=True)
               for st in states]
    before = sum(len(st.acked) for st in states)
    for t in threads:
        t.start()
    delay = rng.uniform(0.2, 1.2)
    time.sleep(delay)
    crash()
    stop_evt.set()
    for t in threads:
        t.join(timeout=60)
        if t.is_alive():
            raise TestFailure("a writer did not notice the server died")
    for st in states:
        if st.error:
            raise TestFailure("writer %d: %s" % (st.w, st.error))
    return delay, sum(len(st.acked) for st in states) - before


# ---------------------------------------------------------------- lossyfs


class LossyMount:
    def __init__(self, binary, backing, mountpoint, logpath):
        self.binary = binary
        self.backing = backing
        self.mountpoint = mountpoint
        self.logpath = logpath
        self.proc = None

    def mount(self):
        if not os.path.exists("/dev/fuse"):
            raise Skip("/dev/fuse does not exist (no FUSE in this kernel or container)")
        if shutil.which("fusermount3") is None:
            raise Skip("fusermount3 not found (apt-get install fuse3)")
        if not os.path.exists(self.binary):
            raise Skip("lossyfs not built (%s; configure found no fuse3)" % self.binary)
        try:
            fd = os.open("/dev/fuse", os.O_RDWR)
            os.close(fd)
        except OSError as e:
            raise Skip("cannot open /dev/fuse: %s" % e)
        logf = open(self.logpath, "ab")
        self.proc = subprocess.Popen([self.binary, self.backing, self.mountpoint, "-f", "-s"],
                                     stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                     start_new_session=True)
        logf.close()
        deadline = time.time() + 10
        while time.time() < deadline:
            if os.path.ismount(self.mountpoint):
                return
            if self.proc.poll() is not None:
                with open(self.logpath, "rb") as f:
                    msg = f.read().decode(errors="replace").strip()
                self.proc = None
                low = msg.lower()
                if "permission" in low or "not permitted" in low or "fuse device" in low \
                        or "/dev/fuse" in low:
                    raise Skip("cannot mount lossyfs: %s" % msg)
                raise TestFailure("lossyfs exited: %s" % msg)
            time.sleep(0.02)
        raise TestFailure("lossyfs did not mount within 10 s")

    def drop(self):
        self._control(".lossyfs_drop")

    def fail_next_fsync(self):
        self._control(".lossyfs_failsync")

    def _control(self, name):
        try:
            os.stat(os.path.join(self.mountpoint, name))
        except FileNotFoundError:
            return
        raise TestFailure("lossyfs did not recognise %s" % name)

    def unmount(self):
        if self.proc is None:
            return
        for args in (["fusermount3", "-u", self.mountpoint],
                     ["fusermount3", "-u", "-z", self.mountpoint]):
            subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                self.proc.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


# ---------------------------------------------------------------- tests


def setup_rounds(args, workdir, on_lossyfs):
    """The server (not started), tusk-check, the data directory, and the
    lossyfs mount under it (mounted) or None."""
    server_bin = find_binary("TUSK_SERVER", "tusk-server")
    check_bin = find_binary("TUSK_CHECK", "tusk-check")
    for b in (server_bin, check_bin):
        if not os.access(b, os.X_OK):
            raise TestFailure("not built: %s" % b)
    mount = None
    if on_lossyfs:
        backing = os.path.join(workdir, "backing")
        datadir = os.path.join(workdir, "mnt")
        os.mkdir(backing)
        os.mkdir(datadir)
        mount = LossyMount(find_binary("TUSK_LOSSYFS", "tools/lossyfs/lossyfs"), backing, datadir,
                           os.path.join(workdir, "lossyfs.log"))
        mount.mount()
    else:
        datadir = os.path.join(workdir, "data")
        os.mkdir(datadir)
    server = Server(server_bin, datadir, os.path.join(workdir, "server.log"),
                    env=slow_flush_env(args, workdir))
    return server, check_bin, datadir, mount


def finish_rounds(args, server, check_bin, datadir, t0):
    """Stop the server cleanly and run tusk-check on its directory."""
    server.stop()
    log("%d rounds in %.1f s; final tusk-check: %s"
        % (args.rounds, time.time() - t0, run_check(check_bin, datadir)))


def kill_and_unmount(server, mount):
    try:
        server.kill_tree()
    finally:
        if mount:
            mount.unmount()


def crash_rounds(args, rng, workdir, power_loss):
    server, check_bin, datadir, mount = setup_rounds(args, workdir, power_loss)
    states = [WriterState(w) for w in range(WRITERS)]
    t0 = time.time()
    seen = {"wal_fsyncs_overlapped": 0, "wal_replies_handed_off": 0}
    try:
        server.start()
        for rnd in range(1, args.rounds + 1):
            def crash():
                if args.slow_flush:
                    wal_counters(server.port, seen)
                server.kill_tree()
                if mount:
                    mount.drop()
            delay, acked = write_and_crash(server, states, rng, crash)
            # A small pool makes backends evict (write) dirty pages between
            # checkpoints, so data pages are lost or stale at the crash too.
            server.shared_buffers = rng.choice(["1mb", "32mb"])
            server.start()
            again = rng.random() < 0.2
            if again:
                # Crash again at once, during or right after recovery.
                time.sleep(rng.uniform(0.0, 0.05))
                server.kill_tree()
                if mount:
                    mount.drop()
                server.start()
            verify(server.port, states, rnd)
            checked = ""
            if rnd % 2 == 0 or rnd == args.rounds:
                server.stop()
                checked = "; " + run_check(check_bin, datadir).split(": ", 1)[-1]
                server.start()
            log("round %d: crash after %.2f s, %d SETs acknowledged%s, restarted with shared_buffers "
                "%s, verified %d SETs and %d counters%s"
                % (rnd, delay, acked, ", crashed again in recovery" if again else "",
                   server.shared_buffers,
                                   sum(len(s.acked) for s in states), len(states), checked))
        finish_rounds(args, server, check_bin, datadir, t0)
        if args.slow_flush:
            # The point of the slow disk: overlapping flushes, started by
            # the walwriter's sync threads for the replies handed to it.
            log("before the crashes: %d overlapping fsyncs, %d replies handed off"
                % (seen["wal_fsyncs_overlapped"], seen["wal_replies_handed_off"]))
            if min(seen.values()) == 0:
                raise TestFailure("the slow disk never overlapped flushes or handed replies "
                                  "off: %r" % seen)
    except BaseException:
        log("server log tail:\n" + server.log_tail(40))
        raise
    finally:
        kill_and_unmount(server, mount)


def wal_counters(port, totals):
    """Add INFO wal's counters named in totals to them (the server's since
    its start, so read just before each crash)."""
    c = Conn(port, timeout=5.0)
    try:
        text = c.call("INFO", "wal")
    finally:
        c.close()
    if isinstance(text, bytes):
        text = text.decode()
    for line in str(text).splitlines():
        name, _, value = line.partition(":")
        if name in totals:
            totals[name] += int(value)


def failsync_rounds(args, rng, workdir):
    """The WAL's (or a data file's) fsync fails with EIO at a random moment
    and the file's unsynced writes are lost, while writers run. The server
    must never acknowledge what that fsync was to make durable, must not
    trust a later fsync that succeeds (Linux may report the error once and
    drop the pages), and should tell waiting clients their command failed
    (wal/README.md W11). It restarts by itself; every acknowledged write
    must be there after its recovery, and again after a power cut."""
    server, check_bin, datadir, mount = setup_rounds(args, workdir, on_lossyfs=True)
    states = [WriterState(w) for w in range(WRITERS)]
    t0 = time.time()

    def restarts():
        with open(server.logpath, "rb") as f:
            return f.read().count(b"all server processes terminated; reinitializing")

    try:
        server.start()
        for rnd in range(1, args.rounds + 1):
            before = restarts()

            def fail_fsync():
                mount.fail_next_fsync()
                deadline = time.time() + 30
                while restarts() == before:
                    if time.time() > deadline:
                        raise TestFailure("no restart within 30 s of a failed fsync")
                    time.sleep(0.01)
            delay, acked = write_and_crash(server, states, rng, fail_fsync)
            server.wait_ready()
            verify(server.port, states, rnd)
            cut = rng.random() < 0.5
            if cut:
                server.kill_tree()
                mount.drop()
                server.start()
                verify(server.port, states, rnd)
            log("round %d: fsync failed after %.2f s, %d SETs acknowledged, server restarted%s, "
                "verified %d SETs; clients told so far: %d"
                % (rnd, delay, acked, " and power cut" if cut else "",
                   sum(len(s.acked) for s in states), sum(s.told_restart for s in states)))
        finish_rounds(args, server, check_bin, datadir, t0)
        if sum(s.told_restart for s in states) == 0:
            raise TestFailure("in %d failed fsyncs, no waiting client got the "
                              "'server restarting' error" % args.rounds)
    except BaseException:
        log("server log tail:\n" + server.log_tail(40))
        raise
    finally:
        kill_and_unmount(server, mount)


def incr_test(args, rng, workdir):
    server_bin = find_binary("TUSK_SERVER", "tusk-server")
    check_bin = find_binary("TUSK_CHECK", "tusk-check")
    datadir = os.path.join(workdir, "data")
    os.mkdir(datadir)
    server = Server(server_bin, datadir, os.path.join(workdir, "server.log"))
    nconn, per = 50, 1000
    errors = []
    try:
        server.start()
        t0 = time.time()

        def worker(i):
            try:
                c = Conn(server.port, timeout=60.0)
                last = 0
                for _ in range(per):
                    r = c.call("INCR", "hot")
                    if not isinstance(r, int) or r <= last:
                        errors.append("connection %d: INCR replied %r after %d" % (i, r, last))
                        return
                    last = r
                c.close()
            except Exception as e:       # noqa: BLE001 - reported below
                errors.append("connection %d: %r" % (i, e))

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(nconn)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise TestFailure("\n".join(errors[:20]))
        c = Conn(server.port)
        got = c.call("GET", "hot")
        c.close()
        elapsed = time.time() - t0
        if got != str(nconn * per).encode():
            raise TestFailure("after %d x %d INCR, GET hot = %r" % (nconn, per, got))
        log("%d connections x %d INCR = %s in %.1f s (%.0f/s)"
            % (nconn, per, got.decode(), elapsed, nconn * per / elapsed))
        # A clean restart, then a crash restart: both must keep the value.
        server.stop()
        server.start()
        c = Conn(server.port)
        got = c.call("GET", "hot")
        c.close()
        if got != str(nconn * per).encode():
            raise TestFailure("after a clean restart, GET hot = %r" % got)
        server.kill_tree()
        server.start()
        c = Conn(server.port)
        got = c.call("GET", "hot")
        c.close()
        if got != str(nconn * per).encode():
            raise TestFailure("after kill -9 and restart, GET hot = %r" % got)
        server.stop()
        log("still %s after a clean restart and after kill -9; tusk-check: %s"
            % (got.decode(), run_check(check_bin, datadir)))
    except BaseException:
        log("server log tail:\n" + server.log_tail(40))
        raise
    finally:
        server.kill_tree()


def slow_flush_env(args, workdir):
    """With --slow-flush US: the server's environment with
    tools/bench/slowsync.c preloaded, so that every fdatasync takes US
    longer and WAL flushes overlap (wal/README.md, "Group commit")."""
    if not args.slow_flush:
        return None
    so = os.path.join(workdir, "slowsync.so")
    src = os.path.join(TOP, "tools", "bench", "slowsync.c")
    cc = os.environ.get("CC", "cc")
    try:
        subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", so, src, "-ldl"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except (OSError, subprocess.CalledProcessError) as e:
        raise TestFailure("could not build %s: %s" % (src, e))
    env = dict(os.environ)
    env["LD_PRELOAD"] = so
    env["SLOWSYNC_US"] = str(args.slow_flush)
    log("every fdatasync of the server takes %d us longer (slowsync.so)" % args.slow_flush)
    return env


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("test", choices=["kill9", "incr", "powerloss", "failsync"])
    p.add_argument("--rounds", type=int, default=int(os.environ.get("TUSK_CRASH_ROUNDS", "20")))
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--keep", action="store_true", default=os.environ.get("TUSK_KEEP") == "1")
    p.add_argument("--slow-flush", type=int, default=0, metavar="US",
                   help="preload tools/bench/slowsync.c into the server: overlapping flushes")
    args = p.parse_args()

    seed = args.seed
    if seed is None:
        env = os.environ.get("TUSK_TEST_SEED")
        seed = int(env, 0) if env else random.SystemRandom().randrange(1 << 32)
    log("%s: seed %d (TUSK_TEST_SEED=%d or --seed %d to replay)" % (args.test, seed, seed, seed))
    rng = random.Random(seed)
    workdir = tempfile.mkdtemp(prefix="tusk-crash-%s-" % args.test)
    ok = False
    try:
        if args.test == "kill9":
            crash_rounds(args, rng, workdir, power_loss=False)
        elif args.test == "powerloss":
            crash_rounds(args, rng, workdir, power_loss=True)
        elif args.test == "failsync":
            failsync_rounds(args, rng, workdir)
        else:
            incr_test(args, rng, workdir)
        ok = True
        log("PASS")
        return 0
    except Skip as e:
        ok = True
        log("SKIP: %s" % e)
        return SKIP
    except TestFailure as e:
        log("FAIL (seed %d): %s" % (seed, e))
        return 1
    except Exception as e:          # noqa: BLE001 - a harness error is a failure too
        log("FAIL (seed %d): unexpected %s: %s" % (seed, type(e).__name__, e))
        raise
    finally:
        if ok and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            log("kept %s" % workdir)


if __name__ == "__main__":
    sys.exit(main())
