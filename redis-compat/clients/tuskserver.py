"""Start and stop a tusk-server (or a real redis-server) for the client tests.

Python 3 standard library only, so that every client test can use it.

Each server runs as `BIN --port P --bind 127.0.0.1 --dir TMPDIR` on a port
the kernel just handed out, with its log in TMPDIR/server.log; start()
returns once a fresh connection gets +PONG (retrying with another port if
the server exits during start-up), stop() sends SIGTERM to the pid, waits
up to 30 s, then SIGKILL, and returns the exit status. The tusk binary is
$TUSK_SERVER, else ./tusk-server in the current directory (make check runs
in the build directory), else tusk-server two levels above this file.
"""

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

_live = []


def tusk_binary():
    b = os.environ.get('TUSK_SERVER')
    if b:
        return os.path.abspath(b)
    if os.access('./tusk-server', os.X_OK):
        return os.path.abspath('./tusk-server')
    return os.path.normpath(os.path.join(HERE, '..', '..', 'tusk-server'))


def redis_binary():
    b = os.environ.get('REDIS_SERVER', 'redis-server')
    return shutil.which(b)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def _ping(port, timeout=1.0):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=timeout) as c:
            c.sendall(b'*1\r\n$4\r\nPING\r\n')
            buf = b''
            while not buf.endswith(b'\r\n'):
                d = c.recv(64)
                if not d:
                    break
                buf += d
            return buf == b'+PONG\r\n'
    except OSError:
        return False


class Server:
    def __init__(self, binary=None, label='tusk', extra_args=()):
        self.binary = binary or tusk_binary()
        self.label = label
        self.extra = list(extra_args)
        if label == 'redis':
            self.extra = ['--save', '', '--appendonly', 'no',
                          '--daemonize', 'no'] + self.extra
        self.proc = None
        self.port = None
        self.dir = None
        self.logpath = None
        self._log = None

    def start(self, timeout=30.0):
        err = 'not started'
        for _ in range(5):
            self.dir = tempfile.mkdtemp(prefix='tusk-clients-%s-' % self.label)
            self.port = free_port()
            self.logpath = os.path.join(self.dir, 'server.log')
            self._log = open(self.logpath, 'wb')
            cmd = [self.binary, '--port', str(self.port), '--bind', '127.0.0.1',
                   '--dir', self.dir] + self.extra
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=subprocess.STDOUT, cwd=self.dir)
            _live.append(self)
            deadline = time.time() + timeout
            while time.time() < deadline and self.proc.poll() is None:
                if _ping(self.port):
                    print('%s: started %s pid %d port %d dir %s'
                          % (self.label, self.binary, self.proc.pid, self.port, self.dir),
                          flush=True)
                    return self
                time.sleep(0.05)
            rc = self.proc.poll()
            err = '%s (%s) %s on port %d\n%s' % (
                self.label, self.binary,
                'did not answer PING in %.0f s' % timeout if rc is None
                else 'exited with status %s' % rc, self.port, self.log_tail())
            self.stop()
            self.cleanup()
            if rc is None:
                break
        raise RuntimeError(err)

    def log_tail(self, n=30):
        try:
            with open(self.logpath, 'rb') as f:
                lines = f.read().decode('utf-8', 'replace').splitlines()
            return '\n'.join('    | ' + line for line in lines[-n:])
        except (OSError, TypeError):
            return ''

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM by pid, wait up to 30 s, SIGKILL. Returns the exit status
        (Popen.returncode: negative for a signal)."""
        if self.proc is None:
            return None
        t0 = time.time()
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(30)
        rc = self.proc.returncode
        print('%s: stopped pid %d in %.2f s, exit status %s'
              % (self.label, self.proc.pid, time.time() - t0, rc), flush=True)
        if self in _live:
            _live.remove(self)
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None
        return rc

    def cleanup(self):
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


@atexit.register
def _kill_leftovers():
    for s in list(_live):
        try:
            s.stop()
            s.cleanup()
        except Exception:
            pass


class Runner:
    """Tiny test runner: run(name, fn) catches failures; finish() prints
    the closing line `N passed, M failed, K skipped` and returns the exit
    status (0 only without failures)."""

    class Skip(Exception):
        pass

    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []

    def run(self, name, fn, *args):
        t0 = time.time()
        try:
            fn(*args)
        except Runner.Skip as e:
            self.skipped += 1
            print('SKIP %s: %s' % (name, e), flush=True)
            return
        except Exception as e:  # noqa: BLE001 - any failure of the test
            import traceback
            self.failed += 1
            self.failures.append(name)
            print('FAIL %s (%.1f s): %s: %s' % (name, time.time() - t0, type(e).__name__, e),
                  flush=True)
            traceback.print_exc()
            return
        self.passed += 1
        print('PASS %s (%.1f s)' % (name, time.time() - t0), flush=True)

    def finish(self):
        if self.failures:
            print('failed: ' + ' '.join(self.failures))
        print('%d passed, %d failed, %d skipped' % (self.passed, self.failed, self.skipped),
              flush=True)
        return 1 if self.failed else 0


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what=''):
    if got != want:
        g, w = repr(got), repr(want)
        if len(g) > 300:
            g = g[:300] + '...'
        if len(w) > 300:
            w = w[:300] + '...'
        raise AssertionError('%s: want %s, got %s' % (what, w, g))
