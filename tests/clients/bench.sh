#!/usr/bin/env bash
# `objstore bench s3` and `bench compare` as a user runs them, against a fresh `objstore dev`: exit statuses, and
# JSON reports whose numbers agree with what the store then holds (ops = objects listed, bytes = ops x size).
source "$(dirname "$0")/common.bash"
start_server || { finish; exit 1; }
objstore=(dotnet "$root/src/ObjStore/bin/Release/net10.0/objstore.dll")
B=("${objstore[@]}" bench s3 --endpoint "$ENDPOINT" --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY")
export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
aws=/usr/bin/aws; [ -x "$aws" ] || aws=aws
json() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

check "put 20 x 2KiB, kept" "${B[@]}" --bucket bench-cli --op put --size 2KiB --objects 20 --concurrency 4 --keep --json "$WORK/put.json"
ops_and_bytes() { [ "$(json "$WORK/put.json" "r['operations'][0]['ops']")" = 20 ] && [ "$(json "$WORK/put.json" "r['operations'][0]['bytes']")" = 40960 ]; }
check "report: 20 ops, 40960 bytes" ops_and_bytes
listed() { [ "$("$aws" --endpoint-url "$ENDPOINT" s3 ls --recursive s3://bench-cli | wc -l)" = 20 ]; }
check "20 objects listed afterwards" listed
series() { [ "$(json "$WORK/put.json" "sum(p['ops'] for p in r['series'])")" = 20 ]; }
check "per-second series adds up" series
check "get 10 x 64KiB with --verify" "${B[@]}" --bucket bench-cli-get --op get --size 64KiB --objects 10 --verify --json "$WORK/get.json"
check "timed stat run" "${B[@]}" --bucket bench-cli-get --op stat --size 1KiB --objects 10 --duration 1s
compare() { "${objstore[@]}" bench compare "$WORK/put.json" "$WORK/put.json" | grep -Eq '^put +1\.000 +1\.000'; }
check "bench compare of a report with itself is 1.000" compare
refused() { "${B[@]}" --bucket bench-cli --op put --objects 3 --no-sign --keep --json "$WORK/denied.json"; [ $? -eq 1 ]; }
check "errors give exit status 1" refused
codes() { [ "$(json "$WORK/denied.json" "r['operations'][0]['error_codes']['AccessDenied (403)']")" = 3 ]; }
check "errors counted by S3 code" codes
bad_option() { "${B[@]}" --op nonsense; [ $? -eq 2 ]; }
check "a bad option gives exit status 2" bad_option
finish
