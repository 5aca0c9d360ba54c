#!/usr/bin/env bash
# Encryption and compression against plain storage, in one `objstore dev`: SSE-S3 (AES-256-GCM packages) against
# plain objects of random bytes, and zstd level 1 against plain objects of log-like text (the bench's --content
# text), alternating, with the compression ratio the text got. Four buckets of one server, so the only difference is
# the transform.
#   tests/perf/encryption.sh
#   REPS=5 CASES="put:256MiB:1 get:256MiB:1 put:1MiB:8 get:1MiB:8" tests/perf/encryption.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
reps=${REPS:-3}
seconds=${SECONDS_PER_RUN:-6}
cases=${CASES:-"put:256MiB:1 get:256MiB:1 put:1MiB:8 get:1MiB:8"}
objstore="$root/src/ObjStore/bin/Release/net10.0/objstore.dll"
[ -f "$objstore" ] || dotnet build "$root/src/ObjStore" -c Release -nologo -v q >/dev/null
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed for the compression ratio: apt-get install sqlite3"; exit 2; }
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
credentials=(--access-key perf --secret-key perf-secret-key)
# Detached (setsid): a server in the bench's session shares its scheduling group.
setsid dotnet "$objstore" dev --listen "$endpoint" --data "$work/data" "${credentials[@]}" >"$work/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 300); do curl -fs "$endpoint/_objstore/health/ready" >/dev/null && break; sleep 0.1; done

# The compressed bucket exists (one small object makes it) before its compression is set.
dotnet "$objstore" bench s3 --endpoint "$endpoint" "${credentials[@]}" --bucket perf-zstd --op put --size 1KiB --objects 1 --keep >/dev/null 2>&1
dotnet "$objstore" admin compression set perf-zstd --level 1 --endpoint "$endpoint" "${credentials[@]}" >/dev/null

target_args() {
  args=(--endpoint "$endpoint" "${credentials[@]}")
  case $1 in
    plain) bucket=perf-plain ;;
    sse-s3) bucket=perf-sse; args+=(--sse AES256) ;;
    text) bucket=perf-text; args+=(--content text) ;;
    zstd) bucket=perf-zstd; args+=(--content text) ;;
  esac
}
server_pids() { echo "$server"; }
source "$(dirname "$0")/common.bash"

echo "SSE-S3 against plain (random bytes):"
compare plain sse-s3 plain SSE-S3
echo
echo "zstd level 1 against plain (log-like text):"
compare text zstd "plain text" zstd
sqlite3 "$work/data/catalogue.db" "SELECT printf('compression ratio of the text: %.2f (%d MiB stored as %d MiB)', 1.0 * SUM(size) / SUM(COALESCE(stored_size, size)), SUM(size) / 1048576, SUM(COALESCE(stored_size, size)) / 1048576) FROM objects WHERE bucket = 'perf-zstd' AND size > 1024"
