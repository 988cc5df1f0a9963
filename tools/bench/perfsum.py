#!/usr/bin/env python3
"""Summarise `perf script -F comm,ip,sym,dso` output (call-graph samples) of
tusk backends: where the self time goes, with library and kernel time charged
to the tusk function or system call that caused it.

  perf script -i perf.data -F comm,ip,sym,dso | tools/bench/perfsum.py [COMM] [TOP]

COMM (default "tusk: backend,tusk: shared ba") selects processes by their comm
prefix; several prefixes are separated by commas (a shared backend's comm
is "tusk: shared ba", cut to 15 bytes by the kernel).
Prints three tables (percent of the selected samples):
  1. by area: kernel per system call (the libc wrapper at the user/kernel
     boundary: write, read, epoll_wait, ...), page faults, libevent,
     jemalloc, libc, tusk;
  2. top TOP tusk functions by self time, plus library time charged to the
     nearest tusk caller (e.g. jemalloc called from KsValueRelease);
  3. top TOP leaf symbols, unmerged (what `perf report --no-children` shows).
"""
import collections
import signal
import sys

signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def main():
    want = sys.argv[1] if len(sys.argv) > 1 else "tusk: backend,tusk: shared ba"
    wants = tuple(want.split(","))
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    area = collections.Counter()
    charged = collections.Counter()
    leaf = collections.Counter()
    total = 0
    sample = []
    comm = None

    def flush():
        nonlocal total
        if not sample or comm is None or not comm.startswith(wants):
            return
        total += 1
        # perf --call-graph dwarf marks inlined frames with dso "inlined":
        # give them the dso of the function they were inlined into
        frames = list(sample)
        for i in range(len(frames) - 2, -1, -1):
            if frames[i][1] == "inlined":
                frames[i] = (frames[i][0], frames[i + 1][1])
        lsym, ldso = frames[0]
        leaf[(lsym, ldso.rsplit("/", 1)[-1])] += 1
        if ldso == "[kernel.kallsyms]":
            syms = [s for s, _ in frames]
            user = next(((s, d) for s, d in frames if d != "[kernel.kallsyms]"), None)
            sysc = [s for s in syms if s.startswith(("__x64_sys_", "ksys_", "__do_sys_"))]
            if any("page_fault" in s for s in syms):
                area["kernel: page faults"] += 1
            elif sysc:
                name = sysc[-1]
                for pre in ("__x64_sys_", "ksys_", "__do_sys_"):
                    if name.startswith(pre):
                        name = name[len(pre):]
                if name == "futex":
                    name = "futex (LWLock / WAL flush waits)"
                area["kernel: syscall " + name] += 1
            elif user is not None and user[0].split("@")[0].endswith(
                    ("read", "write", "epoll_wait", "syscall", "fdatasync")):
                name = user[0].split("@")[0].replace("__GI___libc_", "").replace("__GI___", "")
                if name == "syscall":
                    name = "futex (LWLock / WAL flush waits)"
                area["kernel: syscall " + name] += 1
            elif any("irq" in s for s in syms):
                area["kernel: interrupts"] += 1
            else:
                area["kernel: other"] += 1
        else:
            base = ldso.rsplit("/", 1)[-1]
            if "tusk" in base:
                area["tusk"] += 1
            elif "jemalloc" in base:
                area["jemalloc"] += 1
            elif "libevent" in base:
                area["libevent"] += 1
            elif base.startswith("libc"):
                area["libc"] += 1
            else:
                area[base] += 1
        if ldso != "[kernel.kallsyms]":
            owner = next((s for s, d in frames if "tusk" in d.rsplit("/", 1)[-1]), None)
            if owner is not None:
                charged[owner] += 1

    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            flush()
            sample, comm = [], None
            continue
        if not line[0].isspace():
            # header line: "comm" (with -F comm the comm comes first)
            flush()
            sample = []
            comm = line.strip().split("  ")[0].strip()
            continue
        parts = line.strip().split(" ", 1)
        if len(parts) < 2:
            continue
        rest = parts[1]
        if rest.endswith(")") and " (" in rest:
            sym, dso = rest.rsplit(" (", 1)
            dso = dso[:-1]
        else:
            sym, dso = rest, "?"
        sample.append((sym.split("+0x")[0], dso))
    flush()
    if total == 0:
        print("no samples for comm %r" % want)
        return 1
    pct = lambda n: 100.0 * n / total
    print("samples: %d (%s)" % (total, want))
    print("\n-- by area (self time)")
    for k, v in area.most_common():
        if pct(v) >= 0.2:
            print("%6.1f%%  %s" % (pct(v), k))
    print("\n-- user time charged to the nearest tusk function (self + libraries it called)")
    for k, v in charged.most_common(top):
        print("%6.1f%%  %s" % (pct(v), k))
    print("\n-- leaf symbols (self time)")
    for (s, d), v in leaf.most_common(top):
        print("%6.1f%%  %-40s %s" % (pct(v), s, d))
    return 0


if __name__ == "__main__":
    sys.exit(main())
