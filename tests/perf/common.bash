# Sourced by the perf scripts: drives `objstore bench s3` against two targets, alternating, and prints a markdown table
# of medians and the ratio B / A. The script defines target_args NAME, which sets the array `args` to the bench's
# endpoint and credential options for that target (and may set `bucket`, default perf), and sets reps, seconds, cases,
# objstore and work. A script that also defines server_pids NAME (printing the PIDs of that target's server processes)
# gets the servers' CPU time per operation in the table: user + system time of those processes and their children
# (nginx's workers) during the measured seconds (server-cpu.py), the figure that stays stable on a noisy machine.

objects_for() { # enough distinct objects for GETs without preparing gigabytes
  case $1 in *256MiB) echo $(($2 * 2)) ;; *1MiB) echo 64 ;; *256KiB) echo 100 ;; *) echo 200 ;; esac
}

run() { # target op size concurrency -> "ops/s MiB/s server-CPU-µs/op" (CPU 0 without server_pids)
  local target=$1 op=$2 size=$3 c=$4 out="$work/run.json" cpu measured=""
  rm -f "$out"
  bucket=perf
  target_args "$target"
  declare -F server_pids >/dev/null && measured=$(server_pids "$target" | tr ' ' ,)
  # server-cpu.py counts only the last ${seconds}s, the measured phase: not the bench's upload of the objects it reads.
  # --keep: no clean-up at the end of the run either.
  cpu=$(python3 "$root/tests/perf/server-cpu.py" "$seconds" "${measured:-0}" -- dotnet "$objstore" bench s3 "${args[@]}" \
    --bucket "$bucket" --op "$op" --size "$size" --concurrency "$c" --duration "${seconds}s" \
    --objects "$(objects_for "$size" "$c")" --keep --json "$out" 2>"$work/bench.err") \
    || { echo "bench failed against $target ($op $size c=$c):" >&2; cat "$work/bench.err" >&2; }
  [ -f "$out" ] || { echo "0 0 0"; return; }
  python3 -c "import json; o=json.load(open('$out'))['operations'][0]; print(o['ops_per_second'], o['mi_b_per_second'], ${cpu:-0} * 1e6 / max(1, o['ops']))"
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

# warm target op size concurrency: unmeasured runs of WARMUP_SECONDS (3) until one is no more than 5% faster than the
# one before it (at most 8). A fresh .NET server keeps getting faster for its first 20-30 s under load while tiered
# compilation replaces its first, quick code with optimised code (measured: a 4 KiB GET at 32 clients rose from 4,000
# to 9,700 ops/s over five 6-s runs); one fixed short pass left the first cases measuring the JIT.
warm() {
  local previous=0 now
  for _ in $(seq 8); do
    read -r now _ < <(seconds=${WARMUP_SECONDS:-3} run "$@")
    python3 -c "import sys; sys.exit(0 if $now <= $previous * 1.05 else 1)" && return
    previous=$now
  done
}

# compare A B "A label" "B label": every case warmed on both targets, then REPS alternating runs per case, one table row per case.
compare() {
  local a=$1 b=$2 label_a=$3 label_b=$4 case op size c target ops mib cpu cpu_head="" cpu_rule=""
  for case in $cases; do
    IFS=: read -r op size c <<<"$case"
    for target in "$a" "$b"; do warm "$target" "$op" "$size" "$c"; done
  done
  if declare -F server_pids >/dev/null; then
    cpu_head=" server CPU µs/op $label_a / $label_b |"; cpu_rule="---:|"
  fi
  echo "| op | size | clients | $label_a ops/s | $label_b ops/s | $label_a MiB/s | $label_b MiB/s | $label_b / $label_a |$cpu_head"
  echo "|---|---|---|---:|---:|---:|---:|---:|$cpu_rule"
  for case in $cases; do
    IFS=: read -r op size c <<<"$case"
    for target in "$a" "$b"; do : >"$work/$target.ops"; : >"$work/$target.mib"; : >"$work/$target.cpu"; done
    for _ in $(seq "$reps"); do
      for target in "$a" "$b"; do
        read -r ops mib cpu < <(run "$target" "$op" "$size" "$c")
        echo "$ops" >>"$work/$target.ops"; echo "$mib" >>"$work/$target.mib"; echo "$cpu" >>"$work/$target.cpu"
      done
    done
    local a_ops b_ops a_mib b_mib ratio
    a_ops=$(median <"$work/$a.ops"); b_ops=$(median <"$work/$b.ops")
    a_mib=$(median <"$work/$a.mib"); b_mib=$(median <"$work/$b.mib")
    ratio=$(python3 -c "print(f'{$b_ops / $a_ops:.2f}' if $a_ops > 0 else '-')")
    printf '| %s | %s | %s | %.1f | %.1f | %.1f | %.1f | %s |' "$op" "$size" "$c" "$a_ops" "$b_ops" "$a_mib" "$b_mib" "$ratio"
    if [ -n "$cpu_head" ]; then
      printf ' %.0f / %.0f |' "$(median <"$work/$a.cpu")" "$(median <"$work/$b.cpu")"
    fi
    echo
  done
  echo
  echo "medians of $reps alternating runs of ${seconds}s each; $(nproc) cores; $(date -u +%Y-%m-%d)"
}
