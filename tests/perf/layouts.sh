#!/usr/bin/env bash
# Small objects striped against replicated, with nginx for scale: one `objstore dev` build started twice, once with
# ObjStore__ReplicateUpTo=0 (every object k+m stripes, as before replication) and once replicating up to
# REPLICATED_UP_TO (default 1 MiB, so every size below is copies), and nginx serving the same bytes from the same disk.
# Each case alternates the three REPS times; the table has median ops/s and the servers' median CPU microseconds per
# operation (utime+stime of the server processes during the measured seconds), the figure that stays put on a
# machine shared with other work.
#   tests/perf/layouts.sh
#   REPS=5 CASES="put:4KiB:1 get:4KiB:32" tests/perf/layouts.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
reps=${REPS:-3}
seconds=${SECONDS_PER_RUN:-4}
replicated_up_to=${REPLICATED_UP_TO:-1048576}
cases=${CASES:-"put:4KiB:1 get:4KiB:1 put:4KiB:32 get:4KiB:32 put:64KiB:8 get:64KiB:8 put:256KiB:8 get:256KiB:8"}
objstore="$root/src/ObjStore/bin/Release/net10.0/objstore.dll"
[ -f "$objstore" ] || dotnet build "$root/src/ObjStore" -c Release -nologo -v q >/dev/null
command -v nginx >/dev/null || { echo "nginx is needed: apt-get install nginx"; exit 2; }
work=$(mktemp -d)
declare -A pids ports
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_dev() { # name ReplicateUpTo
  ports[$1]=$(free_port)
  # Detached (setsid), as in cluster-vs-dev.sh: a server in the bench's session shares its scheduling group.
  ObjStore__ReplicateUpTo=$2 setsid dotnet "$objstore" dev --listen "http://127.0.0.1:${ports[$1]}" --data "$work/data-$1" \
    --access-key perf --secret-key perf-secret-key >"$work/$1.log" 2>&1 &
  pids[$1]=$!
}
start_dev striped 0
start_dev replicated "$replicated_up_to"
ports[nginx]=$(free_port)
source "$(dirname "$0")/nginx.bash"
start_nginx "${ports[nginx]}"
pids[nginx]=$nginx_pid
for name in striped replicated; do
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:${ports[$name]}/_objstore/health/ready" >/dev/null && break; sleep 0.1; done
done

target_args() {
  case $1 in
    nginx) args=(--endpoint "http://127.0.0.1:${ports[nginx]}" --no-sign) ;;
    *) args=(--endpoint "http://127.0.0.1:${ports[$1]}" --access-key perf --secret-key perf-secret-key) ;;
  esac
}
server_pids() { echo "${pids[$1]}"; } # nginx's workers are its children
source "$(dirname "$0")/common.bash"

targets=${TARGETS:-"nginx striped replicated"} # the order of each alternation (TARGETS="nginx replicated striped" checks for a bias of position)
for case in $cases; do
  IFS=: read -r op size c <<<"$case"
  for target in $targets; do seconds=2 run "$target" "$op" "$size" "$c" >/dev/null; done
done
echo "| op | size | clients | nginx ops/s | striped ops/s | replicated ops/s | replicated / striped | replicated / nginx | nginx CPU µs/op | striped CPU µs/op | replicated CPU µs/op |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for case in $cases; do
  IFS=: read -r op size c <<<"$case"
  for target in $targets; do : >"$work/$target.ops"; : >"$work/$target.cpu"; done
  for _ in $(seq "$reps"); do
    for target in $targets; do
      read -r ops _ cpu < <(run "$target" "$op" "$size" "$c")
      echo "$ops" >>"$work/$target.ops"; echo "$cpu" >>"$work/$target.cpu"
    done
  done
  declare -A o u
  for target in $targets; do o[$target]=$(median <"$work/$target.ops"); u[$target]=$(median <"$work/$target.cpu"); done
  python3 -c "
n, s, r = ${o[nginx]}, ${o[striped]}, ${o[replicated]}
ratio = lambda a, b: f'{a / b:.2f}' if b > 0 else '-'
print(f'| $op | $size | $c | {n:.1f} | {s:.1f} | {r:.1f} | {ratio(r, s)} | {ratio(r, n)} | {${u[nginx]}:.0f} | {${u[striped]}:.0f} | {${u[replicated]}:.0f} |')"
done
echo
echo "medians of $reps alternating runs of ${seconds}s each; replicated: ReplicateUpTo=$replicated_up_to; $(nproc) cores; $(date -u +%Y-%m-%d)"
