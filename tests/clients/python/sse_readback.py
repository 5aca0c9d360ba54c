"""Reads back objects with boto3 and compares their bytes: MANIFEST has one "BUCKET KEY SSE-C-KEY-OR--- LOCAL-FILE"
line per object (-- for objects that need no customer key). One process for all of them, as aws-cli starts slowly.
Prints the objects that differ or fail and exits non-zero if any did."""
import sys

import boto3
from botocore.config import Config

endpoint, access_key, secret_key, manifest = sys.argv[1:5]
s3 = boto3.client(
    "s3", endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
    region_name="us-east-1", config=Config(signature_version="s3v4", retries={"max_attempts": 1}))
bad = total = 0
for line in open(manifest, encoding="utf-8"):
    bucket, key, customer_key, path = line.rstrip("\n").split(" ", 3)
    extra = {} if customer_key == "--" else {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": customer_key}
    total += 1
    try:
        with open(path, "rb") as f:
            expected = f.read()
        got = s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()
        if got != expected:
            bad += 1
            print(f"{bucket}/{key}: {len(got)} bytes differ from {path} ({len(expected)} bytes)")
    except Exception as e:  # noqa: BLE001 - every failure is reported, then counted
        bad += 1
        print(f"{bucket}/{key}: {e!r}")
print(f"{total - bad} of {total} objects read back byte-identical")
sys.exit(1 if bad or not total else 0)
