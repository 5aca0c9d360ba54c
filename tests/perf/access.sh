#!/usr/bin/env bash
# Issue 16's budget: authorization must not show in the small-object numbers. 4 KiB PUT and GET at 32 clients by a
# user whose identity policy has 10 statements, into a bucket whose policy has 20 (every one evaluated per request:
# the granting statements come last), against the root user in a bucket without a policy (which skips authorization
# altogether), on the same `objstore dev`, alternating REPS times per case (medians, ratio).
#   tests/perf/access.sh
#   REPS=5 SECONDS_PER_RUN=8 CASES="get:4KiB:32" tests/perf/access.sh
set -uo pipefail
reps=${REPS:-3}
seconds=${SECONDS_PER_RUN:-5}
cases=${CASES:-"put:4KiB:32 get:4KiB:32"}
source "$(dirname "$0")/dev-server.bash"
admin() { dotnet "$objstore" admin "$@" --endpoint "$endpoint" --access-key perf --secret-key perf-secret-key; }

# The user: nine statements about other buckets, then the one that grants this bucket.
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
others = [{"Sid": f"Other{i}", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
           "Resource": f"arn:aws:s3:::other-bucket-{i}/team-{i}/*"} for i in range(8)]
others.append({"Sid": "NoBucketDeletes", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"})
grant = {"Sid": "Bench", "Effect": "Allow", "Action": ["s3:CreateBucket", "s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
         "Resource": ["arn:aws:s3:::perf-user", "arn:aws:s3:::perf-user/*"]}
json.dump({"Version": "2012-10-17", "Statement": others + [grant]}, open(f"{work}/identity.json", "w"))
# The bucket: a deny by source address (evaluated, never matching), eighteen statements for other users and
# prefixes, then a statement for the bench user.
statements = [{"Sid": "LoopbackOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
               "Resource": ["arn:aws:s3:::perf-user", "arn:aws:s3:::perf-user/*"],
               "Condition": {"NotIpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]}}}]
statements += [{"Sid": f"Team{i}", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam:::user/team-{i}"},
                "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::perf-user/team-{i}/*",
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}} for i in range(18)]
statements.append({"Sid": "Bench", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam:::user/bench"},
                   "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::perf-user/*"})
json.dump({"Version": "2012-10-17", "Statement": statements}, open(f"{work}/bucket.json", "w"))
PY
admin user add bench >/dev/null
admin policy set bench "$work/identity.json" >/dev/null
read -r user_key user_secret < <(admin key add bench | awk '/access key:/ {a=$3} /secret key:/ {s=$3} END {print a, s}')
# The user creates its bucket (one warm-up PUT), then the root gives it the policy through the S3 API.
dotnet "$objstore" bench s3 --endpoint "$endpoint" --access-key "$user_key" --secret-key "$user_secret" --bucket perf-user \
  --op put --size 4KiB --concurrency 1 --objects 1 --keep >/dev/null
AWS_ACCESS_KEY_ID=perf AWS_SECRET_ACCESS_KEY=perf-secret-key AWS_DEFAULT_REGION=us-east-1 \
  aws --endpoint-url "$endpoint" s3api put-bucket-policy --bucket perf-user --policy "file://$work/bucket.json" \
  || { echo "put-bucket-policy failed" >&2; exit 1; }

target_args() {
  case $1 in
    root) args=(--endpoint "$endpoint" --access-key perf --secret-key perf-secret-key --keep); bucket=perf-root ;;
    policies) args=(--endpoint "$endpoint" --access-key "$user_key" --secret-key "$user_secret" --keep); bucket=perf-user ;;
  esac
}
source "$(dirname "$0")/common.bash"
compare root policies "root, no policies" "user, 10 + 20 statements"
