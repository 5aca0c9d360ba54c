#!/usr/bin/env bash
# The README's Performance table: `objstore dev` against nginx serving (and, with WebDAV, storing) the same bytes from
# the same disk, both driven by `objstore bench s3` on this machine in the same run. Each case alternates the two
# servers REPS times and reports medians and the dev/nginx ratio. nginx does not fsync a PUT; ObjStore fsyncs every
# shard and its catalogue commit before answering, so PUT ratios price durability as well as code.
#   tests/perf/dev-vs-nginx.sh                 all cases, 3 repetitions of 4 s
#   REPS=5 SECONDS_PER_RUN=8 tests/perf/dev-vs-nginx.sh
#   CASES="get:4KiB:32 put:256MiB:1" tests/perf/dev-vs-nginx.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
reps=${REPS:-3}
seconds=${SECONDS_PER_RUN:-4}
cases=${CASES:-"put:4KiB:1 get:4KiB:1 put:4KiB:32 get:4KiB:32 put:1MiB:1 get:1MiB:1 put:1MiB:8 get:1MiB:8 put:256MiB:1 get:256MiB:1 put:256MiB:4 get:256MiB:4"}
objstore="$root/src/ObjStore/bin/Release/net10.0/objstore.dll"
[ -f "$objstore" ] || dotnet build "$root/src/ObjStore" -c Release -nologo -v q >/dev/null
command -v nginx >/dev/null || { echo "nginx is needed: apt-get install nginx"; exit 2; }
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

dev_port=$(free_port)
setsid dotnet "$objstore" dev --listen "http://127.0.0.1:$dev_port" --data "$work/dev" --access-key perf --secret-key perf-secret-key >"$work/dev.log" 2>&1 &
pids+=($!)
dev_pid=$!
nginx_port=$(free_port)
source "$(dirname "$0")/nginx.bash"
start_nginx "$nginx_port"
pids+=("$nginx_pid")
for _ in $(seq 300); do
  curl -fs "http://127.0.0.1:$dev_port/_objstore/health/ready" >/dev/null && curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && break
  sleep 0.1
done

target_args() {
  case $1 in
    dev) args=(--endpoint "http://127.0.0.1:$dev_port" --access-key perf --secret-key perf-secret-key) ;;
    nginx) args=(--endpoint "http://127.0.0.1:$nginx_port" --no-sign) ;;
  esac
}
server_pids() { case $1 in dev) echo "$dev_pid" ;; nginx) echo "$nginx_pid" ;; esac; } # nginx's workers are its children
source "$(dirname "$0")/common.bash"
compare nginx dev nginx "ObjStore dev"
