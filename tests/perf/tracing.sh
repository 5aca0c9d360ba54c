#!/usr/bin/env bash
# What tracing costs the S3 hot path: two `objstore dev` of the same build, one without tracing (no listener: every
# span helper returns at once) and one exporting every span over OTLP to a collector on loopback (a Python HTTP server
# that answers 200 to each POST /v1/traces), driven alternately by the bench; medians of REPS runs and the ratio on / off.
#   tests/perf/tracing.sh
#   REPS=5 SECONDS_PER_RUN=4 CASES="put:4KiB:16" tests/perf/tracing.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
reps=${REPS:-3}
seconds=${SECONDS_PER_RUN:-4}
cases=${CASES:-"put:4KiB:16 get:4KiB:16 put:1MiB:4 get:1MiB:4"}
objstore="$root/src/ObjStore/bin/Release/net10.0/objstore.dll"
[ -f "$objstore" ] || dotnet build "$root/src/ObjStore" -c Release -nologo -v q >/dev/null
work=$(mktemp -d)
declare -A pids ports
collector=
cleanup() {
  for name in off on; do [ -n "${pids[$name]:-}" ] && { kill "${pids[$name]}" 2>/dev/null; wait "${pids[$name]}" 2>/dev/null; }; done
  [ -n "$collector" ] && { kill "$collector" 2>/dev/null; wait "$collector" 2>/dev/null; }
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

collector_port=$(free_port)
python3 - "$collector_port" >"$work/collector.log" 2>&1 <<'EOF' &
import http.server, sys
class Collector(http.server.BaseHTTPRequestHandler):
    spans_bytes = 0
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Collector.spans_bytes += len(body)
        self.send_response(200); self.send_header("Content-Type", "application/x-protobuf"); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Collector).serve_forever()
EOF
collector=$!

start() { # name [extra environment]
  local name=$1; shift
  ports[$name]=$(free_port)
  # Detached, as in dev-builds.sh: a server in the bench's session shares its scheduling group.
  env "$@" setsid dotnet "$objstore" dev --listen "http://127.0.0.1:${ports[$name]}" --data "$work/data-$name" \
    --access-key perf --secret-key perf-secret-key >"$work/$name.log" 2>&1 &
  pids[$name]=$!
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:${ports[$name]}/_objstore/health/ready" >/dev/null && return; sleep 0.1; done
  echo "$name did not become ready" >&2; exit 1
}
start off ObjStore__AccessLog__Enabled=true
start on ObjStore__Tracing__OtlpEndpoint="http://127.0.0.1:$collector_port"

target_args() { args=(--endpoint "http://127.0.0.1:${ports[$1]}" --access-key perf --secret-key perf-secret-key); }
server_pids() { echo "${pids[$1]}"; }
source "$(dirname "$0")/common.bash"
compare off on "tracing off" "tracing on"
