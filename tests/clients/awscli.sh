#!/usr/bin/env bash
# Debian's awscli (2.x, /usr/bin/aws) and the image's awscli 1.45 (CRC trailers) against a fresh `objstore dev`:
# mb, cp up and down, ls, rm, put-object with a CRC32 checksum, presign + curl. Every downloaded byte is compared.
# Prints "N passed, N failed" last.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
dotnet "$root/src/ObjStore/bin/Release/net10.0/objstore.dll" dev --listen "$endpoint" --data "$work/data" \
  --access-key cli --secret-key cli-secret-key >"$work/server.log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 300); do curl -fs "$endpoint/_objstore/health/ready" >/dev/null && break; sleep 0.1; done

export AWS_ACCESS_KEY_ID=cli AWS_SECRET_ACCESS_KEY=cli-secret-key AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
# awscli 1.x presigns with SigV2 unless told otherwise; ObjStore speaks SigV4 only (as new AWS buckets do).
printf '[default]\ns3 =\n    signature_version = s3v4\n' >"$work/aws-config"
export AWS_CONFIG_FILE="$work/aws-config"
passed=0; failed=0
check() { local name=$1; shift; if "$@" >>"$work/steps.log" 2>&1; then passed=$((passed+1)); echo "ok   $name"; else failed=$((failed+1)); echo "FAIL $name"; tail -5 "$work/steps.log"; fi; }

head -c 1024 /dev/urandom >"$work/small.bin"
head -c $((3 * 1024 * 1024 + 17)) /dev/urandom >"$work/medium.bin"

clients=()
[ -x /usr/bin/aws ] && clients+=("/usr/bin/aws")
command -v aws >/dev/null && [ "$(command -v aws)" != /usr/bin/aws ] && clients+=("$(command -v aws)")
for aws in "${clients[@]}"; do
  v=$("$aws" --version 2>&1 | cut -d' ' -f1)
  A=("$aws" --endpoint-url "$endpoint")
  b="cli-$RANDOM-$RANDOM"
  check "$v s3 mb" "${A[@]}" s3 mb "s3://$b"
  check "$v s3 cp small up" "${A[@]}" s3 cp "$work/small.bin" "s3://$b/dir/small.bin"
  check "$v s3 cp medium up" "${A[@]}" s3 cp "$work/medium.bin" "s3://$b/dir/sub/medium file.bin"
  check "$v s3 cp small down" "${A[@]}" s3 cp "s3://$b/dir/small.bin" "$work/small.back"
  check "$v small bytes" cmp "$work/small.bin" "$work/small.back"
  check "$v s3 cp medium down" "${A[@]}" s3 cp "s3://$b/dir/sub/medium file.bin" "$work/medium.back"
  check "$v medium bytes" cmp "$work/medium.bin" "$work/medium.back"
  listed() { "${A[@]}" s3 ls --recursive "s3://$b" | grep -q 'dir/sub/medium file.bin'; }
  check "$v s3 ls" listed
  check "$v put-object CRC32" "${A[@]}" s3api put-object --bucket "$b" --key crc --body "$work/small.bin" --checksum-algorithm CRC32
  check "$v get-object crc" "${A[@]}" s3api get-object --bucket "$b" --key crc "$work/crc.back"
  check "$v crc bytes" cmp "$work/small.bin" "$work/crc.back"
  rm -f "$work"/*.back
  url=$("${A[@]}" s3 presign "s3://$b/dir/small.bin" --expires-in 300)
  check "$v presign + curl" curl -fsS -o "$work/presigned.back" "$url"
  check "$v presigned bytes" cmp "$work/small.bin" "$work/presigned.back"
  check "$v s3 rm" "${A[@]}" s3 rm --recursive "s3://$b"
  empty() { local out; out=$("${A[@]}" s3 ls --recursive "s3://$b") && [ -z "$out" ]; }
  check "$v bucket empty" empty
  check "$v s3 rb" "${A[@]}" s3 rb "s3://$b"
done
[ ${#clients[@]} -gt 0 ] || { echo "no aws cli found"; failed=$((failed+1)); }
echo "$passed passed, $failed failed"
