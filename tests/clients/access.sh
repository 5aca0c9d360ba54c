#!/usr/bin/env bash
# Access control with real clients against a fresh `objstore dev`. The admin CLI makes a user "app" with a key and the
# policy --readwrite BUCKET/app/; aws-cli (Debian's 2.x at /usr/bin/aws and, when present, a pip-installed 1.x) signs
# as two named profiles, root and app, from a temporary AWS_CONFIG_FILE/AWS_SHARED_CREDENTIALS_FILE (never ~/.aws).
# app: cp/ls/rm under app/ work, and everything outside (another key, the bucket's whole listing, another bucket, a
# root object) fails with AccessDenied. root: `s3 cp --acl public-read` into a new bucket (ACLs disabled, as AWS's
# BucketOwnerEnforced default) fails with AccessControlListNotSupported; a public bucket policy is refused while the
# public access block is on; once the block is deleted it is accepted, get-bucket-policy-status says IsPublic, and an
# anonymous curl downloads the object byte-exact while anonymous curl of another bucket's object is 403.
# boto3 (python/boto3_access.py) as app: allowed and denied per prefix, and its presigned GET URLs via curl (200 with
# the bytes inside the prefix, 403 outside). Then the key's life: `user disable` refuses it, `user enable` takes it
# back, `key remove` refuses it for good.
source "$(dirname "$0")/common.bash"
start_server || { finish; exit 1; }
# admin VERB ARGS...: the admin CLI, signing as root.
admin() { dotnet "$root/src/ObjStore/bin/Release/net10.0/objstore.dll" admin "$@" --endpoint "$ENDPOINT" --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY"; }
# Only the profiles sign: credentials in the environment would take precedence over --profile.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE="$WORK/aws-config" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials"

# same ACTUAL EXPECTED: prints both, succeeds when equal.
same() { printf 'actual:   %s\nexpected: %s\n' "$1" "$2"; [ "$1" = "$2" ]; }
# fails_with CODE COMMAND...: the command fails (non-zero exit) and its output names the error code.
fails_with() {
  local code=$1 out; shift
  if out=$("$@" 2>&1); then echo "succeeded, expected $code: $out"; return 1; fi
  echo "$out"; grep -qF "$code" <<<"$out"
}
# status_of URL: the HTTP status of an anonymous GET (body to $WORK/curl.out).
status_of() { curl -s -o "$WORK/curl.out" -w '%{http_code}' "$1"; }

b="acc-$RANDOM-$RANDOM"
other="other-$RANDOM-$RANDOM"
random_file "$WORK/app.bin" 70000
random_file "$WORK/root.bin" 5000
random_file "$WORK/pub.bin" 123457

# --- the user, its key and its policy, through the admin CLI
check "admin user add app" admin user add app
key_add() {
  admin key add app >"$WORK/key.txt" || return 1
  cat "$WORK/key.txt"
  APP_KEY=$(sed -n 's/^access key: //p' "$WORK/key.txt")
  APP_SECRET=$(sed -n 's/^secret key: //p' "$WORK/key.txt")
  [ -n "$APP_KEY" ] && [ -n "$APP_SECRET" ]
}
APP_KEY= APP_SECRET=
check "admin key add app: prints the access key and secret" key_add
check "admin policy set app --readwrite BUCKET/app/" admin policy set app --readwrite "$b/app/"
key_listed() { admin key list app | has -F "$APP_KEY"; }
check "admin key list app: lists the new key" key_listed

cat >"$AWS_CONFIG_FILE" <<EOF
[profile root]
region = us-east-1
s3 =
    signature_version = s3v4
[profile app]
region = us-east-1
s3 =
    signature_version = s3v4
EOF
cat >"$AWS_SHARED_CREDENTIALS_FILE" <<EOF
[root]
aws_access_key_id = $ACCESS_KEY
aws_secret_access_key = $SECRET_KEY
[app]
aws_access_key_id = $APP_KEY
aws_secret_access_key = $APP_SECRET
EOF

clients=()
[ -x /usr/bin/aws ] && clients+=("/usr/bin/aws")
command -v aws >/dev/null && [ "$(command -v aws)" != /usr/bin/aws ] && clients+=("$(command -v aws)")
[ ${#clients[@]} -gt 0 ] || { echo "no aws cli found"; failed=$((failed + 1)); }
AWS=${clients[0]:-aws}
R=("$AWS" --endpoint-url "$ENDPOINT" --profile root)
P=("$AWS" --endpoint-url "$ENDPOINT" --profile app)

check "root: s3 mb (the app user's bucket)" "${R[@]}" s3 mb "s3://$b"
check "root: s3 mb (another bucket)" "${R[@]}" s3 mb "s3://$other"
check "root: s3 cp an object outside app/" "${R[@]}" s3 cp --no-progress "$WORK/root.bin" "s3://$b/private/root.bin"
check "root: s3 cp an object into the other bucket" "${R[@]}" s3 cp --no-progress "$WORK/root.bin" "s3://$other/root.bin"

for aws in "${clients[@]}"; do
  v=$("$aws" --version 2>&1 | cut -d' ' -f1)
  A=("$aws" --endpoint-url "$ENDPOINT" --profile app)
  k="app/$v/file.bin"
  # --- inside the prefix
  check "$v app: s3 cp up under app/" "${A[@]}" s3 cp --no-progress "$WORK/app.bin" "s3://$b/$k"
  listed() { local out; out=$("${A[@]}" s3 ls --recursive "s3://$b/app/") && echo "$out" && grep -qF "$k" <<<"$out"; }
  check "$v app: s3 ls under app/ lists it" listed
  rm -f "$WORK/app.back"
  check "$v app: s3 cp down under app/" "${A[@]}" s3 cp --no-progress "s3://$b/$k" "$WORK/app.back"
  check "$v app: downloaded bytes" cmp "$WORK/app.bin" "$WORK/app.back"
  check "$v app: s3 rm under app/" "${A[@]}" s3 rm "s3://$b/$k"
  # Gone: root sees 404; app sees 403, as on AWS, since its policy lists the bucket only under app/ and S3 does not
  # tell a caller who may not list the bucket which keys are missing.
  gone() { fails_with "(404)" "${R[@]}" s3api head-object --bucket "$b" --key "$k" && fails_with "(403)" "${A[@]}" s3api head-object --bucket "$b" --key "$k"; }
  check "$v app: the removed object is gone (root: head-object 404; app, which may not list the bucket: 403)" gone
  # --- outside it
  check "$v app: s3 cp up outside app/ is AccessDenied" fails_with AccessDenied "${A[@]}" s3 cp --no-progress "$WORK/app.bin" "s3://$b/elsewhere/file.bin"
  check "$v app: s3 cp down of root's object outside app/ is AccessDenied" fails_with "403" "${A[@]}" s3 cp --no-progress "s3://$b/private/root.bin" "$WORK/denied.bin"
  check "$v app: get-object outside app/ is AccessDenied" fails_with AccessDenied "${A[@]}" s3api get-object --bucket "$b" --key private/root.bin "$WORK/denied.bin"
  check "$v app: s3 rm outside app/ is AccessDenied" fails_with AccessDenied "${A[@]}" s3 rm "s3://$b/private/root.bin"
  check "$v app: s3 ls of the whole bucket is AccessDenied" fails_with AccessDenied "${A[@]}" s3 ls "s3://$b/"
  check "$v app: s3 ls of another prefix is AccessDenied" fails_with AccessDenied "${A[@]}" s3 ls "s3://$b/private/"
  check "$v app: s3 cp into another bucket is AccessDenied" fails_with AccessDenied "${A[@]}" s3 cp --no-progress "$WORK/app.bin" "s3://$other/file.bin"
  check "$v app: s3 mb is AccessDenied" fails_with AccessDenied "${A[@]}" s3 mb "s3://app-own-$RANDOM$RANDOM"
  still_there() { "${R[@]}" s3api head-object --bucket "$b" --key private/root.bin >/dev/null; }
  check "$v app: root's object survived the denied rm" still_there
  # --- ACLs on a bucket with ACLs disabled (BucketOwnerEnforced, the default)
  RA=("$aws" --endpoint-url "$ENDPOINT" --profile root)
  check "$v root: s3 cp --acl public-read into a new bucket is AccessControlListNotSupported" \
    fails_with AccessControlListNotSupported "${RA[@]}" s3 cp --no-progress --acl public-read "$WORK/root.bin" "s3://$b/acl/$v.bin"
  not_stored() { fails_with "(404)" "${RA[@]}" s3api head-object --bucket "$b" --key "acl/$v.bin"; }
  check "$v root: the refused upload stored nothing" not_stored
  check "$v root: put-object --acl bucket-owner-full-control is accepted" "${RA[@]}" s3api put-object --bucket "$b" --key "acl/$v-bofc.bin" --body "$WORK/root.bin" --acl bucket-owner-full-control
done

# --- a public bucket policy
public_policy() {
  printf '{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/pub/*"}]}' "$1"
}
public_policy "$b" >"$WORK/policy.json"
public_policy "$other" >"$WORK/other-policy.json"
check "root: s3 cp the public object" "${R[@]}" s3 cp --no-progress "$WORK/pub.bin" "s3://$b/pub/obj.bin"
check "anonymous curl before the policy: 403" eval 'same "$(status_of "$ENDPOINT/$b/pub/obj.bin")" 403'
check "root: put-bucket-policy public while the public access block is on: AccessDenied" \
  fails_with AccessDenied "${R[@]}" s3api put-bucket-policy --bucket "$other" --policy "file://$WORK/other-policy.json"
block_on() { "${R[@]}" s3api get-public-access-block --bucket "$b" --output json | tee /dev/stderr |
  python3 -c 'import json,sys; c=json.load(sys.stdin)["PublicAccessBlockConfiguration"]; sys.exit(0 if all(c[k] for k in ("BlockPublicAcls","IgnorePublicAcls","BlockPublicPolicy","RestrictPublicBuckets")) else 1)'; }
check "root: a new bucket has all four public access block settings on" block_on
check "root: delete-public-access-block" "${R[@]}" s3api delete-public-access-block --bucket "$b"
check "root: get-public-access-block after delete: NoSuchPublicAccessBlockConfiguration" \
  fails_with NoSuchPublicAccessBlockConfiguration "${R[@]}" s3api get-public-access-block --bucket "$b"
check "root: put-bucket-policy public-read on pub/*" "${R[@]}" s3api put-bucket-policy --bucket "$b" --policy "file://$WORK/policy.json"
policy_back() { "${R[@]}" s3api get-bucket-policy --bucket "$b" --query Policy --output text | python3 -c 'import json,sys; p=json.load(sys.stdin); sys.exit(0 if p["Statement"][0]["Principal"] == "*" else 1)'; }
check "root: get-bucket-policy returns it" policy_back
check "root: get-bucket-policy-status IsPublic true" eval 'same "$("${R[@]}" s3api get-bucket-policy-status --bucket "$b" --query PolicyStatus.IsPublic --output text)" True'
check "anonymous curl of the public object: 200" eval 'same "$(status_of "$ENDPOINT/$b/pub/obj.bin")" 200'
check "anonymous curl: bytes exact" cmp "$WORK/pub.bin" "$WORK/curl.out"
check "anonymous curl outside pub/ in the same bucket: 403" eval 'same "$(status_of "$ENDPOINT/$b/private/root.bin")" 403'
check "anonymous curl of another bucket's object: 403" eval 'same "$(status_of "$ENDPOINT/$other/root.bin")" 403'
check "anonymous curl PUT into pub/: 403 (the policy grants GetObject only)" eval \
  'same "$(curl -s -o /dev/null -w "%{http_code}" -X PUT --data-binary @"$WORK/root.bin" "$ENDPOINT/$b/pub/anon.bin")" 403'
check "root: other bucket's policy status without a policy: NoSuchBucketPolicy" \
  fails_with NoSuchBucketPolicy "${R[@]}" s3api get-bucket-policy-status --bucket "$other"

# --- boto3 as the app user
python=/usr/bin/python3
$python -c 'import boto3' 2>/dev/null || python=python3
$python "$(dirname "$0")/python/boto3_access.py" "$ENDPOINT" "$APP_KEY" "$APP_SECRET" "$b" "$WORK" | tee "$WORK/boto3.log"
boto_ok=$(grep -c '^ok' "$WORK/boto3.log"); boto_failed=$(grep -c '^FAIL' "$WORK/boto3.log")
[ "$boto_ok" -gt 0 ] || boto_failed=$((boto_failed + 1))
passed=$((passed + boto_ok)); failed=$((failed + boto_failed))

# --- the key's life
app_works() { "${P[@]}" s3api list-objects-v2 --bucket "$b" --prefix app/; }
check "app: signs fine before disable" app_works
check "admin user disable app" admin user disable app
check "disabled user: its key is refused (InvalidAccessKeyId)" fails_with InvalidAccessKeyId "${P[@]}" s3 ls "s3://$b/app/"
check "disabled user: presigning does not help (403)" eval \
  'same "$(status_of "$("${P[@]}" s3 presign "s3://$b/app/x")")" 403'
check "admin user enable app" admin user enable app
check "enabled again: the key signs again" app_works
check "admin key remove USER KEY refuses a key that is not that user's" fails_with "has no access key" admin key remove nobody "$APP_KEY"
check "admin key remove app KEY" admin key remove app "$APP_KEY"
check "removed key: refused (InvalidAccessKeyId)" fails_with InvalidAccessKeyId "${P[@]}" s3 ls "s3://$b/app/"
key_gone() { ! admin key list app | has -F "$APP_KEY"; }
check "admin key list app: the key is gone" key_gone
finish
