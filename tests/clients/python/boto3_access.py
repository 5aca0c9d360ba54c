"""boto3 as a user whose policy is --readwrite BUCKET/app/ (run by ../access.sh): put/get/list/delete under app/
work; the same calls outside app/ are AccessDenied (ClientError codes); presigned GET URLs made with the user's key
download the bytes via curl inside the prefix and are 403 outside it. Prints one "ok"/"FAIL" line per step."""
import os
import subprocess
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, access_key, secret_key, bucket, work = sys.argv[1:6]
s3 = boto3.client(
    "s3", endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
    region_name="us-east-1",
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
failures = 0


def step(name, fn):
    global failures
    try:
        fn()
        print(f"ok   boto3 {name}")
    except Exception as e:  # noqa: BLE001 - every failure is reported, then counted
        failures += 1
        print(f"FAIL boto3 {name}: {e!r}")


def denied(call, **kwargs):
    """The call fails with AccessDenied (HEAD answers have no body: 403 then)."""
    def run():
        try:
            call(**kwargs)
        except ClientError as e:
            code = e.response["Error"]["Code"]
            if code not in ("AccessDenied", "403"):
                raise AssertionError(f"expected AccessDenied, got {code}") from e
            return
        raise AssertionError("succeeded, expected AccessDenied")
    return run


def curl(url):
    """(status, body) of a plain GET of the URL."""
    out = os.path.join(work, "presigned.out")
    status = subprocess.run(["curl", "-s", "-o", out, "-w", "%{http_code}", url],
                            check=True, capture_output=True, text=True).stdout
    with open(out, "rb") as f:
        return status, f.read()


def expect(actual, expected):
    if actual != expected:
        raise AssertionError(f"got {actual!r}, expected {expected!r}")


data = os.urandom(54321)
key = "app/boto3/object.bin"


def put_inside():
    s3.put_object(Bucket=bucket, Key=key, Body=data)


def get_inside():
    expect(s3.get_object(Bucket=bucket, Key=key)["Body"].read(), data)


def list_inside():
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="app/boto3/").get("Contents", [])]
    expect(keys, [key])


def presigned_inside():
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    status, body = curl(url)
    expect(status, "200")
    expect(body, data)


def presigned_outside():
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "private/root.bin"}, ExpiresIn=300)
    status, body = curl(url)
    expect(status, "403")
    if b"AccessDenied" not in body:
        raise AssertionError(f"no AccessDenied in {body[:300]!r}")


def presigned_put_outside():
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "elsewhere/presigned.bin"}, ExpiresIn=300)
    status = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "--data-binary", "x", url],
                            check=True, capture_output=True, text=True).stdout
    expect(status, "403")


def delete_inside():
    s3.delete_object(Bucket=bucket, Key=key)
    expect(s3.list_objects_v2(Bucket=bucket, Prefix="app/boto3/").get("KeyCount"), 0)


step("put_object under app/", put_inside)
step("get_object under app/: the bytes", get_inside)
step("list_objects_v2 Prefix=app/boto3/: just the object", list_inside)
step("presigned GET under app/ via curl: 200 and the bytes", presigned_inside)
step("presigned GET outside app/ via curl: 403 AccessDenied", presigned_outside)
step("presigned PUT outside app/ via curl: 403", presigned_put_outside)
step("put_object outside app/: AccessDenied", denied(s3.put_object, Bucket=bucket, Key="elsewhere/x.bin", Body=b"x"))
step("get_object outside app/: AccessDenied", denied(s3.get_object, Bucket=bucket, Key="private/root.bin"))
step("head_object outside app/: 403", denied(s3.head_object, Bucket=bucket, Key="private/root.bin"))
step("delete_object outside app/: AccessDenied", denied(s3.delete_object, Bucket=bucket, Key="private/root.bin"))
step("list_objects_v2 of the whole bucket: AccessDenied", denied(s3.list_objects_v2, Bucket=bucket))
step("list_objects_v2 Prefix=private/: AccessDenied", denied(s3.list_objects_v2, Bucket=bucket, Prefix="private/"))
step("put_bucket_policy: AccessDenied", denied(s3.put_bucket_policy, Bucket=bucket, Policy='{"Version":"2012-10-17","Statement":[]}'))
def lists_only_what_it_may_list():
    # The --readwrite policy allows ListBuckets; a user sees the buckets it owns or may list (this one only under app/).
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert bucket not in names, names
step("list_buckets: allowed, without the bucket it may list only under a prefix", lists_only_what_it_may_list)
step("delete_object under app/", delete_inside)
sys.exit(1 if failures else 0)
