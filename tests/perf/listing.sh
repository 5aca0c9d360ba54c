#!/usr/bin/env bash
# Issue 19's listing target: the p99 of a ListObjectsV2 page of 1000 at 10^7 keys within 2x of the same at 10^3; issue 21
# asks the same of the PostgreSQL catalogue. One `objstore bench list` run loads a bucket of each size into a dev store
# of its own per catalogue (synthetic catalogue rows, no shards: a new SQLite file in a new temporary folder, or a new
# database on PostgreSQL), then samples pages of every size, catalogue and listing in turn through each store's S3
# endpoint on 127.0.0.1, so the machine's other work weighs on every size alike; the table gives each size's p50 and
# p99 and their ratios to the first size of the same catalogue. The 10^7 catalogue takes about 5.5 GB of temporary
# space on SQLite and about 4 GB on PostgreSQL.
# BACKEND=postgres (or sqlite,postgres) starts a throwaway PostgreSQL (deploy/postgres-throwaway.sh) in a temporary
# folder and stops and removes it at the end; PG_SERVER=CONNECTION uses a running server instead (the bench creates
# and drops databases of its own there).
#   tests/perf/listing.sh
#   KEYS=1000,100000 PAGES=100 tests/perf/listing.sh
#   BACKEND=sqlite,postgres PAGES=100 nice tests/perf/listing.sh
set -euo pipefail
keys=${KEYS:-1000,1000000,10000000}
pages=${PAGES:-400}
root=$(cd "$(dirname "$0")/../.." && pwd)
objstore="$root/src/ObjStore/bin/Release/net10.0/objstore.dll"
[ -f "$objstore" ] || dotnet build "$root/src/ObjStore" -c Release -nologo -v q >/dev/null
backend=${BACKEND:-sqlite}
work=$(mktemp -d)
pg=""
cleanup() {
  [ -z "$pg" ] || bash "$root/deploy/postgres-throwaway.sh" stop "$pg"
  rm -rf "$work"
}
trap cleanup EXIT
server=${PG_SERVER:-}
if [[ ",$backend," == *,postgres,* && -z "$server" ]]; then
  pg=$(mktemp -d)
  server=$(bash "$root/deploy/postgres-throwaway.sh" start "$pg" | tail -1)
fi

dotnet "$objstore" bench list --keys "$keys" --catalogue "$backend" ${server:+--postgres "$server"} --pages "$pages" --json "$work/list.json" \
  >"$work/bench.out" 2>"$work/bench.err" || { cat "$work/bench.out" "$work/bench.err" >&2; exit 1; }
grep '^loaded' "$work/bench.out"
echo
python3 - "$work/list.json" <<'PY'
import json, sys
for p in json.load(open(sys.argv[1]))["plans"]:
    print(f"EXPLAIN (ANALYZE, BUFFERS) at {p['keys']:,} keys on postgres (prepared, generic plan):\n{p['plan']}")
PY
python3 - "$work/list.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
timings = report["timings"]
sizes = sorted({t["Keys"] for t in timings}, key=[t["Keys"] for t in timings].index)
modes = list(dict.fromkeys(t["Mode"] for t in timings))
catalogues = list(dict.fromkeys(t["Catalogue"] for t in timings))
at = {(t["Catalogue"], t["Keys"], t["Mode"]): t for t in timings}
base = sizes[0]
def n(k): return f"{k:,}"
head = ["catalogue", "listing"] + [f"p50 / p99 {n(k)} (ms)" for k in sizes] + [f"p99 {n(k)} / {n(base)}" for k in sizes[1:]] + [f"p50 {n(k)} / {n(base)}" for k in sizes[1:]]
print("| " + " | ".join(head) + " |")
print("|---|---" + "|---:" * (len(head) - 2) + "|")
for c in catalogues:
    for m in modes:
        b = at[(c, base, m)]
        row = [c, m] + [f"{at[(c, k, m)]['P50Milliseconds']:.2f} / {at[(c, k, m)]['P99Milliseconds']:.2f}" for k in sizes]
        row += [f"{at[(c, k, m)]['P99Milliseconds'] / b['P99Milliseconds']:.2f}" for k in sizes[1:]]
        row += [f"{at[(c, k, m)]['P50Milliseconds'] / b['P50Milliseconds']:.2f}" for k in sizes[1:]]
        print("| " + " | ".join(row) + " |")
entries = ", ".join(f"{n(k)}: " + "/".join(f"{at[(catalogues[0], k, m)]['EntriesPerPage']:.0f}" for m in modes) for k in sizes)
print(f"\n{report['pages']} pages of 1000 per cell, sizes, catalogues and listings sampled in turn; entries per page ({entries})")
PY
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(date -u +%Y-%m-%d); $(git -C "$root" rev-parse --short HEAD)"
