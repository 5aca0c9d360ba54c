#!/usr/bin/env bash
# A loopback cluster for development and failure drills: N storage nodes and one or more gateways on free ports.
#   deploy/local-cluster.sh start DIR [--nodes 6] [--ec 4+2] [--base-port P] [--postgres] [--gateways G] [--nginx]
#                                                               start, wait until ready, write DIR/cluster.env; ports are
#                                                               free ones, or with --base-port the gateway on P, node I
#                                                               on P+2I-1 (its read port P+2I), gateway J>1 on P+2N+J-1;
#                                                               --postgres: the catalogue in a throwaway PostgreSQL
#                                                               (DIR/postgres, a free port); --gateways G: G gateways
#                                                               over the same nodes and database (needs --postgres);
#                                                               --nginx: nginx in front of them (deploy/nginx-gateways.conf)
#   deploy/local-cluster.sh stop DIR                            stop nginx, the gateways and every node (by PID)
#   deploy/local-cluster.sh node-stop DIR I                     kill node I (1-based) with SIGKILL, as a crash would
#   deploy/local-cluster.sh node-start DIR I                    start node I again, same port and data
#   deploy/local-cluster.sh gateway-stop DIR J                  kill gateway J (1-based) with SIGKILL
#   deploy/local-cluster.sh gateway-start DIR J                 start gateway J again, same port and settings
#   deploy/local-cluster.sh postgres-stop DIR                   stop the throwaway PostgreSQL, keeping its data
#   deploy/local-cluster.sh postgres-start DIR                  start it again, on its port
# Node I keeps its shards in DIR/node-I; gateway 1's settings are DIR/cluster.json and its data folder DIR/gateway
# (catalogue.db there, without --postgres), gateway J>1's DIR/cluster-J.json and DIR/gateway-J. With --postgres the
# catalogue is a database of deploy/postgres-throwaway.sh (stopped and removed by stop), and every gateway has the
# same cluster secret, root keys and master key (which seals the secrets and data keys in the shared catalogue).
# `source DIR/cluster.env` exports what aws-cli and the SDKs read (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
# AWS_DEFAULT_REGION, AWS_ENDPOINT_URL: gateway 1) and what `objstore admin` reads (OBJSTORE_ENDPOINT: gateway 1,
# OBJSTORE_ACCESS_KEY, OBJSTORE_SECRET_KEY), OBJSTORE_ENDPOINTS (every gateway, space-separated, in order) and with
# --nginx OBJSTORE_LB_ENDPOINT; then GATEWAY_PID (gateway 1), GATEWAY_PIDS, NGINX_PID and NODE_PIDS (node order).
# Nodes take their scrub jobs from gateway 1. OBJSTORE_NODE_ARGS, if set, is added to every node's command line
# (e.g. "--scrub-ops 2", as the console's cluster test does to cancel a scrub midway); ObjStore__* variables that
# cluster.json does not set (e.g. ObjStore__Maintenance__JobLease=00:00:03) reach every gateway.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
objstore="$root/src/ObjStore/bin/Release/net10.0/objstore.dll"
# Seven .NET processes share this machine's cores: thread-pool workers that spin before sleeping steal them from each
# other (measured: 4 KiB PUTs at 32 clients went from 296 to 427 ops/s without the spin).
export DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0

