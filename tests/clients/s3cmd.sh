#!/usr/bin/env bash
# s3cmd against a fresh `objstore dev`: mb, put (small, and 20 MiB, which s3cmd sends as a 15 MiB-chunk multipart
# upload), get, ls, sync (twice), del. Every downloaded byte is compared.
source "$(dirname "$0")/common.bash"
start_server || { finish; exit 1; }
command -v s3cmd >/dev/null || { echo "s3cmd not installed"; failed=1; finish; exit 1; }

host=${ENDPOINT#http://}
cat >"$WORK/s3cfg" <<CONF
[default]
access_key = $ACCESS_KEY
secret_key = $SECRET_KEY
host_base = $host
host_bucket = $host
use_https = False
signature_v2 = False
bucket_location = us-east-1
CONF
S=(s3cmd -c "$WORK/s3cfg" --no-progress)

random_file "$WORK/small.bin" 4321
random_file "$WORK/big.bin" $((20 * 1024 * 1024))
mkdir -p "$WORK/tree/x/y" "$WORK/tree/ünï"
for f in x/1 x/y/2 "ünï/3 three" top; do random_file "$WORK/tree/$f" $((RANDOM % 3000 + 1)); done

check "s3cmd mb" "${S[@]}" mb s3://s3cmd-bucket
check "s3cmd put small" "${S[@]}" put "$WORK/small.bin" s3://s3cmd-bucket/small.bin
check "s3cmd put 20 MiB (multipart)" "${S[@]}" put "$WORK/big.bin" "s3://s3cmd-bucket/dir/big file.bin"
check "s3cmd get small" "${S[@]}" get s3://s3cmd-bucket/small.bin "$WORK/small.back"
check "small bytes" cmp "$WORK/small.bin" "$WORK/small.back"
check "s3cmd get 20 MiB" "${S[@]}" get "s3://s3cmd-bucket/dir/big file.bin" "$WORK/big.back"
check "20 MiB bytes" cmp "$WORK/big.bin" "$WORK/big.back"
listed() { local out; out=$("${S[@]}" ls -r s3://s3cmd-bucket) && grep -q 'dir/big file.bin' <<<"$out" && grep -q 'small.bin' <<<"$out"; }
check "s3cmd ls -r" listed
check "s3cmd sync up" "${S[@]}" sync "$WORK/tree/" s3://s3cmd-bucket/tree/
idle() { local out; out=$("${S[@]}" sync "$WORK/tree/" s3://s3cmd-bucket/tree/) && ! grep -q "upload:" <<<"$out"; }
check "s3cmd sync again uploads nothing" idle
check "s3cmd sync down" "${S[@]}" sync s3://s3cmd-bucket/tree/ "$WORK/tree.back/"
check "synced tree identical" diff -r "$WORK/tree" "$WORK/tree.back"
check "s3cmd del" "${S[@]}" del s3://s3cmd-bucket/small.bin
gone() { ! "${S[@]}" ls -r s3://s3cmd-bucket | has 'small.bin'; }
check "deleted object gone" gone
check "s3cmd del --recursive --force" "${S[@]}" del --recursive --force s3://s3cmd-bucket
check "s3cmd rb" "${S[@]}" rb s3://s3cmd-bucket
finish
