"""boto3 against an ObjStore endpoint: multipart upload_file, download_file, paginated list_objects_v2,
delete_objects, and the connection edge cases botocore trips on (an early refusal of a PUT sent with
Expect: 100-continue, an empty PUT). Versioning: the resource API's object_versions, the ListObjectVersions paginator
over 25 versions, get_object with VersionId, delete_objects with VersionId entries, copy from a version. Object Lock:
retention and legal hold put/get and the refusals AWS documents (ClientError codes). Prints one "ok"/"FAIL" line per
step and exits non-zero when any failed."""
import datetime
import hashlib
import io
import os
import sys
import time

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, access_key, secret_key, work = sys.argv[1:5]
s3 = boto3.client(
    "s3", endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
    region_name="us-east-1", config=Config(signature_version="s3v4", retries={"max_attempts": 1}))
resource = boto3.resource(
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


def refused(code, fn, **kwargs):
    """Calls fn(**kwargs), which must fail with ClientError code `code`; returns the error response."""
    try:
        fn(**kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"{got} ({e}), expected {code}"
        return e.response
    raise AssertionError(f"{fn.__name__} succeeded, expected {code}")


def is_version_id(value):
    return isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)


vbucket = "boto3-versions"
state = {}


def enable_versioning():
    s3.create_bucket(Bucket=vbucket)
    s3.put_bucket_versioning(Bucket=vbucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=vbucket).get("Status") == "Enabled"


def resource_object_versions():
    ids = [s3.put_object(Bucket=vbucket, Key="res/doc", Body=f"resource {i}".encode())["VersionId"] for i in range(3)]
    assert all(is_version_id(i) for i in ids) and len(set(ids)) == 3, ids
    deleted = s3.delete_object(Bucket=vbucket, Key="res/doc")
    assert deleted["DeleteMarker"] is True and is_version_id(deleted["VersionId"]), deleted
    listed = list(resource.Bucket(vbucket).object_versions.filter(Prefix="res/"))
    got = [(v.object_key, v.id, v.is_latest) for v in listed]
    want = [("res/doc", ids[2], False), ("res/doc", ids[1], False), ("res/doc", ids[0], False),
            ("res/doc", deleted["VersionId"], True)]
    assert got == want, got
    for i, version in enumerate(reversed(listed[:3])):
        assert version.get()["Body"].read() == f"resource {i}".encode(), version.id
    assert resource.ObjectVersion(vbucket, "res/doc", ids[0]).head()["ContentLength"] == len(b"resource 0")
    # The collection's batch delete sends DeleteObjects with each VersionId: every version and the marker go.
    resource.Bucket(vbucket).object_versions.filter(Prefix="res/").delete()
    assert not list(resource.Bucket(vbucket).object_versions.filter(Prefix="res/"))


def paginate_versions():
    # 5 keys x 5 versions, written round by round so that key order and version order differ from write order.
    newest_first = {k: [] for k in range(5)}
    for r in range(5):
        for k in range(5):
            vid = s3.put_object(Bucket=vbucket, Key=f"pg/{k}", Body=f"key {k} round {r}".encode())["VersionId"]
            newest_first[k].insert(0, (vid, r))
    state["pg"] = newest_first
    pages = list(s3.get_paginator("list_object_versions").paginate(
        Bucket=vbucket, Prefix="pg/", PaginationConfig={"PageSize": 4}))
    assert len(pages) == 7, len(pages)
    for p in pages:
        assert len(p.get("Versions", [])) + len(p.get("DeleteMarkers", [])) <= 4 and p["MaxKeys"] == 4, p
    assert [p["IsTruncated"] for p in pages] == [True] * 6 + [False]
    got = [(v["Key"], v["VersionId"], v["IsLatest"]) for p in pages for v in p.get("Versions", [])]
    want = [(f"pg/{k}", vid, i == 0) for k in range(5) for i, (vid, _) in enumerate(newest_first[k])]
    assert got == want, got
    # MaxItems with StartingToken: the same 25, ten at a time.
    resumed, token = [], None
    for _ in range(5):
        config = {"PageSize": 4, "MaxItems": 10, **({"StartingToken": token} if token else {})}
        part = s3.get_paginator("list_object_versions").paginate(
            Bucket=vbucket, Prefix="pg/", PaginationConfig=config).build_full_result()
        resumed += [(v["Key"], v["VersionId"], v["IsLatest"]) for v in part.get("Versions", [])]
        token = part.get("NextToken")
        if not token:
            break
    assert resumed == want, resumed


def get_with_version_id():
    for k, versions in state["pg"].items():
        for vid, r in versions:
            response = s3.get_object(Bucket=vbucket, Key=f"pg/{k}", VersionId=vid)
            assert response["VersionId"] == vid and response["Body"].read() == f"key {k} round {r}".encode(), (k, vid)
    refused("NoSuchVersion", s3.get_object, Bucket=vbucket, Key="pg/0", VersionId="0" * 32)


def delete_objects_with_versions():
    a = [s3.put_object(Bucket=vbucket, Key="dm/a", Body=f"a{i}".encode())["VersionId"] for i in range(2)]
    b = s3.put_object(Bucket=vbucket, Key="dm/b", Body=b"b0")["VersionId"]
    response = s3.delete_objects(Bucket=vbucket, Delete={"Objects": [
        {"Key": "dm/a", "VersionId": a[0]}, {"Key": "dm/b"}, {"Key": "dm/none", "VersionId": "0" * 32}]})
    assert not response.get("Errors"), response
    deleted = {d["Key"]: d for d in response["Deleted"]}
    assert deleted["dm/a"] == {"Key": "dm/a", "VersionId": a[0]}, deleted["dm/a"]
    marker = deleted["dm/b"].get("DeleteMarkerVersionId")
    assert deleted["dm/b"].get("DeleteMarker") is True and is_version_id(marker) and "VersionId" not in deleted["dm/b"], deleted
    assert deleted["dm/none"] == {"Key": "dm/none", "VersionId": "0" * 32}, deleted["dm/none"]
    refused("404", s3.head_object, Bucket=vbucket, Key="dm/b")
    # Deleting the marker by its id: DeleteMarker true and both ids set to it; dm/b is back.
    response = s3.delete_objects(Bucket=vbucket, Delete={"Objects": [{"Key": "dm/b", "VersionId": marker}]})
    assert response["Deleted"] == [{"Key": "dm/b", "VersionId": marker, "DeleteMarker": True,
                                    "DeleteMarkerVersionId": marker}], response
    assert s3.head_object(Bucket=vbucket, Key="dm/b")["VersionId"] == b
    listed = s3.list_object_versions(Bucket=vbucket, Prefix="dm/")
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in listed["Versions"]] == [
        ("dm/a", a[1], True), ("dm/b", b, True)], listed
    assert not listed.get("DeleteMarkers"), listed


