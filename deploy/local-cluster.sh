#!/usr/bin/env bash
# A loopback cluster for development and failure drills: N storage nodes and a gateway on free ports.
#   deploy/local-cluster.sh start DIR [--nodes 6] [--ec 4+2] [--base-port P] [--postgres]
#                                                               start, wait until ready, write DIR/cluster.env; ports are
#                                                               free ones, or with --base-port the gateway on P and node I
#                                                               on P+2I-1 (its read port P+2I); --postgres: the catalogue
#                                                               in a throwaway PostgreSQL (DIR/postgres, a free port)
#   deploy/local-cluster.sh stop DIR                            stop the gateway and every node (by PID)
#   deploy/local-cluster.sh node-stop DIR I                     kill node I (1-based) with SIGKILL, as a crash would
#   deploy/local-cluster.sh node-start DIR I                    start node I again, same port and data
# Node I keeps its shards in DIR/node-I; the gateway's catalogue is DIR/gateway/catalogue.db (with --postgres, a
# database of deploy/postgres-throwaway.sh, stopped and removed by stop). `source DIR/cluster.env`
# exports what aws-cli and the SDKs read (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL)
# and what `objstore admin` reads (OBJSTORE_ENDPOINT, OBJSTORE_ACCESS_KEY, OBJSTORE_SECRET_KEY), then GATEWAY_PID and
# NODE_PIDS (space-separated, node order). OBJSTORE_NODE_ARGS, if set, is added to every node's command line (e.g.
# "--scrub-ops 2", as the console's cluster test does to cancel a scrub midway).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
objstore="$root/src/ObjStore/bin/Release/net10.0/objstore.dll"
# Seven .NET processes share this machine's cores: thread-pool workers that spin before sleeping steal them from each
# other (measured: 4 KiB PUTs at 32 clients went from 296 to 427 ops/s without the spin).
export DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
load() { [ -f "$1/cluster.env" ] || { echo "no cluster in $1"; exit 1; }; set -a; source "$1/cluster.env"; set +a; }
save_env() {
  local dir=$1
  # Exported, so a plain `source` hands them to aws-cli (which reads AWS_ENDPOINT_URL from 2.13 and 1.29 on).
  cat >"$dir/cluster.env" <<ENV
export OBJSTORE_ENDPOINT=$OBJSTORE_ENDPOINT
export OBJSTORE_ACCESS_KEY=$OBJSTORE_ACCESS_KEY
export OBJSTORE_SECRET_KEY=$OBJSTORE_SECRET_KEY
export AWS_ENDPOINT_URL=$OBJSTORE_ENDPOINT
export AWS_ACCESS_KEY_ID=$OBJSTORE_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$OBJSTORE_SECRET_KEY
export AWS_DEFAULT_REGION=us-east-1
GATEWAY_PID=$GATEWAY_PID
NODE_PIDS="$NODE_PIDS"
NODE_PORTS="$NODE_PORTS"
NODE_READ_PORTS="$NODE_READ_PORTS"
CLUSTER_SECRET=$CLUSTER_SECRET
ENV
}
start_node() { # dir index port read-port secret gateway -> pid
  local dir=$1 i=$2 port=$3 read_port=$4 secret=$5 gateway=$6
  mkdir -p "$dir/node-$i"
  setsid nohup dotnet "$objstore" node --data "$dir/node-$i" --listen "http://127.0.0.1:$port" --read-port "$read_port" \
    --node-id "node-$i" --cluster-secret "$secret" --gateway "$gateway" ${OBJSTORE_NODE_ARGS:-} >>"$dir/node-$i.log" 2>&1 </dev/null &
  echo $!
}
wait_ready() { # url
  for _ in $(seq 600); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "not ready: $1"; return 1
}

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || usage
case $cmd in
  start)
    shift 2
    nodes=6; ec=4+2; base_port=""; postgres=""
    while [ $# -gt 0 ]; do
      case $1 in
        --nodes) nodes=$2; shift 2 ;;
        --ec) ec=$2; shift 2 ;;
        --base-port) base_port=$2; shift 2 ;;
        --postgres) postgres=1; shift ;;
        *) usage ;;
      esac
    done
    [ -f "$objstore" ] || dotnet build "$root/src/ObjStore" -c Release -nologo -v q >/dev/null
    mkdir -p "$dir/gateway"
    dir=$(cd "$dir" && pwd)
    catalogue="\"MetadataPath\": \"$dir/gateway/catalogue.db\""
    if [ -n "$postgres" ]; then
      catalogue="\"Catalogue\": \"$("$root/deploy/postgres-throwaway.sh" start "$dir/postgres")\""
    fi
    CLUSTER_SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
    OBJSTORE_ACCESS_KEY=cluster
    OBJSTORE_SECRET_KEY=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    if [ -n "$base_port" ]; then
      [[ $base_port =~ ^[0-9]+$ ]] && [ "$base_port" -ge 1024 ] && [ $((base_port + 2 * nodes)) -le 65535 ] \
        || { echo "--base-port must be a number from 1024 leaving room for $((2 * nodes + 1)) ports"; exit 2; }
      gateway_port=$base_port
    else
      gateway_port=$(free_port)
    fi
    OBJSTORE_ENDPOINT="http://127.0.0.1:$gateway_port"
    NODE_PIDS=""; NODE_PORTS=""; NODE_READ_PORTS=""; entries=""
    for i in $(seq "$nodes"); do
      if [ -n "$base_port" ]; then port=$((base_port + 2 * i - 1)); read_port=$((base_port + 2 * i)); else port=$(free_port); read_port=$(free_port); fi
      pid=$(start_node "$dir" "$i" "$port" "$read_port" "$CLUSTER_SECRET" "$OBJSTORE_ENDPOINT")
      NODE_PIDS="${NODE_PIDS:+$NODE_PIDS }$pid"; NODE_PORTS="${NODE_PORTS:+$NODE_PORTS }$port"
      NODE_READ_PORTS="${NODE_READ_PORTS:+$NODE_READ_PORTS }$read_port"
      entries="$entries${entries:+,}
    { \"Id\": \"node-$i\", \"Url\": \"http://127.0.0.1:$port\", \"Domain\": \"host-$i\", \"Weight\": 1 }"
    done
    cat >"$dir/cluster.json" <<JSON
{
  "Listen": "$OBJSTORE_ENDPOINT",
  "DataDir": "$dir/gateway",
  $catalogue,
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
    for port in $NODE_PORTS; do wait_ready "http://127.0.0.1:$port/_objstore/health/live"; done
    setsid nohup dotnet "$objstore" gateway --config "$dir/cluster.json" >>"$dir/gateway.log" 2>&1 </dev/null &
    GATEWAY_PID=$!
    save_env "$dir"
    wait_ready "$OBJSTORE_ENDPOINT/_objstore/health/ready"
    echo "cluster ready: $OBJSTORE_ENDPOINT ($nodes nodes, $ec); settings in $dir/cluster.env"
    ;;
  stop)
    load "$dir"
    for pid in $GATEWAY_PID $NODE_PIDS; do kill "$pid" 2>/dev/null || true; done
    for pid in $GATEWAY_PID $NODE_PIDS; do while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; done
    [ -d "$dir/postgres" ] && "$root/deploy/postgres-throwaway.sh" stop "$dir/postgres"
    echo "cluster stopped"
    ;;
  node-stop|node-start)
    i=${3:-}; [ -n "$i" ] || usage
    load "$dir"
    read -r -a pids <<<"$NODE_PIDS"; read -r -a ports <<<"$NODE_PORTS"; read -r -a read_ports <<<"$NODE_READ_PORTS"
    [ "$i" -ge 1 ] && [ "$i" -le ${#pids[@]} ] || { echo "no node $i"; exit 1; }
    if [ "$cmd" = node-stop ]; then
      kill -9 "${pids[$((i - 1))]}" 2>/dev/null || true
      while kill -0 "${pids[$((i - 1))]}" 2>/dev/null; do sleep 0.05; done
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
  *) usage ;;
esac
