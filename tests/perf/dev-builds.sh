#!/usr/bin/env bash
# Two builds of `objstore dev` against each other: git revisions BEFORE and AFTER (default: HEAD~1 and the working
# tree) are built into temporary worktrees, started detached on free loopback ports, and driven alternately by the
# bench; medians of REPS runs and the ratio AFTER / BEFORE. For "no loss of speed" claims of a change.
#   tests/perf/dev-builds.sh b5bf1b4
#   REPS=5 SECONDS_PER_RUN=4 CASES="put:256MiB:1 put:1MiB:8" tests/perf/dev-builds.sh b5bf1b4 HEAD
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
before=${1:-HEAD~1}
after=${2:-}
reps=${REPS:-3}
seconds=${SECONDS_PER_RUN:-5}
cases=${CASES:-"put:256MiB:1 get:256MiB:1 put:1MiB:8 get:1MiB:8 put:4KiB:32 get:4KiB:32"}
work=$(mktemp -d)
declare -A pids ports dirs
cleanup() {
  for name in before after; do
    [ -n "${pids[$name]:-}" ] && { kill "${pids[$name]}" 2>/dev/null; wait "${pids[$name]}" 2>/dev/null; }
    [ -n "${dirs[$name]:-}" ] && [ "${dirs[$name]}" != "$root" ] && git -C "$root" worktree remove --force "${dirs[$name]}" >/dev/null 2>&1
  done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

build() { # name revision ("" = the working tree)
  local name=$1 rev=$2 dir=$root
  if [ -n "$rev" ]; then
    dir="$work/src-$name"
    git -C "$root" worktree add --detach "$dir" "$rev" >/dev/null 2>&1 || { echo "cannot check out $rev" >&2; exit 1; }
  fi
  dirs[$name]=$dir
  dotnet build "$dir/src/ObjStore" -c Release -nologo -v q >/dev/null || { echo "build of ${rev:-the working tree} failed" >&2; exit 1; }
  ports[$name]=$(free_port)
  # Detached, as in cluster-vs-dev.sh: a server in the bench's session shares its scheduling group.
  setsid dotnet "$dir/src/ObjStore/bin/Release/net10.0/objstore.dll" dev --listen "http://127.0.0.1:${ports[$name]}" \
    --data "$work/data-$name" --access-key perf --secret-key perf-secret-key >"$work/$name.log" 2>&1 &
  pids[$name]=$!
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:${ports[$name]}/_objstore/health/ready" >/dev/null && return; sleep 0.1; done
  echo "$name did not become ready" >&2; exit 1
}
build before "$before"
build after "$after"
objstore="${dirs[after]}/src/ObjStore/bin/Release/net10.0/objstore.dll"

target_args() { args=(--endpoint "http://127.0.0.1:${ports[$1]}" --access-key perf --secret-key perf-secret-key); }
source "$(dirname "$0")/common.bash"
compare before after "$before" "${after:-working tree}"
