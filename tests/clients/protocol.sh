#!/usr/bin/env bash
# S3 protocol details through real clients against a fresh `objstore dev`: the configuration probes tools make first
# (get-bucket-encryption and the others answer as S3 does for a bucket without them), ListBuckets paging, listings
# with --optional-object-attributes RestoreStatus, partNumber, the 501s for headers the store does not implement, and,
# with curl, a PUT in HTTP chunks without Content-Length (411) and stored headers coming back byte for byte.
source "$(dirname "$0")/common.bash"
start_server || { finish; exit 1; }
export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
printf '[default]\ns3 =\n    signature_version = s3v4\n' >"$WORK/aws-config"
export AWS_CONFIG_FILE="$WORK/aws-config"
# curl signs with SigV4 itself; S3 wants the payload hash named.
CURL=(curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS_KEY:$SECRET_KEY" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
printf 'hello, protocol\n' >"$WORK/small.txt"

clients=()
[ -x /usr/bin/aws ] && clients+=("/usr/bin/aws")
command -v aws >/dev/null && [ "$(command -v aws)" != /usr/bin/aws ] && clients+=("$(command -v aws)")
[ ${#clients[@]} -gt 0 ] || { echo "no aws cli found"; failed=$((failed + 1)); }

# fails_with CODE COMMAND...: the command fails, naming the S3 error code.
fails_with() {
  local code=$1; shift
  ! "$@" >"$WORK/out.log" 2>&1 && grep -q "($code)" "$WORK/out.log" || { cat "$WORK/out.log"; return 1; }
}

for aws in "${clients[@]}"; do
  v=$("$aws" --version 2>&1 | cut -d' ' -f1)
  A=("$aws" --endpoint-url "$ENDPOINT")
  b="proto-$RANDOM-$RANDOM"
  check "$v mb" "${A[@]}" s3 mb "s3://$b"

  check "$v get-bucket-encryption: ServerSideEncryptionConfigurationNotFoundError" \
    fails_with ServerSideEncryptionConfigurationNotFoundError "${A[@]}" s3api get-bucket-encryption --bucket "$b"
  check "$v get-bucket-website: NoSuchWebsiteConfiguration" fails_with NoSuchWebsiteConfiguration "${A[@]}" s3api get-bucket-website --bucket "$b"
  check "$v get-bucket-replication: ReplicationConfigurationNotFoundError" \
    fails_with ReplicationConfigurationNotFoundError "${A[@]}" s3api get-bucket-replication --bucket "$b"
  check "$v get-bucket-encryption of a missing bucket: NoSuchBucket" fails_with NoSuchBucket "${A[@]}" s3api get-bucket-encryption --bucket "no-such-$b"
  empty_notification() { [ -z "$("${A[@]}" s3api get-bucket-notification-configuration --bucket "$b" --query 'TopicConfigurations' --output text | grep -v None)" ]; }
  check "$v get-bucket-notification-configuration: empty" empty_notification
  no_logging() { [ "$("${A[@]}" s3api get-bucket-logging --bucket "$b" --query 'LoggingEnabled' --output text)" = None ]; }
  check "$v get-bucket-logging: disabled" no_logging
  bucket_owner_pays() { [ "$("${A[@]}" s3api get-bucket-request-payment --bucket "$b" --query Payer --output text)" = BucketOwner ]; }
  check "$v get-bucket-request-payment: BucketOwner" bucket_owner_pays
  no_acceleration() { [ "$("${A[@]}" s3api get-bucket-accelerate-configuration --bucket "$b" --query Status --output text)" = None ]; }
  check "$v get-bucket-accelerate-configuration: no status" no_acceleration
  no_analytics() { "${A[@]}" s3api list-bucket-analytics-configurations --bucket "$b" --query IsTruncated --output text | has -x False; }
  check "$v list-bucket-analytics-configurations: empty" no_analytics
  check "$v put-bucket-website stays NotImplemented" fails_with NotImplemented \
    "${A[@]}" s3api put-bucket-website --bucket "$b" --website-configuration '{"IndexDocument":{"Suffix":"index.html"}}'

  check "$v put-object" "${A[@]}" s3api put-object --bucket "$b" --key small.txt --body "$WORK/small.txt"
  check "$v put-object --storage-class STANDARD" "${A[@]}" s3api put-object --bucket "$b" --key standard.txt --body "$WORK/small.txt" --storage-class STANDARD
  sse_put() { "${A[@]}" s3api put-object --bucket "$b" --key sse.txt --body "$WORK/small.txt" --server-side-encryption AES256 |
    has '"ServerSideEncryption": "AES256"' &&
    [ "$("${A[@]}" s3api head-object --bucket "$b" --key sse.txt --query ServerSideEncryption --output text)" = AES256 ]; }
  check "$v put-object --server-side-encryption AES256: stored encrypted, head-object says AES256" sse_put
  check "$v put-object --storage-class GLACIER: NotImplemented" fails_with NotImplemented \
    "${A[@]}" s3api put-object --bucket "$b" --key cold.txt --body "$WORK/small.txt" --storage-class GLACIER
  check "$v put-object --website-redirect-location: NotImplemented" fails_with NotImplemented \
    "${A[@]}" s3api put-object --bucket "$b" --key redirect.txt --body "$WORK/small.txt" --website-redirect-location /elsewhere
  refused_not_stored() { [ "$("${A[@]}" s3 ls "s3://$b/" | grep -c .)" -eq 3 ]; } # small, standard and sse
  check "$v refused uploads stored nothing" refused_not_stored
  part_one() { "${A[@]}" s3api get-object --bucket "$b" --key small.txt --part-number 1 "$WORK/part.out" | has '"ContentRange": "bytes 0-15/16"' &&
    cmp "$WORK/small.txt" "$WORK/part.out"; }
  check "$v get-object --part-number 1 of a single-part object: the whole object as a range" part_one
  check "$v get-object --part-number 2: InvalidPartNumber" fails_with InvalidPartNumber \
    "${A[@]}" s3api get-object --bucket "$b" --key small.txt --part-number 2 "$WORK/part.out"
done

# What only aws-cli 1.45 (botocore 1.43) has options for.
aws=$(command -v aws)
if [ -n "$aws" ] && "$aws" s3api list-objects-v2 help 2>/dev/null | has -- --optional-object-attributes; then
  A=("$aws" --endpoint-url "$ENDPOINT")
  b="proto-new-$RANDOM"
  "${A[@]}" s3 mb "s3://$b" >/dev/null && "${A[@]}" s3 cp --no-progress "$WORK/small.txt" "s3://$b/a.txt" >/dev/null
  restore_status() { "${A[@]}" s3api list-objects-v2 --bucket "$b" --optional-object-attributes RestoreStatus --output json >"$WORK/list.json" &&
    grep -q '"Key": "a.txt"' "$WORK/list.json" && ! grep -q RestoreStatus "$WORK/list.json"; }
  check "list-objects-v2 --optional-object-attributes RestoreStatus: accepted, none for an object never archived" restore_status
  check "list-object-versions --optional-object-attributes RestoreStatus" \
    "${A[@]}" s3api list-object-versions --bucket "$b" --optional-object-attributes RestoreStatus
  # --page-size is ListBuckets' max-buckets; the CLI follows the continuation tokens.
  "${A[@]}" s3 mb "s3://$b-2" >/dev/null && "${A[@]}" s3 mb "s3://$b-3" >/dev/null
  paged() {
    "${A[@]}" s3api list-buckets --prefix "$b" --page-size 1 --query 'Buckets[].Name' --output text --debug >"$WORK/buckets.txt" 2>"$WORK/buckets.debug" &&
    [ "$(tr -s '\t ' '\n' <"$WORK/buckets.txt" | grep -c "^$b")" -eq 3 ] &&
    [ "$(grep -c '"GET /?[^ ]*max-buckets=1' "$WORK/buckets.debug")" -eq 3 ]
  }
  check "list-buckets --page-size 1: three pages by continuation token" paged
  one_page() { "${A[@]}" s3api list-buckets --prefix "$b" --max-items 1 --output json | has '"NextToken"'; }
  check "list-buckets --max-items 1: one bucket and a token" one_page
fi

b="proto-curl-$RANDOM"
"${clients[0]}" --endpoint-url "$ENDPOINT" s3 mb "s3://$b" >/dev/null
chunked() {
  printf 'no length' | "${CURL[@]}" -X PUT -H "Transfer-Encoding: chunked" --data-binary @- -w '\n%{http_code}\n' "$ENDPOINT/$b/chunked" >"$WORK/chunked.out" &&
    grep -q '^411$' "$WORK/chunked.out" && grep -q '<Code>MissingContentLength</Code>' "$WORK/chunked.out" &&
    [ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' -I "$ENDPOINT/$b/chunked")" = 404 ]
}
check "curl PUT with Transfer-Encoding: chunked and no Content-Length: 411 MissingContentLength, nothing stored" chunked
headers_verbatim() {
  "${CURL[@]}" -f -X PUT -H "Content-Encoding: deflate, gzip" -H "Cache-Control: no-cache,  no-store" -H "Content-Language: en, fr" \
    -H 'Content-Disposition: attachment;  filename="a, b.txt"' -H "Expires: Thu, 01 Dec 2094 16:00:00 GMT" -H "x-amz-meta-list: a, b,c ,  d" \
    --data-binary @"$WORK/small.txt" "$ENDPOINT/$b/headers" >/dev/null || return 1
  "${CURL[@]}" -f -I "$ENDPOINT/$b/headers" | tr -d '\r' >"$WORK/headers.txt" || return 1
  grep -qx 'Content-Encoding: deflate, gzip' "$WORK/headers.txt" && grep -qx 'Cache-Control: no-cache,  no-store' "$WORK/headers.txt" &&
    grep -qx 'Content-Language: en, fr' "$WORK/headers.txt" && grep -qx 'Content-Disposition: attachment;  filename="a, b.txt"' "$WORK/headers.txt" &&
    grep -qx 'Expires: Thu, 01 Dec 2094 16:00:00 GMT' "$WORK/headers.txt" && grep -qx 'x-amz-meta-list: a, b,c ,  d' "$WORK/headers.txt" ||
    { cat "$WORK/headers.txt"; return 1; }
}
check "curl: stored headers come back byte for byte (Content-Encoding: deflate, gzip)" headers_verbatim
cli_content_encoding() {
  "${clients[0]}" --endpoint-url "$ENDPOINT" s3api put-object --bucket "$b" --key cli-encoded --body "$WORK/small.txt" --content-encoding "deflate, gzip" >/dev/null &&
    "${CURL[@]}" -f -I "$ENDPOINT/$b/cli-encoded" | tr -d '\r' | has -x 'Content-Encoding: deflate, gzip'
}
check "aws-cli put-object --content-encoding 'deflate, gzip' comes back as sent" cli_content_encoding

finish
