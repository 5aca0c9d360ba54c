#!/usr/bin/env bash
# `objstore admin` as an operator runs it against a fresh `objstore dev`: status, a scrub that finds a rotted shard,
# the heal it queues, jobs, and the exit statuses of --wait.
source "$(dirname "$0")/common.bash"
start_server || { finish; exit 1; }
objstore=(dotnet "$root/src/ObjStore/bin/Release/net10.0/objstore.dll")
export OBJSTORE_ENDPOINT=$ENDPOINT OBJSTORE_ACCESS_KEY=$ACCESS_KEY OBJSTORE_SECRET_KEY=$SECRET_KEY
export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
aws=/usr/bin/aws; [ -x "$aws" ] || aws=aws
json() { python3 -c "import json,sys; r=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

random_file "$WORK/object.bin" 3000000
check "make a bucket" "$aws" --endpoint-url "$ENDPOINT" s3 mb s3://admin-bucket
check "upload an object" "$aws" --endpoint-url "$ENDPOINT" s3 cp --no-progress "$WORK/object.bin" s3://admin-bucket/object.bin
status() { "${objstore[@]}" admin status --json | json "len(r['stores']) == 6 and all(s['ready'] for s in r['stores'])" | has True; }
check "admin status: six ready stores" status
info() { "${objstore[@]}" admin info --json | json "r['buckets'] == 1 and r['objects'] == 1 and r['objectBytes'] == 3000000 and r['rawBytes'] == 4500000 and len(r['stores']) == 6 and all(s['state'] == 'up' for s in r['stores'])" | has True; }
check "admin info --json: one bucket, one object, its bytes and raw bytes, six stores up" info
info_table() { "${objstore[@]}" admin info | has '1 buckets, 1 objects, 2.9 MiB used'; }
check "admin info prints the summary" info_table
# Rot one byte of one shard on disk.
shard=$(find "$WORK/data/store-02/shards" -type f | head -1)
printf '\x55' | dd of="$shard" bs=1 seek=10 conv=notrunc status=none
scrub() { "${objstore[@]}" admin scrub --wait --json >"$WORK/scrub.json" && json "r['result']" <"$WORK/scrub.json" | has '"bad": *1'; }
check "admin scrub --wait finds the rotted shard" scrub
healed() {
  for _ in $(seq 100); do
    "${objstore[@]}" admin status --json | json "r['degradedShards']" | has -x 0 && return 0
    sleep 0.2
  done
  return 1
}
check "the heal the scrub queued leaves nothing degraded" healed
rescrub() { "${objstore[@]}" admin scrub --wait --json | json "r['result']" | has '"bad": *0'; }
check "a second scrub finds nothing" rescrub
jobs() { "${objstore[@]}" admin jobs | has 'heal .*succeeded'; }
check "admin jobs lists the heal" jobs
store_scrub() { "${objstore[@]}" admin scrub store-02 --wait --json | json "r['target'] == 'store:store-02' and r['state'] == 'succeeded'" | has True; }
check "admin scrub NODE scrubs one store" store_scrub
rebalance() { "${objstore[@]}" admin rebalance --wait --json | json "r['state'] == 'succeeded' and '\"shardsMoved\":0' in r['result']" | has True; }
check "admin rebalance --wait: nothing to move when no store was added" rebalance
workers() { "${objstore[@]}" admin status | has '(all)'; }
check "admin status lists the job worker" workers
check "object still reads back" "$aws" --endpoint-url "$ENDPOINT" s3 cp --no-progress s3://admin-bucket/object.bin "$WORK/object.back"
check "object bytes" cmp "$WORK/object.bin" "$WORK/object.back"
denied() { ! OBJSTORE_SECRET_KEY=wrong-secret-key "${objstore[@]}" admin status >/dev/null 2>&1; }
check "a wrong secret is refused (exit status 1)" denied
finish
