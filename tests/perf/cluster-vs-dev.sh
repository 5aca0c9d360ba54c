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
# Detached like the cluster's processes (local-cluster.sh uses setsid, as systemd gives each service its own cgroup):
# with the kernel's autogroup scheduling, a server in the bench client's own session ping-pongs with it on a shared
# group and ran single-stream GETs 1.25x faster than the same server detached (2550 vs 2050 MiB/s), which made the
# hop look that much dearer.
setsid dotnet "$objstore" dev --listen "http://127.0.0.1:$dev_port" --data "$work/dev" --access-key perf --secret-key perf-secret-key >"$work/dev.log" 2>&1 &
dev_pid=$!
"$root/deploy/local-cluster.sh" start "$work/cluster" --nodes 6 --ec 4+2 >/dev/null || exit 1
source "$work/cluster/cluster.env"
for _ in $(seq 300); do curl -fs "http://127.0.0.1:$dev_port/_objstore/health/ready" >/dev/null && break; sleep 0.1; done

target_args() {
  case $1 in
    dev) args=(--endpoint "http://127.0.0.1:$dev_port" --access-key perf --secret-key perf-secret-key) ;;
    cluster) args=(--endpoint "$OBJSTORE_ENDPOINT" --access-key "$OBJSTORE_ACCESS_KEY" --secret-key "$OBJSTORE_SECRET_KEY") ;;
  esac
}
server_pids() { case $1 in dev) echo "$dev_pid" ;; cluster) echo "$GATEWAY_PID $NODE_PIDS" ;; esac; } # the cluster: gateway and nodes
source "$(dirname "$0")/common.bash"
compare dev cluster dev cluster
