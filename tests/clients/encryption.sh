#!/usr/bin/env bash
# Server-side encryption and compression through real clients, against a fresh `objstore dev` that allows SSE-C over
# plain HTTP (ObjStore__S3__AllowCustomerKeysOverHttp). aws-cli (Debian's, /usr/bin/aws): SSE-S3; SSE-C with the
# right key, none and a wrong one, and a multipart upload and ranged download; SSE-KMS with a key added by
# `objstore admin kms key add`; head-object's encryption fields; bucket default encryption put/get/delete. On disk: an
# SSE-S3 object's plaintext is in no shard file (a plain object's is, as a control); a compressed bucket's text object
# takes less than half its size in new shard files and reads back whole and ranged. boto3: SSE-C and SSE-KMS
# (python/boto3_sse.py). rclone: a remote with server_side_encryption = AES256, and one with an SSE-C key (through a
# TLS front, python/tls_proxy.py: rclone's AWS SDK refuses to send SSE-C keys over plain HTTP), copy and check
# --download. Then `admin kms rotate --wait`, and a restart on the same data folder: every object above still reads
# back byte-identical (python/sse_readback.py, and rclone check --download).
source "$(dirname "$0")/common.bash"
export ObjStore__S3__AllowCustomerKeysOverHttp=true
start_server || { finish; exit 1; }
objstore=(dotnet "$root/src/ObjStore/bin/Release/net10.0/objstore.dll")
py="$root/tests/clients/python"
export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE="$WORK/aws-config"
aws=/usr/bin/aws; [ -x "$aws" ] || aws=aws
python=/usr/bin/python3; $python -c 'import boto3' 2>/dev/null || python=python3
command -v rclone >/dev/null || { echo "rclone not installed"; failed=$((failed + 1)); }
# Multipart from 5 MB in 5 MB parts, so a 12 MiB file goes up (and comes down) in 3 parts.
: >"$AWS_CONFIG_FILE"
"$aws" configure set default.s3.signature_version s3v4
"$aws" configure set default.s3.multipart_threshold 5MB
"$aws" configure set default.s3.multipart_chunksize 5MB
# Functions, not arrays: the endpoint changes when the server restarts.
A() { "$aws" --endpoint-url "$ENDPOINT" "$@"; }
admin() { "${objstore[@]}" admin "$@" --endpoint "$ENDPOINT" --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY"; }
# hd BUCKET KEY [aws-cli args...]: head-object, its JSON kept in $WORK/head.json for `is FIELD VALUE` (None: absent).
hd() { A s3api head-object --bucket "$1" --key "$2" "${@:3}" >"$WORK/head.json" && cat "$WORK/head.json"; }
is() { python3 -c 'import json,sys; sys.exit(str(json.load(open(sys.argv[1])).get(sys.argv[2])) != sys.argv[3])' "$WORK/head.json" "$1" "$2"; }
# slice FILE FIRST LAST: the bytes Range: bytes=FIRST-LAST covers (tail reads all head writes: no SIGPIPE, pipefail).
slice() { command head -c $(($3 + 1)) "$1" | tail -c $(($3 - $2 + 1)); }

key=cli-customer-key-0123456789abcde  # 32 bytes, as aws-cli wants it (not base64)
wrong=cli-customer-key-0123456789abcdX
rclone_key=rclone-customer-key-0123456789ab
kms_id=client-kms-key-1
ssec=(--sse-c AES256 --sse-c-key "$key")
ssec_api=(--sse-customer-algorithm AES256 --sse-customer-key "$key")
b=sse-bucket d=sse-default z=sse-compressed
random_file "$WORK/s3.bin" 200000
random_file "$WORK/c.bin" 150000
random_file "$WORK/kms.bin" 99999
random_file "$WORK/c-large.bin" $((12 * 1024 * 1024 + 7))
random_file "$WORK/default.bin" 4321
sentence="The quick vermilion ObjStore platypus encrypts its shards before the erasure coder sees them. "
yes "$sentence" | command head -c 200000 >"$WORK/text.txt"
text_size=$(stat -c %s "$WORK/text.txt")

# Objects to read back after the rotation and the restart, one "BUCKET KEY SSE-C-KEY-OR--- LOCAL-FILE" a line.
manifest="$WORK/manifest.txt"
: >"$manifest"
track() { echo "$*" >>"$manifest"; }

check "s3 mb" A s3 mb "s3://$b"

# SSE-S3
check "s3 cp --sse AES256 up" A s3 cp --no-progress --sse AES256 "$WORK/s3.bin" "s3://$b/s3.bin"
check "s3 cp SSE-S3 down" A s3 cp --no-progress "s3://$b/s3.bin" "$WORK/s3.back"
check "SSE-S3 bytes" cmp "$WORK/s3.bin" "$WORK/s3.back"
check "head-object: ServerSideEncryption AES256" eval 'hd $b s3.bin && is ServerSideEncryption AES256'
track "$b" s3.bin -- "$WORK/s3.bin"

# SSE-C
check "s3 cp --sse-c AES256 --sse-c-key up" A s3 cp --no-progress "${ssec[@]}" "$WORK/c.bin" "s3://$b/c.bin"
check "s3 cp SSE-C down with the key" A s3 cp --no-progress "${ssec[@]}" "s3://$b/c.bin" "$WORK/c.back"
check "SSE-C bytes" cmp "$WORK/c.bin" "$WORK/c.back"
check "s3 cp SSE-C down without the key fails" eval '! A s3 cp --no-progress "s3://$b/c.bin" "$WORK/c.nokey"'
check "s3 cp SSE-C down with a wrong key fails" eval '! A s3 cp --no-progress --sse-c AES256 --sse-c-key "$wrong" "s3://$b/c.bin" "$WORK/c.wrong"'
check "head-object SSE-C: SSECustomerAlgorithm AES256" eval 'hd $b c.bin "${ssec_api[@]}" && is SSECustomerAlgorithm AES256'
ranged_c() { A s3api get-object --bucket "$b" --key c.bin "${ssec_api[@]}" --range bytes=70000-80999 "$WORK/c.range" >/dev/null &&
  slice "$WORK/c.bin" 70000 80999 | cmp - "$WORK/c.range"; }
check "s3api get-object SSE-C --range" ranged_c
track "$b" c.bin "$key" "$WORK/c.bin"
check "s3 cp SSE-C 12 MiB up (multipart, 3 parts)" A s3 cp --no-progress "${ssec[@]}" "$WORK/c-large.bin" "s3://$b/c-large.bin"
multipart_head() { hd "$b" c-large.bin "${ssec_api[@]}" && is SSECustomerAlgorithm AES256 && has -E '"ETag": "\\"[0-9a-f]+-3\\""' "$WORK/head.json"; }
check "SSE-C multipart: a 3-part ETag, SSECustomerAlgorithm AES256" multipart_head
check "s3 cp SSE-C 12 MiB down (ranged parts)" A s3 cp --no-progress "${ssec[@]}" "s3://$b/c-large.bin" "$WORK/c-large.back"
check "SSE-C multipart bytes" cmp "$WORK/c-large.bin" "$WORK/c-large.back"
track "$b" c-large.bin "$key" "$WORK/c-large.bin"

# SSE-KMS
check "admin kms key add" admin kms key add "$kms_id"
check "admin kms key list shows it" eval 'admin kms key list | has -F "$kms_id"'
check "s3 cp --sse aws:kms --sse-kms-key-id up" A s3 cp --no-progress --sse aws:kms --sse-kms-key-id "$kms_id" "$WORK/kms.bin" "s3://$b/kms.bin"
check "s3 cp SSE-KMS down" A s3 cp --no-progress "s3://$b/kms.bin" "$WORK/kms.back"
check "SSE-KMS bytes" cmp "$WORK/kms.bin" "$WORK/kms.back"
check "head-object: ServerSideEncryption aws:kms, SSEKMSKeyId names the key" eval 'hd $b kms.bin && is ServerSideEncryption aws:kms && has -F "\"SSEKMSKeyId\": \"" "$WORK/head.json" && has -F "$kms_id\"" "$WORK/head.json"'
check "s3 cp --sse aws:kms with an unknown key id is refused" eval '! A s3 cp --no-progress --sse aws:kms --sse-kms-key-id no-such-key "$WORK/kms.bin" "s3://$b/kms-unknown.bin"'
track "$b" kms.bin -- "$WORK/kms.bin"

# Bucket default encryption
check "s3 mb (default encryption bucket)" A s3 mb "s3://$d"
check "s3api put-bucket-encryption AES256" A s3api put-bucket-encryption --bucket "$d" \
  --server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
check "s3api get-bucket-encryption: AES256" eval '[ "$(A s3api get-bucket-encryption --bucket $d --query "ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm" --output text)" = AES256 ]'
check "plain s3 cp into it" A s3 cp --no-progress "$WORK/default.bin" "s3://$d/default.bin"
check "head-object of the plain upload: AES256" eval 'hd $d default.bin && is ServerSideEncryption AES256'
track "$d" default.bin -- "$WORK/default.bin"
check "s3api delete-bucket-encryption" A s3api delete-bucket-encryption --bucket "$d"
gone() { ! A s3api get-bucket-encryption --bucket "$d" 2>"$WORK/err"; cat "$WORK/err"; has ServerSideEncryptionConfigurationNotFoundError "$WORK/err"; }
check "get-bucket-encryption after delete: ServerSideEncryptionConfigurationNotFoundError" gone
check "plain s3 cp after delete" A s3 cp --no-progress "$WORK/default.bin" "s3://$d/after.bin"
check "head-object after delete: no ServerSideEncryption" eval 'hd $d after.bin && is ServerSideEncryption None'
track "$d" after.bin -- "$WORK/default.bin"

# On disk: encrypted shards
check "s3 cp --sse AES256 of a text" A s3 cp --no-progress --sse AES256 "$WORK/text.txt" "s3://$b/text.txt"
check "no shard file contains the text's sentence" eval '! grep -rlF "$sentence" "$WORK"/data/store-*'
# The control: the same grep finds the text of an object stored in the clear.
check "control: a plain object's text is in its shard files" eval 'A s3 cp --no-progress "$WORK/text.txt" "s3://$d/plain.txt" && grep -rlF "$sentence" "$WORK"/data/store-*'
track "$b" text.txt -- "$WORK/text.txt"
track "$d" plain.txt -- "$WORK/text.txt"

# On disk: compression
check "s3 mb (compressed bucket)" A s3 mb "s3://$z"
check "admin compression set --level 1 --include text/*,.log" admin compression set "$z" --level 1 --include "text/*,.log"
shards() { find "$WORK"/data/store-* -type f | sort; }
put_measured() {  # KEY [aws-cli args...]: the PUT's new shard files total less than half the text
  local k=$1 n bytes; shift
  shards >"$WORK/before.txt"
  A s3 cp --no-progress "$@" "$WORK/text.txt" "s3://$z/$k" || return 1
  shards >"$WORK/after.txt"
  comm -13 "$WORK/before.txt" "$WORK/after.txt" >"$WORK/new.txt"
  n=$(grep -c . "$WORK/new.txt"); bytes=$(xargs -r stat -c %s <"$WORK/new.txt" | awk '{s += $1} END {print s + 0}')
  echo "$n new shard files, $bytes bytes; the text is $text_size bytes"
  [ "$n" -gt 0 ] && [ $((bytes * 2)) -lt "$text_size" ]
}
ranged_z() {  # KEY FIRST LAST [aws-cli args...]
  local k=$1 first=$2 last=$3; shift 3
  A s3api get-object --bucket "$z" --key "$k" "$@" --range "bytes=$first-$last" "$WORK/z.range" >/dev/null &&
    slice "$WORK/text.txt" "$first" "$last" | cmp - "$WORK/z.range"
}
check "compressed PUT: new shard files under half the text's size" put_measured text.txt
check "compressed text reads back" eval 'A s3 cp --no-progress "s3://$z/text.txt" "$WORK/z.back" && cmp "$WORK/text.txt" "$WORK/z.back"'
check "s3api get-object --range of the compressed object" ranged_z text.txt 123457 150000
check "s3api get-object --range, its last bytes" ranged_z text.txt 199000 199999
check "compressed + SSE-S3 PUT: new shard files under half the text's size" put_measured text-s3.txt --sse AES256
check "compressed + SSE-S3 --range" ranged_z text-s3.txt 54321 65432
check "compressed + SSE-C PUT: new shard files under half the text's size" put_measured text-c.txt "${ssec[@]}"
check "compressed + SSE-C --range" ranged_z text-c.txt 1000 100999 "${ssec_api[@]}"
track "$z" text.txt -- "$WORK/text.txt"
track "$z" text-s3.txt -- "$WORK/text.txt"
track "$z" text-c.txt "$key" "$WORK/text.txt"

# boto3
$python "$py/boto3_sse.py" "$ENDPOINT" "$ACCESS_KEY" "$SECRET_KEY" "$WORK" "$b" "$kms_id" 2>&1 | tee "$WORK/boto3.log"
passed=$((passed + $(grep -c '^ok' "$WORK/boto3.log"))); failed=$((failed + $(grep -c '^FAIL' "$WORK/boto3.log")))
grep -q '^ok' "$WORK/boto3.log" || { failed=$((failed + 1)); echo "FAIL boto3 did not run"; }
track "$b" boto3/ssec.bin boto3-customer-key-0123456789abc "$WORK/boto3-ssec.bin"
track "$b" boto3/kms.bin -- "$WORK/boto3-kms.bin"

# rclone
src="$WORK/rc-src"
mkdir -p "$src/deep/er"
for f in a.txt deep/b.bin deep/er/c.bin; do random_file "$src/$f" $((RANDOM % 90000 + 1)); done
random_file "$src/big.bin" $((9 * 1024 * 1024 + 5))  # above upload_cutoff: multipart
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
PROXY_PID=
start_proxy() {
  local port; port=$(free_port)
  TLS_ENDPOINT="https://127.0.0.1:$port"
  $python "$py/tls_proxy.py" "$port" "${ENDPOINT##*:}" "$WORK/tls.crt" "$WORK/tls.key" >"$WORK/proxy.log" 2>&1 &
  PROXY_PID=$!
  for _ in $(seq 50); do grep -q ready "$WORK/proxy.log" && return 0; sleep 0.1; done
  echo "the TLS proxy did not start"; cat "$WORK/proxy.log"; return 1
}
stop_proxy() { [ -z "$PROXY_PID" ] || { kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; PROXY_PID=; }; }
trap 'stop_proxy; cleanup' EXIT
rclone_config() {
  export RCLONE_CONFIG="$WORK/rclone.conf"
  cat >"$RCLONE_CONFIG" <<CONF
[sses3]
type = s3
provider = Other
access_key_id = $ACCESS_KEY
secret_access_key = $SECRET_KEY
endpoint = $ENDPOINT
region = us-east-1
server_side_encryption = AES256
upload_cutoff = 8Mi
chunk_size = 5Mi

[ssec]
type = s3
provider = Other
access_key_id = $ACCESS_KEY
secret_access_key = $SECRET_KEY
endpoint = $TLS_ENDPOINT
region = us-east-1
sse_customer_algorithm = AES256
sse_customer_key = $rclone_key
upload_cutoff = 8Mi
chunk_size = 5Mi
CONF
}
check "TLS front for rclone's SSE-C remote" start_proxy
rclone_config
R() { env -u AWS_CA_BUNDLE rclone --config "$RCLONE_CONFIG" --ca-cert "$WORK/tls.crt" --retries 1 --low-level-retries 1 "$@"; }
check "rclone copy (server_side_encryption = AES256)" R copy "$src" "sses3:$b/rclone-s3"
check "rclone check --download (SSE-S3): 0 differences" R check --download "$src" "sses3:$b/rclone-s3"
check "head-object of an rclone upload: AES256" eval 'hd $b rclone-s3/deep/b.bin && is ServerSideEncryption AES256'
check "head-object of rclone's multipart upload: AES256" eval 'hd $b rclone-s3/big.bin && is ServerSideEncryption AES256'
check "rclone copy (sse_customer_key)" R copy "$src" "ssec:$b/rclone-c"
check "rclone check --download (SSE-C): 0 differences" R check --download "$src" "ssec:$b/rclone-c"
rm -rf "$WORK/rc-back"
check "rclone copy down (SSE-C)" R copy "ssec:$b/rclone-c" "$WORK/rc-back"
check "rclone SSE-C tree identical" diff -r "$src" "$WORK/rc-back"
check "head-object of rclone's SSE-C multipart upload: SSECustomerAlgorithm AES256" eval 'hd $b rclone-c/big.bin --sse-customer-algorithm AES256 --sse-customer-key $rclone_key && is SSECustomerAlgorithm AES256'
for f in a.txt deep/b.bin deep/er/c.bin big.bin; do
  track "$b" "rclone-s3/$f" -- "$src/$f"
  track "$b" "rclone-c/$f" "$rclone_key" "$src/$f"
done

# Everything reads back: after the rotation, and after a restart on the same data folder.
read_all() {
  $python "$py/sse_readback.py" "$ENDPOINT" "$ACCESS_KEY" "$SECRET_KEY" "$manifest" &&
    R check --download "$src" "sses3:$b/rclone-s3" && R check --download "$src" "ssec:$b/rclone-c"
}
check "admin kms rotate --wait" admin kms rotate --wait
check "every object reads back after the rotation" read_all
check "an SSE-KMS write after the rotation" A s3 cp --no-progress --sse aws:kms --sse-kms-key-id "$kms_id" "$WORK/kms.bin" "s3://$b/kms-after.bin"
track "$b" kms-after.bin -- "$WORK/kms.bin"
stop_proxy
stop_server
check "restart on the same data folder" start_server
check "TLS front again" start_proxy
rclone_config
check "every object reads back after the restart" read_all
check "SSE-C without the key still refused after the restart" eval '! A s3 cp --no-progress "s3://$b/c.bin" "$WORK/c.nokey"'
finish