usage() { sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
load() { [ -f "$1/cluster.env" ] || { echo "no cluster in $1"; exit 1; }; set -a; source "$1/cluster.env"; set +a; }
save_env() {
  local dir=$1
  # Exported, so a plain `source` hands them to aws-cli (which reads AWS_ENDPOINT_URL from 2.13 and 1.29 on).
  cat >"$dir/cluster.env" <<ENV
export OBJSTORE_ENDPOINT=$OBJSTORE_ENDPOINT
export OBJSTORE_ENDPOINTS="$OBJSTORE_ENDPOINTS"
export OBJSTORE_ACCESS_KEY=$OBJSTORE_ACCESS_KEY
export OBJSTORE_SECRET_KEY=$OBJSTORE_SECRET_KEY
export AWS_ENDPOINT_URL=$OBJSTORE_ENDPOINT
export AWS_ACCESS_KEY_ID=$OBJSTORE_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$OBJSTORE_SECRET_KEY
export AWS_DEFAULT_REGION=us-east-1
GATEWAY_PID=${GATEWAY_PIDS%% *}
GATEWAY_PIDS="$GATEWAY_PIDS"
NGINX_PID=${NGINX_PID:-}
NODE_PIDS="$NODE_PIDS"
NODE_PORTS="$NODE_PORTS"
NODE_READ_PORTS="$NODE_READ_PORTS"
CLUSTER_SECRET=$CLUSTER_SECRET
ENV
  # No empty line when there is no nginx: the tests read this file line by line as KEY=VALUE.
  if [ -n "${OBJSTORE_LB_ENDPOINT:-}" ]; then echo "export OBJSTORE_LB_ENDPOINT=$OBJSTORE_LB_ENDPOINT" >>"$dir/cluster.env"; fi
}
start_node() { # dir index port read-port secret gateway -> pid
  local dir=$1 i=$2 port=$3 read_port=$4 secret=$5 gateway=$6
  mkdir -p "$dir/node-$i"
  setsid nohup dotnet "$objstore" node --data "$dir/node-$i" --listen "http://127.0.0.1:$port" --read-port "$read_port" \
    --node-id "node-$i" --cluster-secret "$secret" --gateway "$gateway" ${OBJSTORE_NODE_ARGS:-} >>"$dir/node-$i.log" 2>&1 </dev/null &
  echo $!
}
gateway_config() { [ "$2" -eq 1 ] && echo "$1/cluster.json" || echo "$1/cluster-$2.json"; } # dir index
gateway_log() { [ "$2" -eq 1 ] && echo "$1/gateway.log" || echo "$1/gateway-$2.log"; }
start_gateway() { # dir index -> pid
  setsid nohup dotnet "$objstore" gateway --config "$(gateway_config "$1" "$2")" >>"$(gateway_log "$1" "$2")" 2>&1 </dev/null &
  echo $!
}
wait_ready() { # url
  for _ in $(seq 600); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "not ready: $1"; return 1
}
stop_started() { for pid in $NODE_PIDS; do kill "$pid" 2>/dev/null || true; done; } # a start that failed midway
wait_gone() { while kill -0 "$1" 2>/dev/null; do sleep 0.05; done; }
start_nginx() { # dir port: deploy/nginx-gateways.conf with this cluster's gateways as its upstream
  local dir=$1 port=$2 servers="" url
  mkdir -p "$dir/nginx/tmp"
  for url in $OBJSTORE_ENDPOINTS; do servers="$servers    server ${url#http://} max_fails=2 fail_timeout=5s;\n"; done
  sed -E -e "/^[[:space:]]*server [0-9.]+:[0-9]+ /d" -e "s|^(upstream objstore_gateways \{)|\1\n$servers|" \
    -e "s|listen 80;|listen 127.0.0.1:$port;|" -e "/server_name /d" "$root/deploy/nginx-gateways.conf" >"$dir/nginx/objstore.conf"
  cat >"$dir/nginx/nginx.conf" <<CONF
daemon off;
worker_processes auto;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/nginx/tmp/body;
  proxy_temp_path $dir/nginx/tmp/proxy;
  include $dir/nginx/objstore.conf;
}
CONF
  command -v nginx >/dev/null || { echo "--nginx needs nginx (apt-get install nginx)"; exit 2; }
  setsid nohup nginx -p "$dir/nginx" -e "$dir/nginx/error.log" -c "$dir/nginx/nginx.conf" >>"$dir/nginx.log" 2>&1 </dev/null &
  NGINX_PID=$!
}

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || usage
case $cmd in
  start)
    shift 2
    nodes=6; ec=4+2; base_port=""; postgres=""; gateways=1; nginx=""
    while [ $# -gt 0 ]; do
      case $1 in
        --nodes) nodes=$2; shift 2 ;;
        --ec) ec=$2; shift 2 ;;
        --base-port) base_port=$2; shift 2 ;;
        --postgres) postgres=1; shift ;;
        --gateways) gateways=$2; shift 2 ;;
        --nginx) nginx=1; shift ;;
        *) usage ;;
      esac
    done
    [[ $gateways =~ ^[1-9][0-9]*$ ]] || { echo "--gateways must be a number from 1"; exit 2; }
    if [ "$gateways" -gt 1 ] && [ -z "$postgres" ]; then
      echo "--gateways $gateways needs --postgres: gateways share one catalogue, and a SQLite catalogue belongs to one gateway"
      exit 2
    fi
    [ -f "$objstore" ] || dotnet build "$root/src/ObjStore" -c Release -nologo -v q >/dev/null
    mkdir -p "$dir/gateway"
    dir=$(cd "$dir" && pwd)
    CLUSTER_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
    OBJSTORE_ACCESS_KEY=cluster
    OBJSTORE_SECRET_KEY=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    if [ -n "$base_port" ]; then
      [[ $base_port =~ ^[0-9]+$ ]] && [ "$base_port" -ge 1024 ] && [ $((base_port + 2 * nodes + gateways)) -le 65535 ] \
        || { echo "--base-port must be a number from 1024 leaving room for $((2 * nodes + gateways + ${nginx:-0})) ports"; exit 2; }
    fi
    gateway_port() { # index
      if [ -z "$base_port" ]; then free_port; elif [ "$1" -eq 1 ]; then echo "$base_port"; else echo $((base_port + 2 * nodes + $1 - 1)); fi
    }
    OBJSTORE_ENDPOINTS=""
    for j in $(seq "$gateways"); do OBJSTORE_ENDPOINTS="${OBJSTORE_ENDPOINTS:+$OBJSTORE_ENDPOINTS }http://127.0.0.1:$(gateway_port "$j")"; done
    OBJSTORE_ENDPOINT=${OBJSTORE_ENDPOINTS%% *}
    NODE_PIDS=""; NODE_PORTS=""; NODE_READ_PORTS=""; entries=""
    for i in $(seq "$nodes"); do
      if [ -n "$base_port" ]; then port=$((base_port + 2 * i - 1)); read_port=$((base_port + 2 * i)); else port=$(free_port); read_port=$(free_port); fi
      pid=$(start_node "$dir" "$i" "$port" "$read_port" "$CLUSTER_SECRET" "$OBJSTORE_ENDPOINT")
      NODE_PIDS="${NODE_PIDS:+$NODE_PIDS }$pid"; NODE_PORTS="${NODE_PORTS:+$NODE_PORTS }$port"
      NODE_READ_PORTS="${NODE_READ_PORTS:+$NODE_READ_PORTS }$read_port"
      entries="$entries${entries:+,}
    { \"Id\": \"node-$i\", \"Url\": \"http://127.0.0.1:$port\", \"Domain\": \"host-$i\", \"Weight\": 1 }"
    done
    shared=""
    if [ -n "$postgres" ]; then
      # As root PostgreSQL runs as the postgres user, who must pass through DIR (often a private mktemp -d) to DIR/postgres.
      if [ "$(id -u)" -eq 0 ]; then chmod o+x "$dir"; fi
      # One database and one master key for every gateway: the catalogue's secrets and data keys are sealed under it.
      pg_url=$("$root/deploy/postgres-throwaway.sh" start "$dir/postgres") || { stop_started; exit 1; }
      shared="\"Catalogue\": \"$pg_url\",
  \"MasterKey\": \"$(head -c 32 /dev/urandom | base64)\","
    fi
    j=0
    for url in $OBJSTORE_ENDPOINTS; do
      j=$((j + 1))
      data="$dir/gateway"; [ "$j" -eq 1 ] || data="$dir/gateway-$j"
      mkdir -p "$data"
      catalogue=${shared:-"\"MetadataPath\": \"$dir/gateway/catalogue.db\","}
      cat >"$(gateway_config "$dir" "$j")" <<JSON
{
  "Listen": "$url",
  "DataDir": "$data",
  $catalogue
  "Erasure": "$ec",
  "ClusterSecret": "$CLUSTER_SECRET",
  "AccessKey": "$OBJSTORE_ACCESS_KEY",
  "SecretKey": "$OBJSTORE_SECRET_KEY",
  "NodeRequestTimeout": "00:00:03",
  "NodeProbeInterval": "00:00:01",
  "Nodes": [$entries
  ]
}
JSON
    done
    for port in $NODE_PORTS; do wait_ready "http://127.0.0.1:$port/_objstore/health/live"; done
    # Gateway 1 first: it migrates an empty database; the others find it migrated (the migration lock makes a race
    # safe too, but one at a time keeps their logs apart).
    GATEWAY_PIDS=""; NGINX_PID=""; OBJSTORE_LB_ENDPOINT=""
    j=0
    for url in $OBJSTORE_ENDPOINTS; do
      j=$((j + 1))
      GATEWAY_PIDS="${GATEWAY_PIDS:+$GATEWAY_PIDS }$(start_gateway "$dir" "$j")"
      save_env "$dir"
      wait_ready "$url/_objstore/health/ready"
    done
    if [ -n "$nginx" ]; then
      if [ -n "$base_port" ]; then lb_port=$((base_port + 2 * nodes + gateways)); else lb_port=$(free_port); fi
      OBJSTORE_LB_ENDPOINT="http://127.0.0.1:$lb_port"
      start_nginx "$dir" "$lb_port"
      save_env "$dir"
      wait_ready "$OBJSTORE_LB_ENDPOINT/_objstore/health/ready"
    fi
    echo "cluster ready: $OBJSTORE_ENDPOINTS${OBJSTORE_LB_ENDPOINT:+ behind $OBJSTORE_LB_ENDPOINT} ($nodes nodes, $ec${postgres:+, PostgreSQL}); settings in $dir/cluster.env"
    ;;
  stop)
    load "$dir"
    for pid in ${NGINX_PID:-} $GATEWAY_PIDS $NODE_PIDS; do kill "$pid" 2>/dev/null || true; done
    for pid in ${NGINX_PID:-} $GATEWAY_PIDS $NODE_PIDS; do wait_gone "$pid"; done
    if [ -d "$dir/postgres" ]; then "$root/deploy/postgres-throwaway.sh" stop "$dir/postgres"; fi
    echo "cluster stopped"
    ;;
  node-stop|node-start)
    i=${3:-}; [ -n "$i" ] || usage
    load "$dir"
    read -r -a pids <<<"$NODE_PIDS"; read -r -a ports <<<"$NODE_PORTS"; read -r -a read_ports <<<"$NODE_READ_PORTS"
    [ "$i" -ge 1 ] && [ "$i" -le ${#pids[@]} ] || { echo "no node $i"; exit 1; }
    if [ "$cmd" = node-stop ]; then
      kill -9 "${pids[$((i - 1))]}" 2>/dev/null || true
      wait_gone "${pids[$((i - 1))]}"
      echo "node $i stopped"
    else
      kill -0 "${pids[$((i - 1))]}" 2>/dev/null && { echo "node $i is running"; exit 0; }
      pids[$((i - 1))]=$(start_node "$dir" "$i" "${ports[$((i - 1))]}" "${read_ports[$((i - 1))]}" "$CLUSTER_SECRET" "$OBJSTORE_ENDPOINT")
      NODE_PIDS="${pids[*]}"
      save_env "$dir"
      wait_ready "http://127.0.0.1:${ports[$((i - 1))]}/_objstore/health/live"
      echo "node $i started"
    fi
    ;;
  gateway-stop|gateway-start)
    j=${3:-}; [ -n "$j" ] || usage
    load "$dir"
    read -r -a pids <<<"$GATEWAY_PIDS"; read -r -a urls <<<"$OBJSTORE_ENDPOINTS"
    [[ $j =~ ^[0-9]+$ ]] && [ "$j" -ge 1 ] && [ "$j" -le ${#pids[@]} ] || { echo "no gateway $j"; exit 1; }
    if [ "$cmd" = gateway-stop ]; then
      kill -9 "${pids[$((j - 1))]}" 2>/dev/null || true
      wait_gone "${pids[$((j - 1))]}"
      echo "gateway $j stopped"
    else
      kill -0 "${pids[$((j - 1))]}" 2>/dev/null && { echo "gateway $j is running"; exit 0; }
      pids[$((j - 1))]=$(start_gateway "$dir" "$j")
      GATEWAY_PIDS="${pids[*]}"
      save_env "$dir"
      wait_ready "${urls[$((j - 1))]}/_objstore/health/ready"
      echo "gateway $j started"
    fi
    ;;
  postgres-stop|postgres-start)
    [ -d "$dir/postgres" ] || { echo "no PostgreSQL in $dir (started without --postgres)"; exit 1; }
    if [ "$cmd" = postgres-stop ]; then
      "$root/deploy/postgres-throwaway.sh" pause "$dir/postgres"; echo "PostgreSQL stopped"
    else
      "$root/deploy/postgres-throwaway.sh" resume "$dir/postgres"; echo "PostgreSQL started"
    fi
    ;;
  *) usage ;;
esac
