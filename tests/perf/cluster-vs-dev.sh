#!/usr/bin/env bash
# The README's cluster table: a 4+2 gateway over six node processes (deploy/local-cluster.sh) against `objstore dev`
# (4+2, one process) on the same machine, in the same run, alternating, medians of REPS runs. The ratio is what the
# gateway-to-node hop costs on loopback.
#   tests/perf/cluster-vs-dev.sh
#   REPS=5 SECONDS_PER_RUN=8 CASES="put:256MiB:1 get:256MiB:1" tests/perf/cluster-vs-dev.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
reps=${REPS:-3}
seconds=${SECONDS_PER_RUN:-6}
cases=${CASES:-"put:256MiB:1 get:256MiB:1 put:4KiB:32 get:4KiB:32"}
objstore="$root/src/ObjStore/bin/Release/net10.0/objstore.dll"
[ -f "$objstore" ] || dotnet build "$root/src/ObjStore" -c Release -nologo -v q >/dev/null
work=$(mktemp -d)
dev_pid=
cleanup() {
  [ -n "$dev_pid" ] && { kill "$dev_pid" 2>/dev/null; wait "$dev_pid" 2>/dev/null; }
  [ -f "$work/cluster/cluster.env" ] && "$root/deploy/local-cluster.sh" stop "$work/cluster" >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

dev_port=$(free_port)
dotnet "$objstore" dev --listen "http://127.0.0.1:$dev_port" --data "$work/dev" --access-key perf --secret-key perf-secret-key >"$work/dev.log" 2>&1 &
dev_pid=$!
"$root/deploy/local-cluster.sh" start "$work/cluster" --nodes 6 --ec 4+2 >/dev/null || exit 1
source "$work/cluster/cluster.env"
for _ in $(seq 300); do curl -fs "http://127.0.0.1:$dev_port/_objstore/health/ready" >/dev/null && break; sleep 0.1; done

objects_for() { case $1 in *256MiB) echo $(($2 * 2)) ;; *1MiB) echo 64 ;; *) echo 200 ;; esac; }
run() { # target op size concurrency -> "ops/s MiB/s"
  local target=$1 op=$2 size=$3 c=$4 out="$work/run.json"
  local args=(--endpoint "http://127.0.0.1:$dev_port" --access-key perf --secret-key perf-secret-key)
  [ "$target" = cluster ] && args=(--endpoint "$OBJSTORE_ENDPOINT" --access-key "$OBJSTORE_ACCESS_KEY" --secret-key "$OBJSTORE_SECRET_KEY")
  rm -f "$out"
  dotnet "$objstore" bench s3 "${args[@]}" --bucket perf --op "$op" --size "$size" --concurrency "$c" \
    --duration "${seconds}s" --objects "$(objects_for "$size" "$c")" --json "$out" >/dev/null 2>"$work/bench.err" \
    || { echo "bench failed against $target ($op $size c=$c):" >&2; cat "$work/bench.err" >&2; }
  [ -f "$out" ] || { echo "0 0"; return; }
  python3 -c "import json; o=json.load(open('$out'))['operations'][0]; print(o['ops_per_second'], o['mi_b_per_second'])"
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
# Fresh processes spend their first seconds in the JIT: one unmeasured pass of every case warms every server up.
for case in $cases; do
  IFS=: read -r op size c <<<"$case"
  for target in dev cluster; do seconds=2 run "$target" "$op" "$size" "$c" >/dev/null; done
done


echo "| op | size | clients | dev ops/s | cluster ops/s | dev MiB/s | cluster MiB/s | cluster / dev |"
echo "|---|---|---|---:|---:|---:|---:|---:|"
for case in $cases; do
  IFS=: read -r op size c <<<"$case"
  : >"$work/dev.ops"; : >"$work/dev.mib"; : >"$work/cluster.ops"; : >"$work/cluster.mib"
  for _ in $(seq "$reps"); do
    for target in dev cluster; do
      read -r ops mib < <(run "$target" "$op" "$size" "$c")
      echo "$ops" >>"$work/$target.ops"; echo "$mib" >>"$work/$target.mib"
    done
  done
  d_ops=$(median <"$work/dev.ops"); c_ops=$(median <"$work/cluster.ops")
  d_mib=$(median <"$work/dev.mib"); c_mib=$(median <"$work/cluster.mib")
  ratio=$(python3 -c "print(f'{$c_ops / $d_ops:.2f}' if $d_ops > 0 else '-')")
  printf '| %s | %s | %s | %.1f | %.1f | %.1f | %.1f | %s |\n' "$op" "$size" "$c" "$d_ops" "$c_ops" "$d_mib" "$c_mib" "$ratio"
done
echo
echo "medians of $reps alternating runs of ${seconds}s each; $(nproc) cores; $(date -u +%Y-%m-%d)"
