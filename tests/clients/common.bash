# Sourced by the client scenarios. Starts a fresh `objstore dev` on a free loopback port with its own data folder
# (ENDPOINT, ACCESS_KEY, SECRET_KEY, SERVER_PID, WORK are set), offers check() and finish() (which prints the
# "N passed, N failed" line CI adds up), and on exit stops the server by its PID and removes the folder.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d)
ACCESS_KEY=client-test
SECRET_KEY=client-test-secret-key
passed=0
failed=0

# `producer | has PATTERN`: whether the producer printed a matching line. Unlike `grep -q`, it reads all the input:
# grep -q exits at the first match, the producer then dies of SIGPIPE, and pipefail turns a match into a failure
# (or, under `!`, an absence check into a pass).
has() { grep "$@" >/dev/null; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_server() {
  local port; port=$(free_port)
  ENDPOINT="http://127.0.0.1:$port"
  dotnet "$root/src/ObjStore/bin/Release/net10.0/objstore.dll" dev --listen "$ENDPOINT" --data "$WORK/data" \
    --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" "$@" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 300); do curl -fs "$ENDPOINT/_objstore/health/ready" >/dev/null && return 0; sleep 0.1; done
  echo "server did not become ready"; cat "$WORK/server.log"; return 1
}

stop_server() {
  [ -n "${SERVER_PID:-}" ] || return 0
  kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
}

cleanup() { stop_server; rm -rf "$WORK"; }
trap cleanup EXIT

# check NAME COMMAND...: runs the command, counts it, shows the end of its output when it fails.
check() {
  local name=$1; shift
  if "$@" >"$WORK/step.log" 2>&1; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); echo "FAIL $name"; tail -8 "$WORK/step.log" | sed 's/^/     /'
  fi
}

# random_file PATH BYTES
random_file() { head -c "$2" /dev/urandom >"$1"; }

finish() {
  if [ "$failed" -gt 0 ] && [ -f "$WORK/server.log" ]; then
    echo "--- server log (last lines)"; grep -v '^\s*$' "$WORK/server.log" | tail -20
  fi
  echo "$passed passed, $failed failed"
}
