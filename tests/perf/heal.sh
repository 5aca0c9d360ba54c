#!/usr/bin/env bash
# How fast a wiped store is rebuilt, against the disk's own sequential write speed measured in the same run: one
# `objstore dev` (4+2, no fixed heal ceilings: the adaptive pace alone) holding OBJECTS objects of SIZE, one store's
# shards deleted, then `objstore admin heal store:store-03 --wait`; dd with fdatasync writes as many bytes to the
# same disk. Then what a heal costs the clients: 4 KiB GETs (CLIENTS at once, each phase as long as the first heal
# took, so that the heal lasts the whole "during" phase) before, during and after a second heal of the same store;
# YIELD=false turns the heal's yielding to requests off for comparison.
#   tests/perf/heal.sh
#   OBJECTS=64 SIZE=32MiB tests/perf/heal.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
objects=${OBJECTS:-32}
size=${SIZE:-64MiB}
objstore="$root/src/ObjStore/bin/Release/net10.0/objstore.dll"
[ -f "$objstore" ] || dotnet build "$root/src/ObjStore" -c Release -nologo -v q >/dev/null
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
credentials=(--access-key perf --secret-key perf-secret-key)
clients=${CLIENTS:-4}
ObjStore__Maintenance__HealYieldsToRequests=${YIELD:-true} ObjStore__Maintenance__AutoHealInterval=01:00:00 \
  setsid dotnet "$objstore" dev --listen "$endpoint" --data "$work/data" "${credentials[@]}" >"$work/server.log" 2>&1 &
server=$!
healer=""
cleanup() { [ -n "$healer" ] && kill "$healer" 2>/dev/null; kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 300); do curl -fs "$endpoint/_objstore/health/ready" >/dev/null && break; sleep 0.1; done

dotnet "$objstore" bench s3 --endpoint "$endpoint" "${credentials[@]}" --bucket heal --op put --size "$size" --objects "$objects" \
  --concurrency 2 --keep >/dev/null 2>&1
store="$work/data/store-03/shards"
bytes=$(du -sb "$store" | cut -f1)
find "$store" -type f -delete
sync
start=$(date +%s.%N)
dotnet "$objstore" admin heal store:store-03 --wait --json --endpoint "$endpoint" "${credentials[@]}" >"$work/heal.json"
end=$(date +%s.%N)
healed=$(du -sb "$store" | cut -f1)
dd_out=$(dd if=/dev/zero of="$work/dd.bin" bs=1M count=$((bytes / 1048576)) conv=fdatasync 2>&1 | tail -1)
dd_seconds=$(echo "$dd_out" | sed -E 's/.* copied, ([0-9.]+) s.*/\1/')
gets() { # 4 KiB GETs for $seconds; the report to $1
  dotnet "$objstore" bench s3 --endpoint "$endpoint" "${credentials[@]}" --bucket foreground --op get --size 4KiB \
    --concurrency "$clients" --duration "${seconds}s" --keep --json "$1" >/dev/null 2>&1
}
seconds=$(python3 -c "print(max(4, int($end - $start)))")
gets "$work/warm-up.json" # the GET path and the client JIT-compiled before anything is measured
gets "$work/before.json"
find "$store" -type f -delete
sync
dotnet "$objstore" admin heal store:store-03 --wait --json --endpoint "$endpoint" "${credentials[@]}" >"$work/heal2.json" &
healer=$!
gets "$work/during.json"
wait "$healer"
healer=""
gets "$work/after.json"

python3 - "$bytes" "$healed" "$start" "$end" "$dd_seconds" "$work/heal.json" <<'PY'
import json, sys
bytes_, healed, start, end, dd_seconds, job = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), json.load(open(sys.argv[6]))
seconds = end - start
heal_rate, dd_rate = healed / seconds / 1048576, bytes_ / dd_seconds / 1048576
print("| store's shards | rebuilt | heal s | heal MiB/s | dd fdatasync MiB/s | heal / dd | job items done/total |")
print("|---:|---:|---:|---:|---:|---:|---:|")
print(f"| {bytes_ / 1048576:.0f} MiB | {healed / 1048576:.0f} MiB | {seconds:.1f} | {heal_rate:.0f} | {dd_rate:.0f} | {heal_rate / dd_rate:.2f} | {job['itemsDone']}/{job['itemsTotal']} |")
PY
python3 - "$work" "$clients" "${YIELD:-true}" <<'PY'
import json, sys
work, clients, yielding = sys.argv[1], sys.argv[2], sys.argv[3]
def p99(phase):
    report = json.load(open(f"{work}/{phase}.json"))
    op = next(o for o in report["operations"] if o["operation"] == "get")
    return op["p99_ms"], op["ops_per_second"]
before, during, after = p99("before"), p99("during"), p99("after")
print()
print(f"| 4 KiB GET, {clients} clients (heal yields: {yielding}) | before | during heal | after | during / before |")
print("|---|---:|---:|---:|---:|")
print(f"| p99 ms | {before[0]:.2f} | {during[0]:.2f} | {after[0]:.2f} | {during[0] / before[0]:.2f} |")
print(f"| GET/s | {before[1]:.0f} | {during[1]:.0f} | {after[1]:.0f} | {during[1] / before[1]:.2f} |")
PY
