#!/usr/bin/env bash
# Issue 19's listing target: the p99 of a ListObjectsV2 page of 1000 at 10^7 keys within 2x of the same at 10^3.
# One `objstore bench list` run loads a bucket of each size into a dev store of its own (synthetic catalogue rows, no
# shards, in new temporary folders it deletes), then samples pages of every size and listing in turn through each
# store's S3 endpoint on 127.0.0.1, so the machine's other work weighs on every size alike; the table gives each size's
# p50 and p99 and their ratios to the first size. The 10^7 catalogue takes about 5.5 GB of temporary space and a
# minute and a half to load.
#   tests/perf/listing.sh
#   KEYS=1000,100000 PAGES=100 tests/perf/listing.sh
set -euo pipefail
keys=${KEYS:-1000,1000000,10000000}
pages=${PAGES:-400}
root=$(cd "$(dirname "$0")/../.." && pwd)
objstore="$root/src/ObjStore/bin/Release/net10.0/objstore.dll"
[ -f "$objstore" ] || dotnet build "$root/src/ObjStore" -c Release -nologo -v q >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dotnet "$objstore" bench list --keys "$keys" --pages "$pages" --json "$work/list.json" >"$work/bench.out" 2>"$work/bench.err" \
  || { cat "$work/bench.out" "$work/bench.err" >&2; exit 1; }
grep '^loaded' "$work/bench.out"
echo
python3 - "$work/list.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
timings = report["timings"]
sizes = sorted({t["Keys"] for t in timings}, key=[t["Keys"] for t in timings].index)
modes = list(dict.fromkeys(t["Mode"] for t in timings))
at = {(t["Keys"], t["Mode"]): t for t in timings}
base = sizes[0]
def n(k): return f"{k:,}"
head = ["listing"] + [f"p99 {n(k)} (ms)" for k in sizes] + [f"p99 {n(k)} / {n(base)}" for k in sizes[1:]] + [f"p50 {n(k)} / {n(base)}" for k in sizes[1:]]
print("| " + " | ".join(head) + " |")
print("|---" + "|---:" * (len(head) - 1) + "|")
for m in modes:
    b = at[(base, m)]
    row = [m] + [f"{at[(k, m)]['P99Milliseconds']:.2f}" for k in sizes]
    row += [f"{at[(k, m)]['P99Milliseconds'] / b['P99Milliseconds']:.2f}" for k in sizes[1:]]
    row += [f"{at[(k, m)]['P50Milliseconds'] / b['P50Milliseconds']:.2f}" for k in sizes[1:]]
    print("| " + " | ".join(row) + " |")
entries = ", ".join(f"{n(k)}: " + "/".join(f"{at[(k, m)]['EntriesPerPage']:.0f}" for m in modes) for k in sizes)
print(f"\n{report['pages']} pages of 1000 per cell, sizes and listings sampled in turn; entries per page ({entries})")
PY
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(date -u +%Y-%m-%d); $(git -C "$root" rev-parse --short HEAD)"
