# Sourced by the perf scripts that measure one `objstore dev` against itself (versioning.sh, access.sh): builds the
# binary if needed, starts the server on a free loopback port with its own folder (sets objstore, work, endpoint),
# and stops it by its PID and removes the folder on exit. The credentials are perf / perf-secret-key.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
objstore="$root/src/ObjStore/bin/Release/net10.0/objstore.dll"
[ -f "$objstore" ] || dotnet build "$root/src/ObjStore" -c Release -nologo -v q >/dev/null
work=$(mktemp -d)
dev_pid=
cleanup() { [ -n "$dev_pid" ] && { kill "$dev_pid" 2>/dev/null; wait "$dev_pid" 2>/dev/null; }; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
dotnet "$objstore" dev --listen "$endpoint" --data "$work/dev" --access-key perf --secret-key perf-secret-key >"$work/dev.log" 2>&1 &
dev_pid=$!
for _ in $(seq 300); do curl -fs "$endpoint/_objstore/health/ready" >/dev/null && break; sleep 0.1; done
