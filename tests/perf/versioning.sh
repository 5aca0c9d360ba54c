#!/usr/bin/env bash
# Issue 15's budget: PUT and GET in a bucket with versioning enabled within 10% of an unversioned bucket, on the same
# `objstore dev`, driven by `objstore bench s3`, alternating the two buckets REPS times per case (medians, ratio).
# Both buckets keep what the runs write (--keep), so they hold the same number of objects and shard files and
# differ only in versioning (without it, the unversioned bucket would be emptied between runs and the versioned one
# would keep every version and gain a delete marker per key).
#   tests/perf/versioning.sh
#   REPS=5 SECONDS_PER_RUN=8 CASES="put:4KiB:8" tests/perf/versioning.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
reps=${REPS:-3}
seconds=${SECONDS_PER_RUN:-4}
cases=${CASES:-"put:4KiB:1 get:4KiB:1 put:4KiB:16 get:4KiB:16 put:1MiB:4 get:1MiB:4"}
objstore="$root/src/ObjStore/bin/Release/net10.0/objstore.dll"
[ -f "$objstore" ] || dotnet build "$root/src/ObjStore" -c Release -nologo -v q >/dev/null
work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

port=$(free_port)
dotnet "$objstore" dev --listen "http://127.0.0.1:$port" --data "$work/dev" --access-key perf --secret-key perf-secret-key >"$work/dev.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do curl -fs "http://127.0.0.1:$port/_objstore/health/ready" >/dev/null && break; sleep 0.1; done

target_args() {
  args=(--endpoint "http://127.0.0.1:$port" --access-key perf --secret-key perf-secret-key --keep)
  case $1 in
    unversioned) bucket=perf-unversioned ;;
    versioned) bucket=perf-versioned; args+=(--versioning) ;;
  esac
}
source "$(dirname "$0")/common.bash"
compare unversioned versioned "unversioned" "versioned"
