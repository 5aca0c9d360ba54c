#!/usr/bin/env bash
# Bucket lifecycle through aws-cli (every aws-cli found: the one first on PATH and Debian's /usr/bin/aws) and boto3,
# on a `objstore dev` whose lifecycle "day" lasts eight seconds (the test setting Maintenance:LifecycleDayLength;
# long enough that a loaded machine reads x-amz-expiration before the rule fires):
# put/get/delete-bucket-lifecycle-configuration, the documented errors, x-amz-expiration on head-object, and an
# expiry rule that the accelerated clock fires while the scenario waits.
source "$(dirname "$0")/common.bash"
export ObjStore__Maintenance__LifecycleDayLength=00:00:08 ObjStore__Maintenance__LifecycleInterval=00:00:01 ObjStore__Maintenance__AutoHealInterval=00:00:01
start_server || { finish; exit 1; }
export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true

clis=()
for cli in "$(command -v aws)" /usr/bin/aws; do
  [ -x "$cli" ] && [[ ! " ${clis[*]} " == *" $cli "* ]] && clis+=("$cli")
done

cat >"$WORK/rules.json" <<'JSON'
{"Rules": [
  {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}},
  {"ID": "uploads", "Status": "Enabled", "Filter": {"Prefix": ""}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}
]}
JSON
cat >"$WORK/bad.json" <<'JSON'
{"Rules": [{"ID": "zero", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 0}}]}
JSON

n=0
for cli in "${clis[@]}"; do
  n=$((n + 1)); b="lifecycle-$n"; v=$("$cli" --version 2>&1 | cut -d' ' -f1)
  A=("$cli" --endpoint-url "$ENDPOINT")
  check "$v mb" "${A[@]}" s3 mb "s3://$b"
  # The command fails, as it should; pipefail must not count that against the check of what it printed.
  no_config() { { "${A[@]}" s3api get-bucket-lifecycle-configuration --bucket "$b" 2>&1 || true; } | has NoSuchLifecycleConfiguration; }
  check "$v get-bucket-lifecycle-configuration before any: NoSuchLifecycleConfiguration" no_config
  bad() { { "${A[@]}" s3api put-bucket-lifecycle-configuration --bucket "$b" --lifecycle-configuration "file://$WORK/bad.json" 2>&1 || true; } | has InvalidArgument; }
  check "$v Days 0 refused: InvalidArgument" bad
  check "$v put-bucket-lifecycle-configuration" "${A[@]}" s3api put-bucket-lifecycle-configuration --bucket "$b" --lifecycle-configuration "file://$WORK/rules.json"
  read_back() { [ "$("${A[@]}" s3api get-bucket-lifecycle-configuration --bucket "$b" --query 'Rules[].ID' --output text)" = "tmp	uploads" ]; }
  check "$v get-bucket-lifecycle-configuration reads the rules back" read_back
  echo x >"$WORK/x.txt"
  "${A[@]}" s3 cp "$WORK/x.txt" "s3://$b/tmp/a.txt" >/dev/null
  "${A[@]}" s3 cp "$WORK/x.txt" "s3://$b/keep/a.txt" >/dev/null
  expiration() { "${A[@]}" s3api head-object --bucket "$b" --key tmp/a.txt --query Expiration --output text | has 'rule-id="tmp"'; }
  check "$v head-object shows x-amz-expiration with the rule id" expiration
  "${A[@]}" s3api create-multipart-upload --bucket "$b" --key big >/dev/null
  fired() {
    for _ in $(seq 120); do
      local keys uploads
      keys=$("${A[@]}" s3api list-objects-v2 --bucket "$b" --query 'Contents[].Key' --output text)
      uploads=$("${A[@]}" s3api list-multipart-uploads --bucket "$b" --query 'length(Uploads || `[]`)' --output text)
      [ "$keys" = "keep/a.txt" ] && [ "$uploads" = 0 ] && return 0
      sleep 0.25
    done
    return 1
  }
  check "$v the rules fire: tmp/ expired, keep/ kept, the upload aborted" fired
  check "$v delete-bucket-lifecycle" "${A[@]}" s3api delete-bucket-lifecycle --bucket "$b"
  check "$v configuration gone" no_config
  check "$v rb --force" "${A[@]}" s3 rb --force "s3://$b"
done

boto3_rules() {
  python3 - "$ENDPOINT" <<'PY'
import sys, time, boto3
from botocore.exceptions import ClientError
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1")
s3.create_bucket(Bucket="lifecycle-boto3")
s3.put_bucket_versioning(Bucket="lifecycle-boto3", VersioningConfiguration={"Status": "Enabled"})
for body in (b"1", b"2", b"3"):
    s3.put_object(Bucket="lifecycle-boto3", Key="doc", Body=body)
s3.put_bucket_lifecycle_configuration(Bucket="lifecycle-boto3", LifecycleConfiguration={"Rules": [
    {"ID": "keep-one", "Status": "Enabled", "Filter": {},
     "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 1}}]})
assert s3.get_bucket_lifecycle_configuration(Bucket="lifecycle-boto3")["Rules"][0]["ID"] == "keep-one"
for _ in range(200):
    versions = s3.list_object_versions(Bucket="lifecycle-boto3").get("Versions", [])
    if len(versions) == 2:
        break
    time.sleep(0.25)
assert len(versions) == 2, versions  # the latest and the one newer noncurrent version kept
assert s3.get_object(Bucket="lifecycle-boto3", Key="doc")["Body"].read() == b"3"
try:
    s3.put_bucket_lifecycle_configuration(Bucket="lifecycle-boto3", LifecycleConfiguration={"Rules": [
        {"ID": "cold", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]}]})
    raise SystemExit("a transition was accepted")
except ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidStorageClass", e.response
PY
}
check "boto3: NoncurrentVersionExpiration with NewerNoncurrentVersions fires; transitions refused" boto3_rules
finish
