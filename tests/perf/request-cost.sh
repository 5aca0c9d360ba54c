#!/usr/bin/env bash
# What one request costs the server: CPU microseconds and bytes allocated per operation, read by dotnet-counters
# (installed as a global tool if missing) from an `objstore dev` while `objstore bench s3` drives it. Each variant
# (VARIANTS: space-separated "name:VAR=value,VAR=value" server environments) runs ROUNDS times, alternating.
#   tests/perf/request-cost.sh
#   OP=put SIZE=4KiB CLIENTS=32 tests/perf/request-cost.sh
#   VARIANTS="before:OBJSTORE_DLL=/tmp/base/objstore.dll after:" tests/perf/request-cost.sh
#   VARIANTS="logger:ObjStore__AccessLog__Output=logger stdout: off:ObjStore__AccessLog__Enabled=false" tests/perf/request-cost.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
op=${OP:-get}; size=${SIZE:-4KiB}; clients=${CLIENTS:-4}; seconds=${SECONDS_EACH:-8}; rounds=${ROUNDS:-2}
variants=${VARIANTS:-default:}
objstore="$root/src/ObjStore/bin/Release/net10.0/objstore.dll"
[ -f "$objstore" ] || dotnet build "$root/src/ObjStore" -c Release -nologo -v q >/dev/null
counters=$(command -v dotnet-counters || echo "$HOME/.dotnet/tools/dotnet-counters")
[ -x "$counters" ] || dotnet tool install -g dotnet-counters >/dev/null
work=$(mktemp -d)
server=""; collector=""
cleanup() { for p in $collector $server; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
credentials=(--access-key perf --secret-key perf-secret-key)

measure() { # $1 variant name, $2 comma-separated VAR=value
  local env_vars=(); IFS=, read -ra env_vars <<<"$2"
  local dll=$objstore # OBJSTORE_DLL=path in a variant runs another build (a copy of an earlier bin/ folder)
  for v in "${env_vars[@]}"; do [[ $v == OBJSTORE_DLL=* ]] && dll=${v#OBJSTORE_DLL=}; done
  rm -rf "$work/data"
  local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local endpoint="http://127.0.0.1:$port"
  setsid env "${env_vars[@]}" dotnet "$dll" dev --listen "$endpoint" --data "$work/data" "${credentials[@]}" >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 300); do curl -fs "$endpoint/_objstore/health/ready" >/dev/null && break; sleep 0.1; done
  local bench=(dotnet "$objstore" bench s3 --endpoint "$endpoint" "${credentials[@]}" --bucket cost --op "$op" --size "$size" --concurrency "$clients" --keep)
  "${bench[@]}" --duration "${WARMUP_SECONDS:-20}s" >/dev/null 2>&1 # warm-up: tiered compilation takes 20-30 s under load
  "$counters" collect -p "$server" --counters System.Runtime --format csv -o "$work/counters.csv" --refresh-interval 1 >/dev/null 2>&1 &
  collector=$!
  sleep 2
  "${bench[@]}" --duration "${seconds}s" --json "$work/bench.json" >/dev/null 2>&1
  kill "$collector"; wait "$collector" 2>/dev/null; collector=""
  kill "$server"; wait "$server" 2>/dev/null; server=""
  python3 - "$1" "$work/counters.csv" "$work/bench.json" >>"$work/results" <<'PY'
import csv, json, sys
name, counters, bench = sys.argv[1:]
rows = list(csv.reader(open(counters)))[1:]
total = lambda prefix: sum(float(r[4]) for r in rows if r[2].startswith(prefix))
report = json.load(open(bench))
ops = sum(o["ops"] for o in report["operations"])  # what the bench prepared before it is counted too: small for --duration
print(name, report["operations"][0]["ops_per_second"], total("dotnet.process.cpu.time") / ops * 1e6, total("dotnet.gc.heap.total_allocated") / ops)
PY
}

for _ in $(seq "$rounds"); do
  for variant in $variants; do measure "${variant%%:*}" "${variant#*:}"; done
done
python3 - "$work/results" "$op" "$size" "$clients" <<'PY'
import statistics, sys
results, op, size, clients = sys.argv[1:]
by = {}
for line in open(results):
    name, *values = line.split()
    by.setdefault(name, []).append([float(v) for v in values])
print(f"| variant | op | size | clients | ops/s | server CPU µs/op | bytes allocated/op |")
print("|---|---|---|---:|---:|---:|---:|")
for name, runs in by.items():
    med = [statistics.median(r[i] for r in runs) for i in range(3)]
    print(f"| {name} | {op} | {size} | {clients} | {med[0]:.0f} | {med[1]:.0f} | {med[2]:.0f} |")
print(f"\nmedians of {len(next(iter(by.values())))} alternating runs; CPU includes the idle server's own (timers) over the 2 s around each run")
PY
