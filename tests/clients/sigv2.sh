#!/usr/bin/env bash
# AWS Signature Version 2 with the clients that still sign with it, against a fresh `objstore dev`:
# boto 2 (Debian's python3-boto: it signs every request with SigV2) creates a bucket, puts, gets, lists, uploads in
# multipart, presigns a GET (generate_url, fetched with curl) and deletes; s3cmd --signature-v2 puts (small, and 20 MiB
# as a multipart upload), gets, lists and deletes; aws-cli 1.x's default `aws s3 presign` (SigV2, path-style and
# virtual-hosted) is fetched with curl, and one that has expired is refused; boto3 with signature_version "s3"
# presigns a POST form that curl uploads; rclone with v2_auth copies, lists, checks and purges. Then the server restarts with ObjStore:S3:AllowSignatureV2=false and a
# SigV2 presigned URL gets AWS's InvalidRequest, which s3cmd --signature-v2 recognises (it goes on with SigV4).
# Every downloaded byte is compared.
source "$(dirname "$0")/common.bash"
start_server || { finish; exit 1; }
port=${ENDPOINT##*:}
# Only what this script configures signs: no ~/.aws, ~/.boto or credentials from the environment.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE="$WORK/aws-config" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials" BOTO_CONFIG="$WORK/boto.cfg"
printf '[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n' default "$ACCESS_KEY" "$SECRET_KEY" vhost "$ACCESS_KEY" "$SECRET_KEY" \
  >"$AWS_SHARED_CREDENTIALS_FILE"
# No signature_version: aws-cli 1.x presigns with SigV2 by default. The second profile addresses buckets by host name.
printf '[default]\nregion = us-east-1\n[profile vhost]\nregion = us-east-1\ns3 =\n    addressing_style = virtual\n' >"$AWS_CONFIG_FILE"
: >"$BOTO_CONFIG" # boto 2 reads /etc/boto.cfg and ~/.boto unless told to read this (empty) file

# same ACTUAL EXPECTED: prints both, succeeds when equal.
same() { printf 'actual:   %s\nexpected: %s\n' "$1" "$2"; [ "$1" = "$2" ]; }
# fetch URL FILE: an unsigned curl GET (the URL carries the signature); fails unless 200.
fetch() { local status; status=$(curl -sS -o "$2" -w '%{http_code}' "$1") && same "$status" 200; }
# refused URL STATUS TEXT: curl of the URL answers STATUS with TEXT in its body.
refused() {
  local status; status=$(curl -sS -o "$WORK/refused.out" -w '%{http_code}' "$1") || return 1
  cat "$WORK/refused.out"; echo; same "$status" "$2" && grep -qF "$3" "$WORK/refused.out"
}

b="sigv2-$RANDOM-$RANDOM"
random_file "$WORK/small.bin" 4321
random_file "$WORK/part1.bin" $((5 * 1024 * 1024))
random_file "$WORK/part2.bin" 77777
random_file "$WORK/big.bin" $((20 * 1024 * 1024))
cat "$WORK/part1.bin" "$WORK/part2.bin" >"$WORK/multi.bin"

# --- boto 2, from Debian's Python (the image's own Python has no boto 2)
boto2_python=/usr/bin/python3
cat >"$WORK/boto2.py" <<'PY'
import sys
import boto.auth
from boto.s3.connection import OrdinaryCallingFormat, S3Connection

endpoint_port, access_key, secret_key, command, bucket = sys.argv[1:6]
args = sys.argv[6:]
s3 = S3Connection(access_key, secret_key, host="127.0.0.1", port=int(endpoint_port), is_secure=False,
                  calling_format=OrdinaryCallingFormat())
assert isinstance(s3._auth_handler, boto.auth.HmacAuthV1Handler), s3._auth_handler  # SigV2, nothing else
if command == "mb":
    s3.create_bucket(bucket)
elif command == "put":
    s3.get_bucket(bucket).new_key(args[0]).set_contents_from_filename(args[1])
elif command == "get":
    s3.get_bucket(bucket).get_key(args[0]).get_contents_to_filename(args[1])
elif command == "ls":
    for key in s3.get_bucket(bucket).list(prefix=args[0] if args else ""):
        print(key.name, key.size)
elif command == "multipart":
    upload = s3.get_bucket(bucket).initiate_multipart_upload(args[0])
    for number, path in enumerate(args[1:], start=1):
        with open(path, "rb") as part:
            upload.upload_part_from_file(part, number)
    print([p.part_number for p in upload.get_all_parts()])
    upload.complete_upload()
elif command == "url":
    print(s3.generate_url(300, "GET", bucket, args[0]))
elif command == "rm":
    s3.get_bucket(bucket).delete_key(args[0])
elif command == "rb":
    s3.delete_bucket(bucket)
else:
    raise SystemExit("unknown command " + command)
PY
boto2() { "$boto2_python" "$WORK/boto2.py" "$port" "$ACCESS_KEY" "$SECRET_KEY" "$@"; }
if "$boto2_python" -c 'import boto' 2>/dev/null; then
  check "boto2 create bucket" boto2 mb "$b"
  check "boto2 put" boto2 put "$b" "boto2/ünï cöde+.bin" "$WORK/small.bin"
  check "boto2 get" boto2 get "$b" "boto2/ünï cöde+.bin" "$WORK/boto2.back"
  check "boto2 bytes" cmp "$WORK/small.bin" "$WORK/boto2.back"
  boto2_listed() { boto2 ls "$b" boto2/ | has -Fx "boto2/ünï cöde+.bin 4321"; }
  check "boto2 list" boto2_listed
  check "boto2 multipart upload (2 parts)" boto2 multipart "$b" boto2/multi.bin "$WORK/part1.bin" "$WORK/part2.bin"
  check "boto2 get multipart object" boto2 get "$b" boto2/multi.bin "$WORK/multi.back"
  check "boto2 multipart bytes" cmp "$WORK/multi.bin" "$WORK/multi.back"
  boto2_url() { local url; url=$(boto2 url "$b" "boto2/ünï cöde+.bin") && echo "$url" && has -F "Signature=" <<<"$url" && fetch "$url" "$WORK/boto2-url.back"; }
  check "boto2 generate_url fetched with curl" boto2_url
  check "boto2 presigned bytes" cmp "$WORK/small.bin" "$WORK/boto2-url.back"
  check "boto2 delete" boto2 rm "$b" boto2/multi.bin
  boto2_gone() { local out; out=$(boto2 ls "$b" boto2/) && echo "$out" && ! has -F multi.bin <<<"$out"; }
  check "boto2 deleted object gone" boto2_gone
else
  echo "python3-boto not installed"; failed=$((failed + 1))
fi

# --- s3cmd --signature-v2
host=${ENDPOINT#http://}
cat >"$WORK/s3cfg" <<CONF
[default]
access_key = $ACCESS_KEY
secret_key = $SECRET_KEY
host_base = $host
host_bucket = $host
use_https = False
bucket_location = us-east-1
CONF
S4=(s3cmd -c "$WORK/s3cfg" --no-progress)
S=("${S4[@]}" --signature-v2)
if command -v s3cmd >/dev/null; then
  check "s3cmd --signature-v2 put" "${S[@]}" put "$WORK/small.bin" "s3://$b/s3cmd/small.bin"
  check "s3cmd --signature-v2 put 20 MiB (multipart)" "${S[@]}" put "$WORK/big.bin" "s3://$b/s3cmd/big file.bin"
  check "s3cmd --signature-v2 get" "${S[@]}" get "s3://$b/s3cmd/small.bin" "$WORK/s3cmd.back"
  check "s3cmd bytes" cmp "$WORK/small.bin" "$WORK/s3cmd.back"
  check "s3cmd --signature-v2 get 20 MiB" "${S[@]}" get "s3://$b/s3cmd/big file.bin" "$WORK/s3cmd-big.back"
  check "s3cmd 20 MiB bytes" cmp "$WORK/big.bin" "$WORK/s3cmd-big.back"
  s3cmd_listed() { local out; out=$("${S[@]}" ls -r "s3://$b/s3cmd/") && echo "$out" && has -F "s3cmd/big file.bin" <<<"$out" && has -F s3cmd/small.bin <<<"$out"; }
  check "s3cmd --signature-v2 ls" s3cmd_listed
  check "s3cmd --signature-v2 del" "${S[@]}" del "s3://$b/s3cmd/big file.bin"
  s3cmd_gone() { local out; out=$("${S[@]}" ls -r "s3://$b/s3cmd/") && echo "$out" && ! has -F "big file.bin" <<<"$out"; }
  check "s3cmd deleted object gone" s3cmd_gone
else
  echo "s3cmd not installed"; failed=$((failed + 1))
fi

# --- aws-cli 1.x: `aws s3 presign` with its defaults signs with SigV2
aws1=$(command -v aws)
if [ -n "$aws1" ] && "$aws1" --version 2>&1 | has '^aws-cli/1\.'; then
  presigned() { # [--profile P] [--endpoint-url URL] KEY [--expires-in N]: prints the URL, which must be SigV2's
    local url; url=$("$aws1" s3 presign "$@") || return 1
    echo "$url"; has -F "AWSAccessKeyId=$ACCESS_KEY" <<<"$url" && ! has -F X-Amz-Signature <<<"$url"
  }
  cli_presign() {
    local url; url=$(presigned --endpoint-url "$ENDPOINT" "s3://$b/boto2/ünï cöde+.bin") && echo "$url" && fetch "$url" "$WORK/cli.back"
  }
  check "aws-cli 1.x presign (SigV2) fetched with curl" cli_presign
  check "aws-cli 1.x presigned bytes" cmp "$WORK/small.bin" "$WORK/cli.back"
  # bucket.localhost: curl resolves every *.localhost name to the loopback address itself.
  cli_presign_vhost() {
    local url; url=$(presigned --profile vhost --endpoint-url "http://localhost:$port" "s3://$b/s3cmd/small.bin") || return 1
    has -F "http://$b.localhost:$port/s3cmd/small.bin?" <<<"$url" && fetch "$url" "$WORK/cli-vhost.back"
  }
  check "aws-cli 1.x presign, virtual-hosted, fetched with curl" cli_presign_vhost
  check "aws-cli 1.x virtual-hosted bytes" cmp "$WORK/small.bin" "$WORK/cli-vhost.back"
  cli_expired() {
    local url; url=$(presigned --endpoint-url "$ENDPOINT" "s3://$b/s3cmd/small.bin" --expires-in 1) || return 1
    sleep 2; refused "$url" 403 "<Message>Request has expired</Message>"
  }
  check "aws-cli 1.x presign: expired is AccessDenied" cli_expired
  cli_tampered() {
    local url; url=$(presigned --endpoint-url "$ENDPOINT" "s3://$b/s3cmd/small.bin") || return 1
    refused "${url/small.bin/other.bin}" 403 "<Code>SignatureDoesNotMatch</Code>"
  }
  check "aws-cli 1.x presign for another key: SignatureDoesNotMatch" cli_tampered
else
  echo "aws-cli 1.x is not first on PATH: $("${aws1:-aws}" --version 2>&1)"; failed=$((failed + 1))
fi

# --- boto3 with signature_version "s3": a SigV2 POST policy, uploaded by curl as a browser would
cat >"$WORK/post.py" <<'PY'
import sys
import boto3
from botocore.config import Config

endpoint, bucket, key = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url=endpoint, config=Config(signature_version="s3", s3={"addressing_style": "path"}))
post = s3.generate_presigned_post(bucket, key, Conditions=[["content-length-range", 1, 10000]], ExpiresIn=300)
assert "AWSAccessKeyId" in post["fields"] and "signature" in post["fields"], post["fields"]
print(post["url"])
for name, value in post["fields"].items():
    print(f"{name}={value}")
PY
boto3_post() {
  local lines url args=()
  mapfile -t lines < <(python3 "$WORK/post.py" "$ENDPOINT" "$b" post/form.bin) || return 1
  url=${lines[0]}
  for field in "${lines[@]:1}"; do args+=(--form-string "$field"); done
  local status; status=$(curl -sS -o "$WORK/post.out" -w '%{http_code}' "${args[@]}" -F "file=@$WORK/small.bin" "$url") || return 1
  cat "$WORK/post.out"; same "$status" 204 && "${S[@]}" get --force "s3://$b/post/form.bin" "$WORK/post.back" && cmp "$WORK/small.bin" "$WORK/post.back"
}
check "boto3 SigV2 presigned POST uploaded with curl" boto3_post

# --- rclone with v2_auth (SigV2 on every request): copy up, list, check every byte down, purge
export RCLONE_CONFIG="$WORK/rclone.conf"
printf '[v2]\ntype = s3\nprovider = Other\naccess_key_id = %s\nsecret_access_key = %s\nendpoint = %s\nregion = us-east-1\nv2_auth = true\n' \
  "$ACCESS_KEY" "$SECRET_KEY" "$ENDPOINT" >"$RCLONE_CONFIG"
R=(env -u AWS_CA_BUNDLE rclone --config "$RCLONE_CONFIG" --retries 1 --low-level-retries 1)
mkdir -p "$WORK/rc" && cp "$WORK/small.bin" "$WORK/part2.bin" "$WORK/rc/"
check "rclone v2_auth mkdir" "${R[@]}" mkdir "v2:$b-rclone"
check "rclone v2_auth copy" "${R[@]}" copy "$WORK/rc" "v2:$b-rclone/d"
rclone_listed() { same "$("${R[@]}" lsf "v2:$b-rclone/d" | sort | tr '\n' ' ')" "part2.bin small.bin "; }
check "rclone v2_auth lsf" rclone_listed
check "rclone v2_auth check --download (every byte)" "${R[@]}" check --download "$WORK/rc" "v2:$b-rclone/d"
check "rclone v2_auth purge" "${R[@]}" purge "v2:$b-rclone"

# --- S3:AllowSignatureV2=false: the same clients get AWS's answer for SigV2
stop_server
export ObjStore__S3__AllowSignatureV2=false
start_server || { finish; exit 1; }
unset ObjStore__S3__AllowSignatureV2
host=${ENDPOINT#http://}
sed -i "s/^host_base = .*/host_base = $host/; s/^host_bucket = .*/host_bucket = $host/" "$WORK/s3cfg"
off_presign() {
  local url; url=$("$aws1" s3 presign --endpoint-url "$ENDPOINT" "s3://$b/s3cmd/small.bin") || return 1
  refused "$url" 400 "<Code>InvalidRequest</Code><Message>The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.</Message>"
}
check "setting off: aws-cli 1.x presigned URL is InvalidRequest" off_presign
# s3cmd knows AWS's answer: it switches to SigV4 and carries on.
off_s3cmd() {
  local out; out=$("${S[@]}" -d ls "s3://$b/s3cmd/" 2>&1) || { echo "$out" | tail -5; return 1; }
  has -F "<Code>InvalidRequest" <<<"$out" && has -F "Endpoint requires signature v4" <<<"$out" && has -F s3cmd/small.bin <<<"$out"
}
check "setting off: s3cmd --signature-v2 gets InvalidRequest and goes on with SigV4" off_s3cmd
finish
