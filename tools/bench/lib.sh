# Shared helpers for the benchmark scripts (sourced, not run).

bench_pids=()

bench_free_port() {
  python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# bench_start NAME PORT DIR COMMAND ARGS...: start in the background, wait for PING
bench_start() {
  local name=$1 port=$2 dir=$3; shift 3
  mkdir -p "$dir"
  "$@" > "$dir.log" 2>&1 &
  bench_pids+=($!)
  for _ in $(seq 1 100); do
    if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then return 0; fi
    sleep 0.1
  done
  echo "bench: $name did not start; its log:" >&2
  cat "$dir.log" >&2
  return 1
}

bench_stop_all() {
  local p
  for p in "${bench_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${bench_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  bench_pids=()
}

bench_median() {
  printf "%s\n" "$@" | sort -g | awk '{a[NR]=$1} END {if (NR==0) print 0; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}

# bench_cpu_ticks: "STEAL TOTAL" clock ticks of all CPUs so far (/proc/stat).
# Steal is time the hypervisor gave this VM's CPUs to someone else.
bench_cpu_ticks() {
  awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t; exit }' /proc/stat
}

# bench_steal_since "STEAL TOTAL": percent of CPU time stolen since then
bench_steal_since() {
  local s0 t0 s1 t1
  read -r s0 t0 <<< "$1"
  read -r s1 t1 < <(bench_cpu_ticks)
  awk -v s="$((s1 - s0))" -v t="$((t1 - t0))" 'BEGIN { printf "%.0f", (t > 0 ? 100 * s / t : 0) }'
}
