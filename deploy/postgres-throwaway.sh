#!/usr/bin/env bash
# A throwaway PostgreSQL for tests and local clusters: Debian's `postgresql` package, initdb in a folder of its own,
# listening on 127.0.0.1 only (a free port) with its socket in that folder, no fsync (its data is never kept).
#
#   deploy/postgres-throwaway.sh start DIR   initdb + start; prints the admin connection string (also in DIR/url)
#   deploy/postgres-throwaway.sh stop DIR    stops that server (by its postmaster.pid) and removes DIR
#   deploy/postgres-throwaway.sh pause DIR   stops that server, keeping DIR (a restart or an outage, for drills)
#   deploy/postgres-throwaway.sh resume DIR  starts a paused server again, on its port
#
# PostgreSQL refuses to run as root: as root it runs as the `postgres` user the package creates (DIR is given to it).
# PG_BIN overrides where initdb and pg_ctl are found (default: the newest /usr/lib/postgresql/*/bin, else PATH).
set -euo pipefail

die() { echo "postgres-throwaway: $*" >&2; exit 1; }

find_bin() {
  if [ -n "${PG_BIN:-}" ]; then
    [ -x "$PG_BIN/initdb" ] || die "PG_BIN=$PG_BIN has no initdb"
    echo "$PG_BIN"; return
  fi
  local newest
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -n "$newest" ] && [ -x "$newest/initdb" ]; then echo "$newest"; return; fi
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then dirname "$(command -v initdb)"; return; fi
  die "no PostgreSQL server binaries (initdb, pg_ctl): install Debian's postgresql package (apt-get install postgresql) or set PG_BIN"
}

# As root, run as the package's postgres user; otherwise as ourselves.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the postgres user (created by Debian's postgresql package)"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

server_options() { # dir port
  echo "-c listen_addresses=127.0.0.1 -p $2 -c unix_socket_directories=$1/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  local dir=$1 bin; bin=$(find_bin)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ -e "$dir/data" ] && die "$dir/data exists: stop that server first"
  mkdir -p "$dir/sock"
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres: "$dir"
    runuser -u postgres -- test -w "$dir" || die "the postgres user cannot reach $dir (a folder above it is private): use a folder such as \$(mktemp -d)"
  fi
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  local attempt port
  for attempt in 1 2 3 4 5 6 7 8; do
    port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    port_free "$port" || continue
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "$(server_options "$dir" "$port")" start >/dev/null; then
      echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres" | tee "$dir/url"
      return 0
    fi
  done
  tail -20 "$dir/server.log" >&2 || true
  die "the server did not start"
}

stop() {
  local dir=$1
  [ -d "$dir" ] || return 0
  if [ -f "$dir/data/postmaster.pid" ]; then
    local bin; bin=$(find_bin)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || true
  fi
  rm -rf "$dir"
}

pause() {
  local dir=$1 bin; bin=$(find_bin)
  [ -f "$dir/data/postmaster.pid" ] || die "no server running in $dir"
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
}

resume() {
  local dir=$1 bin port; bin=$(find_bin)
  [ -f "$dir/url" ] || die "no server in $dir"
  [ -f "$dir/data/postmaster.pid" ] && return 0
  port=$(sed -n 's/.*Port=\([0-9]*\).*/\1/p' "$dir/url")
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$(server_options "$dir" "$port")" start >/dev/null
}

case "${1:-}" in
  start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  pause) [ $# -eq 2 ] || die "usage: $0 pause DIR"; pause "$(cd "$2" && pwd)" ;;
  resume) [ $# -eq 2 ] || die "usage: $0 resume DIR"; resume "$(cd "$2" && pwd)" ;;
  *) die "usage: $0 start|stop|pause|resume DIR" ;;
esac
