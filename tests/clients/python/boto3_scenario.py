"""boto3 against an ObjStore endpoint: multipart upload_file, download_file, paginated list_objects_v2,
delete_objects, and the connection edge cases botocore trips on (an early refusal of a PUT sent with
Expect: 100-continue, an empty PUT). Prints one "ok"/"FAIL" line per step and exits non-zero when any failed."""
import hashlib
import io
import os
import sys
import time

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

endpoint, access_key, secret_key, work = sys.argv[1:5]
s3 = boto3.client(
    "s3", endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
    region_name="us-east-1", config=Config(signature_version="s3v4", retries={"max_attempts": 1}))
failures = 0


def step(name, fn):
    global failures
    try:
        fn()
        print(f"ok   boto3 {name}")
    except Exception as e:  # noqa: BLE001 - every failure is reported, then counted
        failures += 1
        print(f"FAIL boto3 {name}: {e!r}")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


bucket = "boto3-bucket"
source = os.path.join(work, "source.bin")
with open(source, "wb") as f:
    f.write(os.urandom(23 * 1024 * 1024 + 5))
multipart = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024, max_concurrency=4)


def create_bucket():
    s3.create_bucket(Bucket=bucket)


def upload():
    s3.upload_file(source, bucket, "big/ünï object.bin", Config=multipart,
                   ExtraArgs={"ContentType": "application/x-test", "Metadata": {"origin": "boto3"}})
    head = s3.head_object(Bucket=bucket, Key="big/ünï object.bin")
    assert head["ETag"].strip('"').endswith("-5"), head["ETag"]
    assert head["ContentLength"] == os.path.getsize(source)
    assert head["ContentType"] == "application/x-test" and head["Metadata"] == {"origin": "boto3"}, head


def download():
    target = os.path.join(work, "back.bin")
    s3.download_file(bucket, "big/ünï object.bin", target, Config=multipart)
    assert sha256(target) == sha256(source)


def part_get():
    response = s3.get_object(Bucket=bucket, Key="big/ünï object.bin", PartNumber=2)
    assert response["PartsCount"] == 5, response.get("PartsCount")
    with open(source, "rb") as f:
        f.seek(5 * 1024 * 1024)
        assert response["Body"].read() == f.read(5 * 1024 * 1024)


def paginate():
    for i in range(25):
        s3.put_object(Bucket=bucket, Key=f"many/{i:03d}", Body=f"value {i}".encode())
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="many/", PaginationConfig={"PageSize": 10}))
    keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
    assert len(pages) == 3, len(pages)
    assert keys == [f"many/{i:03d}" for i in range(25)], keys


def versions_of_an_unversioned_bucket():
    # A bucket whose versioning was never enabled: an empty configuration, each object its key's "null" version.
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix="many/", PaginationConfig={"PageSize": 10}))
    versions = [v for p in pages for v in p.get("Versions", [])]
    assert len(pages) == 3, len(pages)
    assert [v["Key"] for v in versions] == [f"many/{i:03d}" for i in range(25)], versions
    assert all(v["VersionId"] == "null" and v["IsLatest"] for v in versions), versions


def delete_objects():
    keys = [{"Key": f"many/{i:03d}"} for i in range(25)] + [{"Key": "big/ünï object.bin"}]
    response = s3.delete_objects(Bucket=bucket, Delete={"Objects": keys})
    assert len(response["Deleted"]) == 26 and not response.get("Errors"), response
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def refused_put_keeps_connection_usable():
    # Refused before its body is read (botocore waits for 100 Continue and never sends it): the next valid request
    # on the pooled connection must not be desynchronised by the unread body.
    for i in range(5):
        try:
            s3.put_object(Bucket="no-such-bucket-boto3", Key="k", Body=io.BytesIO(b"y" * 200_000))
            raise AssertionError("PUT into a missing bucket succeeded")
        except s3.exceptions.NoSuchBucket:
            pass
        s3.put_object(Bucket=bucket, Key=f"after-refusal/{i}", Body=io.BytesIO(b"z" * 200_000))
    assert s3.list_objects_v2(Bucket=bucket, Prefix="after-refusal/")["KeyCount"] == 5
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"after-refusal/{i}"} for i in range(5)]})


def empty_put_then_put():
    # botocore sends Expect: 100-continue with an empty body too; without the server's workaround the next PUT on
    # that pooled connection waited for botocore's read timeout (60 s).
    quick = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
        region_name="us-east-1", config=Config(signature_version="s3v4", retries={"max_attempts": 1}, read_timeout=20))
    quick.put_object(Bucket=bucket, Key="empty", Body=io.BytesIO(b""))
    started = time.monotonic()
    quick.put_object(Bucket=bucket, Key="after-empty", Body=io.BytesIO(b"x" * 100))
    elapsed = time.monotonic() - started
    assert elapsed < 10, f"the PUT after an empty PUT took {elapsed:.1f} s"
    assert quick.head_object(Bucket=bucket, Key="empty")["ContentLength"] == 0
    quick.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "empty"}, {"Key": "after-empty"}]})


def delete_bucket():
    s3.delete_bucket(Bucket=bucket)


for name, fn in [("create_bucket", create_bucket), ("upload_file multipart", upload), ("download_file", download),
                 ("get_object PartNumber", part_get), ("paginated list_objects_v2", paginate),
                 ("list_object_versions paginator", versions_of_an_unversioned_bucket),
                 ("delete_objects", delete_objects),
                 ("refused PUT keeps the connection usable", refused_put_keeps_connection_usable),
                 ("PUT after an empty PUT", empty_put_then_put), ("delete_bucket", delete_bucket)]:
    step(name, fn)
sys.exit(1 if failures else 0)
