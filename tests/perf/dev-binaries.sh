#!/usr/bin/env bash
# Two builds of `objstore dev` against each other, one server at a time: each run starts a fresh server of one build,
# detached, on a free loopback port with a new data folder, warms it up, measures, stops it by its PID and deletes the
# folder; runs alternate between the builds, REPS per case. Only one server runs at a time because two on one disk
# disturb each other's syncs (syncfs syncs the whole filesystem), which is what makes dev-builds.sh's small-PUT
# ratios noisy. BEFORE and AFTER are build output folders (holding objstore.dll), e.g. a copy of the base commit's.
#   tests/perf/dev-binaries.sh /tmp/base-bin src/ObjStore/bin/Release/net10.0
#   REPS=3 SECONDS_PER_RUN=20 CASES="put:4KiB:32 put:4KiB:1" tests/perf/dev-binaries.sh /tmp/base-bin src/ObjStore/bin/Release/net10.0
set -uo pipefail
before=$(cd "$1" && pwd)
after=$(cd "$2" && pwd)
reps=${REPS:-3}
seconds=${SECONDS_PER_RUN:-20}
warmup=${WARMUP_SECONDS:-3}
cases=${CASES:-"put:4KiB:32 put:4KiB:1"}
objstore="$after/objstore.dll" # the bench client: the same for both
work=$(mktemp -d)
pid=
stop() { [ -n "$pid" ] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }; pid=; rm -rf "$work/data"; }
trap 'stop; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() { # build folder
  port=$(free_port)
  setsid dotnet "$1/objstore.dll" dev --listen "http://127.0.0.1:$port" --data "$work/data" \
    --access-key perf --secret-key perf-secret-key >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/_objstore/health/ready" >/dev/null && return; sleep 0.1; done
  echo "the server of $1 did not become ready" >&2; cat "$work/server.log" >&2; exit 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; } # the server's user + system time

bench() { # op size concurrency seconds -> "ops/s server-CPU-µs/op"
  local out="$work/run.json" t0
  t0=$(cpu_ticks)
  rm -f "$out"
  dotnet "$objstore" bench s3 --endpoint "http://127.0.0.1:$port" --access-key perf --secret-key perf-secret-key \
    --bucket perf --op "$1" --size "$2" --concurrency "$3" --duration "${4}s" --objects 200 --keep --json "$out" >/dev/null 2>"$work/bench.err" \
    || { echo "bench failed ($1 $2 c=$3):" >&2; cat "$work/bench.err" >&2; }
  [ -f "$out" ] || { echo "0 0"; return; }
  python3 -c "import json; o=json.load(open('$out'))['operations'][0]; print(o['ops_per_second'], ($(cpu_ticks) - $t0) / $(getconf CLK_TCK) * 1e6 / max(1, o['ops']))"
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }

echo "| op | size | clients | before ops/s (runs) | after ops/s (runs) | after / before | server CPU µs/op before / after |"
echo "|---|---|---|---:|---:|---:|---:|"
for case in $cases; do
  IFS=: read -r op size c <<<"$case"
  : >"$work/before"; : >"$work/after"; : >"$work/before.cpu"; : >"$work/after.cpu"
  for _ in $(seq "$reps"); do
    for build in before after; do
      start "${!build}"
      bench "$op" "$size" "$c" "$warmup" >/dev/null
      read -r ops cpu < <(bench "$op" "$size" "$c" "$seconds")
      echo "$ops" >>"$work/$build"; echo "$cpu" >>"$work/$build.cpu"
      stop
    done
  done
  b=$(median <"$work/before"); a=$(median <"$work/after")
  printf '| %s | %s | %s | %.1f (%s) | %.1f (%s) | %s | %.0f / %.0f |\n' "$op" "$size" "$c" "$b" "$(xargs printf '%.0f ' <"$work/before" | sed 's/ $//')" \
    "$a" "$(xargs printf '%.0f ' <"$work/after" | sed 's/ $//')" "$(python3 -c "print(f'{$a / $b:.2f}' if $b > 0 else '-')")" \
    "$(median <"$work/before.cpu")" "$(median <"$work/after.cpu")"
done
echo
echo "medians of $reps alternating runs of ${seconds}s each (after ${warmup}s of warm-up), one server at a time; $(nproc) cores; $(date -u +%Y-%m-%d)"
