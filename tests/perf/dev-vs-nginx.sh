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
dotnet "$objstore" dev --listen "http://127.0.0.1:$dev_port" --data "$work/dev" --access-key perf --secret-key perf-secret-key >"$work/dev.log" 2>&1 &
pids+=($!)
nginx_port=$(free_port)
# nginx workers run unprivileged: they need to reach and write its folders.
chmod 755 "$work" && mkdir -p "$work/nginx/root" "$work/nginx/tmp" && chmod -R 777 "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  client_max_body_size 0;
  client_body_temp_path $work/nginx/tmp;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/nginx/root;
    location / { dav_methods PUT DELETE; create_full_put_path on; dav_access user:rw group:rw all:rw; }
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" &
pids+=($!)
for _ in $(seq 300); do
  curl -fs "http://127.0.0.1:$dev_port/_objstore/health/ready" >/dev/null && curl -s -o /dev/null "http://127.0.0.1:$nginx_port/" && break
  sleep 0.1
done

objects_for() { # enough distinct objects for GETs without preparing gigabytes
  case $1 in *256MiB) echo $(($2 * 2)) ;; *1MiB) echo 64 ;; *) echo 200 ;; esac
}
run() { # server op size concurrency -> "ops/s MiB/s"
  local server=$1 op=$2 size=$3 c=$4 out="$work/run.json"
  local target=(--endpoint "http://127.0.0.1:$dev_port" --access-key perf --secret-key perf-secret-key)
  [ "$server" = nginx ] && target=(--endpoint "http://127.0.0.1:$nginx_port" --no-sign)
  rm -f "$out"
  dotnet "$objstore" bench s3 "${target[@]}" --bucket perf --op "$op" --size "$size" --concurrency "$c" \
    --duration "${seconds}s" --objects "$(objects_for "$size" "$c")" --json "$out" >/dev/null 2>"$work/bench.err" \
    || { echo "bench failed against $server ($op $size c=$c):" >&2; cat "$work/bench.err" >&2; }
  [ -f "$out" ] || { echo "0 0"; return; }
  python3 -c "import json; o=json.load(open('$out'))['operations'][0]; print(o['ops_per_second'], o['mi_b_per_second'])"
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
# Fresh processes spend their first seconds in the JIT: one unmeasured pass of every case warms every server up.
for case in $cases; do
  IFS=: read -r op size c <<<"$case"
  for target in dev nginx; do seconds=2 run "$target" "$op" "$size" "$c" >/dev/null; done
done


echo "| op | size | clients | ObjStore dev ops/s | nginx ops/s | ObjStore dev MiB/s | nginx MiB/s | dev / nginx |"
echo "|---|---|---|---:|---:|---:|---:|---:|"
for case in $cases; do
  IFS=: read -r op size c <<<"$case"
  : >"$work/dev.ops"; : >"$work/dev.mib"; : >"$work/nginx.ops"; : >"$work/nginx.mib"
  for _ in $(seq "$reps"); do
    for server in dev nginx; do
      read -r ops mib < <(run "$server" "$op" "$size" "$c")
      echo "$ops" >>"$work/$server.ops"; echo "$mib" >>"$work/$server.mib"
    done
  done
  dev_ops=$(median <"$work/dev.ops"); nginx_ops=$(median <"$work/nginx.ops")
  dev_mib=$(median <"$work/dev.mib"); nginx_mib=$(median <"$work/nginx.mib")
  ratio=$(python3 -c "print(f'{$dev_ops / $nginx_ops:.2f}' if $nginx_ops > 0 else '-')")
  printf '| %s | %s | %s | %.0f | %.0f | %.1f | %.1f | %s |\n' "$op" "$size" "$c" "$dev_ops" "$nginx_ops" "$dev_mib" "$nginx_mib" "$ratio"
done
echo
echo "medians of $reps alternating runs of ${seconds}s each; $(nproc) cores; $(date -u +%Y-%m-%d)"
