#!/usr/bin/env bash
# Start-up time of the single-file binary against the framework-dependent build: `objstore --version`, and `objstore
# dev` from launch to the first 200 of /_objstore/health/live (a fresh data folder each run), RUNS times each, median.
# Publishes dist/objstore first unless it exists (about a minute; not part of CI for that reason).
#   tests/perf/single-file.sh
#   RUNS=9 tests/perf/single-file.sh
#   R2R=/tmp/r2r/objstore tests/perf/single-file.sh    # also a build published with -p:PublishReadyToRun=true
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${RUNS:-5}
single=${SINGLE:-$root/dist/objstore}
dll="$root/src/ObjStore/bin/Release/net10.0/objstore.dll"
if [ ! -x "$single" ]; then
    echo "publishing $single ..." >&2
    dotnet publish "$root/src/ObjStore" -c Release -r linux-x64 -p:PublishSingleFile=true -o "$root/dist" -nologo -v q >&2 || exit 1
fi
[ -f "$dll" ] || dotnet build "$root/src/ObjStore" -c Release -nologo -v q >/dev/null
work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Milliseconds of one `--version`.
version_ms() {
    local start end
    start=$(now); "$@" --version >/dev/null; end=$(now)
    echo $(((end - start) / 1000000))
}

# Milliseconds from launching `dev` to the first 200 of the liveness probe.
live_ms() {
    local port start end data
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    data="$work/data-$RANDOM"
    start=$(now)
    "$@" dev --listen "http://127.0.0.1:$port" --data "$data" >"$work/server.log" 2>&1 &
    server=$!
    until curl -fs "http://127.0.0.1:$port/_objstore/health/live" >/dev/null 2>&1; do
        kill -0 "$server" 2>/dev/null || { echo "the server died: $(cat "$work/server.log")" >&2; return 1; }
        sleep 0.005
    done
    end=$(now)
    kill "$server"; wait "$server" 2>/dev/null; server=
    rm -rf "$data"
    echo $(((end - start) / 1000000))
}

# Each run measures every variant in turn, so a load that comes and goes (two cores shared) hits them alike.
names=("single file ($(basename "$(dirname "$single")")/objstore)" "dotnet objstore.dll")
commands=("$single" "dotnet $dll")
if [ -n "${R2R:-}" ]; then names+=("single file, ReadyToRun"); commands+=("$R2R"); "$R2R" --version >/dev/null; fi
"$single" --version >/dev/null # the first run of a single file extracts its native library once
declare -A version live
for _ in $(seq "$runs"); do
    for i in "${!commands[@]}"; do
        read -ra command <<<"${commands[$i]}"
        version[$i]+="$(version_ms "${command[@]}") "
        live[$i]+="$(live_ms "${command[@]}") "
    done
done
printf 'median of %d runs each (load average %s); single file %s MiB\n' "$runs" "$(cut -d' ' -f1 /proc/loadavg)" "$(($(stat -c %s "$single") / 1048576))"
for i in "${!commands[@]}"; do
    printf '%-34s --version %5d ms   dev to first 200 %5d ms\n' "${names[$i]}" \
        "$(tr ' ' '\n' <<<"${version[$i]}" | grep . | median)" "$(tr ' ' '\n' <<<"${live[$i]}" | grep . | median)"
done
