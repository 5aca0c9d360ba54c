#!/usr/bin/env bash
# The README's gateways table: 4 KiB PUT and GET at 32 clients through (a) one gateway on SQLite, (b) one gateway on
# PostgreSQL and (c) two gateways on the same PostgreSQL, each a deploy/local-cluster.sh cluster of six nodes (4+2)
# started in turn (never two at once), driven by `objstore bench s3`; medians of REPS runs, with the ratios
# PostgreSQL / SQLite and two gateways / one (both on PostgreSQL). For (c) the clients are split across the gateways
# (two bench processes at once, half the clients each, their ops/s added), or go through nginx in front of both with
# VIA=nginx (deploy/nginx-gateways.conf), which adds a hop.
# On a 2-core machine the two gateways share the same two cores with each other, the six nodes, PostgreSQL and the
# bench clients: (c) then measures how they contend, not what a second gateway host adds. Take the real numbers on
# a quiet machine with cores to spare.
#   tests/perf/gateways.sh
#   REPS=1 SECONDS_PER_RUN=3 tests/perf/gateways.sh          # a quick check that it works
#   VIA=nginx CASES="put:4KiB:32 get:4KiB:32" tests/perf/gateways.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
reps=${REPS:-3}
seconds=${SECONDS_PER_RUN:-6}
cases=${CASES:-"put:4KiB:32 get:4KiB:32"}
via=${VIA:-split}
objstore="$root/src/ObjStore/bin/Release/net10.0/objstore.dll"
[ -f "$objstore" ] || dotnet build "$root/src/ObjStore" -c Release -nologo -v q >/dev/null
work=$(mktemp -d)
chmod 755 "$work" # PostgreSQL runs as its own user (as root, postgres) and must reach $work/cluster/postgres
cleanup() {
  [ -f "$work/cluster/cluster.env" ] && "$root/deploy/local-cluster.sh" stop "$work/cluster" >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
source "$(dirname "$0")/common.bash" # median, objects_for

bench() { # endpoint op size clients seconds json-out bucket
  dotnet "$objstore" bench s3 --endpoint "$1" --access-key "$OBJSTORE_ACCESS_KEY" --secret-key "$OBJSTORE_SECRET_KEY" \
    --bucket "$7" --op "$2" --size "$3" --concurrency "$4" --duration "${5}s" --objects "$(objects_for "$3" "$4")" \
    --keep --json "$6" 2>>"$work/bench.err" >/dev/null || { echo "bench failed against $1 ($2 $3 c=$4):" >&2; tail -5 "$work/bench.err" >&2; }
}
ops_of() { [ -f "$1" ] && python3 -c "import json; print(json.load(open('$1'))['operations'][0]['ops_per_second'])" || echo 0; }

measure() { # op size clients seconds -> ops/s through the running cluster (all its gateways, as VIA says)
  local op=$1 size=$2 c=$3 s=$4 endpoints=() total=0 i ops
  rm -f "$work"/run-*.json
  if [ -n "${OBJSTORE_LB_ENDPOINT:-}" ]; then endpoints=("$OBJSTORE_LB_ENDPOINT"); else read -r -a endpoints <<<"$OBJSTORE_ENDPOINTS"; fi
  local n=${#endpoints[@]} pids=()
  for i in "${!endpoints[@]}"; do
    # A bucket per bench process: each prepares (and reads) its own objects.
    bench "${endpoints[$i]}" "$op" "$size" $((c / n)) "$s" "$work/run-$i.json" "perf-$i" &
    pids+=($!)
  done
  wait "${pids[@]}"
  for i in "${!endpoints[@]}"; do ops=$(ops_of "$work/run-$i.json"); total=$(python3 -c "print($total + $ops)"); done
  echo "$total"
}

declare -A result
for setup in sqlite postgres two; do
  case $setup in
    sqlite) flags=() ;;
    postgres) flags=(--postgres) ;;
    two) flags=(--postgres --gateways 2); [ "$via" = nginx ] && flags+=(--nginx) ;;
  esac
  "$root/deploy/local-cluster.sh" start "$work/cluster" --nodes 6 --ec 4+2 "${flags[@]}" >/dev/null || exit 1
  unset OBJSTORE_LB_ENDPOINT
  source "$work/cluster/cluster.env"
  for case in $cases; do
    IFS=: read -r op size c <<<"$case"
    measure "$op" "$size" "$c" 2 >/dev/null # fresh processes spend their first seconds in the JIT
    : >"$work/ops"
    for _ in $(seq "$reps"); do measure "$op" "$size" "$c" "$seconds" >>"$work/ops"; done
    result[$setup:$case]=$(median <"$work/ops")
  done
  "$root/deploy/local-cluster.sh" stop "$work/cluster" >/dev/null
  rm -rf "$work/cluster"
done

two_label="2 gateways, PostgreSQL"; [ "$via" = nginx ] && two_label="$two_label (nginx)"
echo "| op | size | clients | 1 gateway, SQLite ops/s | 1 gateway, PostgreSQL ops/s | $two_label ops/s | PostgreSQL / SQLite | 2 gateways / 1 |"
echo "|---|---|---|---:|---:|---:|---:|---:|"
for case in $cases; do
  IFS=: read -r op size c <<<"$case"
  sqlite=${result[sqlite:$case]}; pg=${result[postgres:$case]}; two=${result[two:$case]}
  python3 -c "
r = lambda a, b: f'{a / b:.2f}' if b > 0 else '-'
print(f'| $op | $size | $c | {$sqlite:.1f} | {$pg:.1f} | {$two:.1f} | {r($pg, $sqlite)} | {r($two, $pg)} |')"
done
echo
echo "medians of $reps runs of ${seconds}s each, clusters started in turn; two gateways: clients $([ "$via" = nginx ] && echo "through nginx" || echo "split across both"); $(nproc) cores; $(date -u +%Y-%m-%d)"
