"""boto3 and server-side encryption against an ObjStore endpoint (SSE-C allowed over plain HTTP): put_object and
get_object with SSECustomerAlgorithm/SSECustomerKey (botocore base64-encodes the key and computes its MD5), the
refusals of a GET with a wrong key (403) and without one (400), and an SSE-KMS put_object with SSEKMSKeyId (the key
was added with `objstore admin kms key add`). Writes the objects' bytes under WORK so the calling script can read
them back after a master key rotation and a restart. Prints one "ok"/"FAIL" line per step."""
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, access_key, secret_key, work, bucket, kms_key_id = sys.argv[1:7]
s3 = boto3.client(
    "s3", endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
    region_name="us-east-1", config=Config(signature_version="s3v4", retries={"max_attempts": 1}))
failures = 0
customer_key = b"boto3-customer-key-0123456789abc"  # 32 bytes
wrong_key = b"boto3-customer-key-0123456789abX"
assert len(customer_key) == 32 and len(wrong_key) == 32
ssec = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": customer_key}


def step(name, fn):
    global failures
    try:
        fn()
        print(f"ok   boto3 {name}")
    except Exception as e:  # noqa: BLE001 - every failure is reported, then counted
        failures += 1
        print(f"FAIL boto3 {name}: {e!r}")


def expect_error(status, fn):
    try:
        fn()
    except ClientError as e:
        got = e.response["ResponseMetadata"]["HTTPStatusCode"]
        assert got == status, f"HTTP {got} ({e.response.get('Error')}), expected {status}"
        return
    raise AssertionError(f"no error, expected HTTP {status}")


body_c = os.urandom(300_000)
body_k = os.urandom(123_457)
with open(os.path.join(work, "boto3-ssec.bin"), "wb") as f:
    f.write(body_c)
with open(os.path.join(work, "boto3-kms.bin"), "wb") as f:
    f.write(body_k)


def put_ssec():
    r = s3.put_object(Bucket=bucket, Key="boto3/ssec.bin", Body=body_c, **ssec)
    assert r["SSECustomerAlgorithm"] == "AES256", r
    assert "SSECustomerKeyMD5" in r, r


def get_ssec():
    r = s3.get_object(Bucket=bucket, Key="boto3/ssec.bin", **ssec)
    assert r["SSECustomerAlgorithm"] == "AES256", r
    assert r["Body"].read() == body_c, "bytes differ"


def get_ssec_range():
    r = s3.get_object(Bucket=bucket, Key="boto3/ssec.bin", Range="bytes=65530-131080", **ssec)
    assert r["Body"].read() == body_c[65530:131081], "ranged bytes differ"


def head_ssec():
    r = s3.head_object(Bucket=bucket, Key="boto3/ssec.bin", **ssec)
    assert r["SSECustomerAlgorithm"] == "AES256" and r["ContentLength"] == len(body_c), r


def put_kms():
    r = s3.put_object(Bucket=bucket, Key="boto3/kms.bin", Body=body_k, ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key_id)
    assert r["ServerSideEncryption"] == "aws:kms", r
    assert kms_key_id in r.get("SSEKMSKeyId", ""), r


def get_kms():
    r = s3.get_object(Bucket=bucket, Key="boto3/kms.bin")
    assert r["ServerSideEncryption"] == "aws:kms" and kms_key_id in r.get("SSEKMSKeyId", ""), r
    assert r["Body"].read() == body_k, "bytes differ"


step("put_object SSE-C", put_ssec)
step("get_object SSE-C with the key", get_ssec)
step("get_object SSE-C ranged", get_ssec_range)
step("head_object SSE-C with the key", head_ssec)
step("get_object SSE-C with a wrong key: ClientError 403",
     lambda: expect_error(403, lambda: s3.get_object(
         Bucket=bucket, Key="boto3/ssec.bin", SSECustomerAlgorithm="AES256", SSECustomerKey=wrong_key)))
step("get_object SSE-C without a key: ClientError 400",
     lambda: expect_error(400, lambda: s3.get_object(Bucket=bucket, Key="boto3/ssec.bin")))
step("put_object SSE-KMS with SSEKMSKeyId", put_kms)
step("get_object SSE-KMS", get_kms)
sys.exit(1 if failures else 0)