def copy_from_version():
    vid, r = state["pg"][3][-1]
    response = s3.copy_object(Bucket=vbucket, Key="copied", CopySource={"Bucket": vbucket, "Key": "pg/3", "VersionId": vid})
    assert response["CopySourceVersionId"] == vid and is_version_id(response["VersionId"]), response
    assert s3.get_object(Bucket=vbucket, Key="copied")["Body"].read() == f"key 3 round {r}".encode()


lbucket = "boto3-lock"
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
until, later, sooner = now + datetime.timedelta(days=2), now + datetime.timedelta(days=3), now + datetime.timedelta(days=1)


def lock_bucket():
    s3.create_bucket(Bucket=lbucket, ObjectLockEnabledForBucket=True)
    assert s3.get_bucket_versioning(Bucket=lbucket).get("Status") == "Enabled"
    config = s3.get_object_lock_configuration(Bucket=lbucket)["ObjectLockConfiguration"]
    assert config == {"ObjectLockEnabled": "Enabled"}, config


def lock_refused_elsewhere():
    s3.create_bucket(Bucket="boto3-plain")
    refused("InvalidBucketState", s3.put_object_lock_configuration, Bucket="boto3-plain",
            ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    s3.put_object(Bucket="boto3-plain", Key="k", Body=b"plain")
    refused("InvalidRequest", s3.get_object_retention, Bucket="boto3-plain", Key="k")
    refused("InvalidRequest", s3.put_object_legal_hold, Bucket="boto3-plain", Key="k", LegalHold={"Status": "ON"})
    refused("InvalidRequest", s3.put_object, Bucket="boto3-plain", Key="locked", Body=b"x",
            ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)
    refused("ObjectLockConfigurationNotFoundError", s3.get_object_lock_configuration, Bucket="boto3-plain")


def governance_retention():
    vid = s3.put_object(Bucket=lbucket, Key="gov", Body=b"governed", ObjectLockMode="GOVERNANCE",
                        ObjectLockRetainUntilDate=until)["VersionId"]
    state["gov"] = vid
    head = s3.head_object(Bucket=lbucket, Key="gov", VersionId=vid)
    assert head["ObjectLockMode"] == "GOVERNANCE" and head["ObjectLockRetainUntilDate"] == until, head
    assert s3.get_object_retention(Bucket=lbucket, Key="gov", VersionId=vid)["Retention"] == {
        "Mode": "GOVERNANCE", "RetainUntilDate": until}
    s3.put_object_retention(Bucket=lbucket, Key="gov", VersionId=vid, Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later})
    assert s3.get_object_retention(Bucket=lbucket, Key="gov", VersionId=vid)["Retention"]["RetainUntilDate"] == later
    refused("AccessDenied", s3.put_object_retention, Bucket=lbucket, Key="gov", VersionId=vid,
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": sooner})
    refused("AccessDenied", s3.put_object_retention, Bucket=lbucket, Key="gov", VersionId=vid,
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later})
    s3.put_object_retention(Bucket=lbucket, Key="gov", VersionId=vid, BypassGovernanceRetention=True,
                            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": sooner})
    assert s3.get_object_retention(Bucket=lbucket, Key="gov", VersionId=vid)["Retention"] == {
        "Mode": "GOVERNANCE", "RetainUntilDate": sooner}
    past = now - datetime.timedelta(days=1)
    error = refused("InvalidArgument", s3.put_object_retention, Bucket=lbucket, Key="gov", VersionId=vid,
                    BypassGovernanceRetention=True, Retention={"Mode": "GOVERNANCE", "RetainUntilDate": past})
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400, error
    refused("AccessDenied", s3.delete_object, Bucket=lbucket, Key="gov", VersionId=vid)


def delete_objects_with_a_locked_version():
    free = s3.put_object(Bucket=lbucket, Key="free", Body=b"no lock")["VersionId"]
    refused("NoSuchObjectLockConfiguration", s3.get_object_retention, Bucket=lbucket, Key="free", VersionId=free)
    response = s3.delete_objects(Bucket=lbucket, Delete={"Objects": [
        {"Key": "gov", "VersionId": state["gov"]}, {"Key": "free", "VersionId": free}]})
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response.get("Deleted") == [{"Key": "free", "VersionId": free}], response
    errors = response.get("Errors", [])
    assert [(e["Key"], e.get("VersionId"), e["Code"]) for e in errors] == [("gov", state["gov"], "AccessDenied")], errors
    response = s3.delete_objects(Bucket=lbucket, BypassGovernanceRetention=True,
                                 Delete={"Objects": [{"Key": "gov", "VersionId": state["gov"]}]})
    assert response.get("Deleted") == [{"Key": "gov", "VersionId": state["gov"]}] and not response.get("Errors"), response
    refused("NoSuchVersion", s3.get_object, Bucket=lbucket, Key="gov", VersionId=state["gov"])


def legal_hold_never_set():
    vid = s3.put_object(Bucket=lbucket, Key="never-held", Body=b"never held")["VersionId"]
    assert "ObjectLockLegalHoldStatus" not in s3.head_object(Bucket=lbucket, Key="never-held", VersionId=vid)
    refused("NoSuchObjectLockConfiguration", s3.get_object_legal_hold, Bucket=lbucket, Key="never-held", VersionId=vid)


def compliance_and_legal_hold():
    vid = s3.put_object(Bucket=lbucket, Key="comp", Body=b"complied", ObjectLockMode="COMPLIANCE",
                        ObjectLockRetainUntilDate=until)["VersionId"]
    refused("AccessDenied", s3.delete_object, Bucket=lbucket, Key="comp", VersionId=vid, BypassGovernanceRetention=True)
    refused("AccessDenied", s3.put_object_retention, Bucket=lbucket, Key="comp", VersionId=vid,
            BypassGovernanceRetention=True, Retention={"Mode": "COMPLIANCE", "RetainUntilDate": sooner})
    refused("AccessDenied", s3.put_object_retention, Bucket=lbucket, Key="comp", VersionId=vid,
            BypassGovernanceRetention=True, Retention={"Mode": "GOVERNANCE", "RetainUntilDate": later})
    held = s3.put_object(Bucket=lbucket, Key="held", Body=b"held")["VersionId"]
    s3.put_object_legal_hold(Bucket=lbucket, Key="held", VersionId=held, LegalHold={"Status": "ON"})
    assert s3.get_object_legal_hold(Bucket=lbucket, Key="held", VersionId=held)["LegalHold"] == {"Status": "ON"}
    assert s3.head_object(Bucket=lbucket, Key="held", VersionId=held)["ObjectLockLegalHoldStatus"] == "ON"
    refused("AccessDenied", s3.delete_object, Bucket=lbucket, Key="held", VersionId=held, BypassGovernanceRetention=True)
    s3.put_object_legal_hold(Bucket=lbucket, Key="held", VersionId=held, LegalHold={"Status": "OFF"})
    assert s3.get_object_legal_hold(Bucket=lbucket, Key="held", VersionId=held)["LegalHold"] == {"Status": "OFF"}
    assert s3.delete_object(Bucket=lbucket, Key="held", VersionId=held)["VersionId"] == held
    refused("InvalidBucketState", s3.put_bucket_versioning, Bucket=lbucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=lbucket)["Status"] == "Enabled"


for name, fn in [("create_bucket", create_bucket), ("upload_file multipart", upload), ("download_file", download),
                 ("get_object PartNumber", part_get), ("paginated list_objects_v2", paginate),
                 ("list_object_versions paginator", versions_of_an_unversioned_bucket),
                 ("delete_objects", delete_objects),
                 ("refused PUT keeps the connection usable", refused_put_keeps_connection_usable),
                 ("PUT after an empty PUT", empty_put_then_put), ("delete_bucket", delete_bucket),
                 ("versioning Enabled", enable_versioning), ("resource object_versions", resource_object_versions),
                 ("list_object_versions paginator, 25 versions in pages of 4", paginate_versions),
                 ("get_object VersionId", get_with_version_id),
                 ("delete_objects with VersionId entries", delete_objects_with_versions),
                 ("copy_object from a version", copy_from_version),
                 ("create_bucket ObjectLockEnabledForBucket", lock_bucket),
                 ("Object Lock refused on a bucket without it", lock_refused_elsewhere),
                 ("GOVERNANCE retention", governance_retention),
                 ("delete_objects with a locked version", delete_objects_with_a_locked_version),
                 ("get_object_legal_hold never set: NoSuchObjectLockConfiguration", legal_hold_never_set),
                 ("COMPLIANCE retention and legal hold", compliance_and_legal_hold)]:
    step(name, fn)
sys.exit(1 if failures else 0)
