#!/usr/bin/env bash
# boto3 (Debian's python3-boto3, run by /usr/bin/python3) against a fresh `objstore dev`; see python/boto3_scenario.py.
source "$(dirname "$0")/common.bash"
start_server || { finish; exit 1; }
python=/usr/bin/python3
$python -c 'import boto3' 2>/dev/null || python=python3
$python "$(dirname "$0")/python/boto3_scenario.py" "$ENDPOINT" "$ACCESS_KEY" "$SECRET_KEY" "$WORK" | tee "$WORK/boto3.log"
passed=$(grep -c '^ok' "$WORK/boto3.log"); failed=$(grep -c '^FAIL' "$WORK/boto3.log")
[ "$passed" -gt 0 ] || failed=$((failed + 1))
finish
