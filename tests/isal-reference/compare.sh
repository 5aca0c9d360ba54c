#!/usr/bin/env bash
# Runs ISA-L and `objstore bench codec` back to back, alternating, and prints ObjStore / ISA-L per layout.
# Needs Debian's libisal-dev (apt-get install libisal-dev). Usage: tests/isal-reference/compare.sh [rounds]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=${1:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/isal_bench" "$here/isal_bench.c" -lisal
dotnet build "$root/src/ObjStore" -c Release -v q -nologo >/dev/null
for r in $(seq "$rounds"); do
  "$work/isal_bench" >>"$work/isal.jsonl"
  dotnet "$root/src/ObjStore/bin/Release/net10.0/objstore.dll" bench codec >>"$work/objstore.jsonl"
done
python3 - "$work/isal.jsonl" "$work/objstore.jsonl" <<'PY'
import json, statistics, sys
def load(path):
    rows = {}
    for line in open(path):
        d = json.loads(line)
        rows.setdefault((d["k"], d["m"], d["shard_bytes"]), []).append(d)
    return {key: {f: statistics.median(r[f] for r in v) for f in ("encode_gbps", "reconstruct_gbps")} for key, v in rows.items()}
isal, ours = load(sys.argv[1]), load(sys.argv[2])
print(f"{'layout':<7}{'shard':>9}{'ISA-L enc':>11}{'ours enc':>10}{'ratio':>7}{'ISA-L rec':>11}{'ours rec':>10}{'ratio':>7}")
for key in sorted(isal):
    k, m, size = key
    a, b = isal[key], ours[key]
    print(f"{k}+{m:<5}{size // 1024:>6} KiB{a['encode_gbps']:>11.2f}{b['encode_gbps']:>10.2f}{b['encode_gbps'] / a['encode_gbps']:>7.2f}"
          f"{a['reconstruct_gbps']:>11.2f}{b['reconstruct_gbps']:>10.2f}{b['reconstruct_gbps'] / a['reconstruct_gbps']:>7.2f}")
PY
