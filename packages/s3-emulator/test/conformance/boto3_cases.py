"""S3 conformance cases run with boto3 (botocore's own encoding, checksums, SigV2 and SigV4).

Usage: python3 boto3_cases.py --list | python3 boto3_cases.py ENDPOINT ACCESS_KEY SECRET
Prints one JSON object per case: {"name", "ok", "error"}. Case names cite the section of
/work/shared/reference/s3-api-semantics.md whose documented behaviour they check.
"""
import hashlib
import io
import json
import os
import sys
import traceback
import urllib.error
import urllib.request
import uuid

CASES = []


def case(name):
    def register(fn):
        CASES.append((name, fn))
        return fn
    return register


def new_bucket(s3, label, versioning=None):
    name = f"boto-{label}-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    if versioning:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
    return name


def byte_order(keys):
    return sorted(keys, key=lambda k: k.encode("utf-8"))


def expect_error(fn, status, code=None):
    from botocore.exceptions import ClientError
    try:
        fn()
    except ClientError as e:
        got_status = e.response["ResponseMetadata"]["HTTPStatusCode"]
        got_code = e.response["Error"]["Code"]
        assert got_status == status, f"status {got_status} {got_code}, expected {status}"
        if code:
            assert got_code == code, f"code {got_code}, expected {code}"
        return e
    raise AssertionError(f"expected HTTP {status} {code or ''}, the request succeeded")


KEYS = [
    "a//b", "/leading", "trailing/", "a+plus/1.txt", "b%pct/1.txt", "100%.csv", "file%2Fname",
    "test key//", "test@key/", "date=2026-02-01/x.json", "unicode/é/日本語", "emoji/😀", "private/\ue000",
    "paren(3).png", "tilde~and!star*'", "sp ace", "plus+space +",
]


@case("§9 keys encoded by botocore (quote, safe '/~') round-trip through PUT, GET and listing")
def keys_round_trip(s3, ctx):
    b = new_bucket(s3, "keys")
    for k in KEYS:
        s3.put_object(Bucket=b, Key=k, Body=("body of " + k).encode())
    for k in KEYS:
        assert s3.get_object(Bucket=b, Key=k)["Body"].read() == ("body of " + k).encode(), k
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]]
    assert listed == byte_order(KEYS), listed


@case("§1.2 §1.3 paginator PageSize=7 lists 100 keys with + and % once (botocore adds encoding-type=url)")
def paging(s3, ctx):
    b = new_bucket(s3, "paging")
    keys = [f"k/{i:03d} x.txt" for i in range(98)] + ["a+plus/1.txt", "b%pct/1.txt"]
    for k in keys:
        s3.put_object(Bucket=b, Key=k, Body=b"x")
    listed = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b, PaginationConfig={"PageSize": 7}):
        listed += [o["Key"] for o in page.get("Contents", [])]
    assert listed == byte_order(keys), (len(listed), listed[:5])
    v1 = []
    for page in s3.get_paginator("list_objects").paginate(Bucket=b, PaginationConfig={"PageSize": 7}):
        v1 += [o["Key"] for o in page.get("Contents", [])]
    assert v1 == byte_order(keys), len(v1)


@case("§1.2 delimiter listing shows folders that hold only folders")
def folders(s3, ctx):
    b = new_bucket(s3, "folders")
    for k in ["_eventline/state/x", "incoming/a b.json", "top"]:
        s3.put_object(Bucket=b, Key=k, Body=b"x")
    out = s3.list_objects_v2(Bucket=b, Delimiter="/")
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["_eventline/", "incoming/"], out
    assert [o["Key"] for o in out["Contents"]] == ["top"]
    assert out["KeyCount"] == 3


@case("§8 checksums: PutObject with CRC32 (botocore default) is stored and GetObject with ChecksumMode validates")
def checksums(s3, ctx):
    b = new_bucket(s3, "checksum")
    put = s3.put_object(Bucket=b, Key="c", Body=b"checksummed body", ChecksumAlgorithm="CRC32")
    assert put.get("ChecksumCRC32"), put
    got = s3.get_object(Bucket=b, Key="c", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"checksummed body"
    assert got.get("ChecksumCRC32") == put["ChecksumCRC32"], got
    s3.put_object(Bucket=b, Key="s", Body=b"sha", ChecksumAlgorithm="SHA256")


@case("§8 a wrong x-amz-checksum-crc32 is 400 BadDigest")
def bad_checksum(s3, ctx):
    b = new_bucket(s3, "bad-checksum")
    expect_error(lambda: s3.put_object(Bucket=b, Key="c", Body=b"data", ChecksumCRC32="AAAAAA=="), 400, "BadDigest")


@case("§8 SigV2 header authentication (signature_version='s3')")
def sigv2_header(s3, ctx):
    v2 = ctx["client"](signature_version="s3")
    b = new_bucket(v2, "sigv2")
    v2.put_object(Bucket=b, Key="a b+c", Body=b"v2 body", Metadata={"m": "1"})
    assert v2.get_object(Bucket=b, Key="a b+c")["Body"].read() == b"v2 body"
    assert [o["Key"] for o in v2.list_objects(Bucket=b)["Contents"]] == ["a b+c"]
    uid = v2.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
    v2.abort_multipart_upload(Bucket=b, Key="mp", UploadId=uid)


@case("§8 SigV2 presigned URL (generate_presigned_url, signature_version='s3') can be fetched")
def sigv2_presign(s3, ctx):
    v2 = ctx["client"](signature_version="s3")
    b = new_bucket(s3, "sigv2-presign")
    s3.put_object(Bucket=b, Key="k+1 x", Body=b"presigned v2")
    url = v2.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "k+1 x"}, ExpiresIn=300)
    assert "Signature=" in url and "AWSAccessKeyId=" in url, url
    assert urllib.request.urlopen(url).read() == b"presigned v2"


@case("§8 SigV4 presigned URL (signature_version='s3v4') can be fetched; a tampered one is 403")
def sigv4_presign(s3, ctx):
    v4 = ctx["client"](signature_version="s3v4")
    b = new_bucket(s3, "sigv4-presign")
    s3.put_object(Bucket=b, Key="k+1 x", Body=b"presigned v4")
    url = v4.generate_presigned_url("get_object", Params={"Bucket": b, "Key": "k+1 x"}, ExpiresIn=300)
    assert "X-Amz-Signature=" in url, url
    assert urllib.request.urlopen(url).read() == b"presigned v4"
    try:
        urllib.request.urlopen(url.replace("X-Amz-Expires=300", "X-Amz-Expires=301"))
        raise AssertionError("tampered URL accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 403, e.code


@case("§3.2 put_object IfNoneMatch='*' is 412 when the key exists")
def conditional_put(s3, ctx):
    b = new_bucket(s3, "cond")
    s3.put_object(Bucket=b, Key="k", Body=b"1", IfNoneMatch="*")
    expect_error(lambda: s3.put_object(Bucket=b, Key="k", Body=b"2", IfNoneMatch="*"), 412, "PreconditionFailed")


@case("§5 upload_file with 5 MiB parts makes a multipart object with a '-N' ETag")
def multipart(s3, ctx):
    from boto3.s3.transfer import TransferConfig
    b = new_bucket(s3, "mpu")
    data = os.urandom(11 * 1024 * 1024)
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    s3.upload_fileobj(io.BytesIO(data), b, "big file.bin", Config=config)
    head = s3.head_object(Bucket=b, Key="big file.bin")
    digests = b"".join(hashlib.md5(data[i:i + 5 * 1024 * 1024]).digest() for i in range(0, len(data), 5 * 1024 * 1024))
    assert head["ETag"] == '"%s-3"' % hashlib.md5(digests).hexdigest(), head["ETag"]
    out = io.BytesIO()
    s3.download_fileobj(b, "big file.bin", out)
    assert out.getvalue() == data


@case("§2 §1.5 versioning: list_object_versions shows versions newest first and the delete marker as latest")
def versioning(s3, ctx):
    b = new_bucket(s3, "versions", "Enabled")
    ids = [s3.put_object(Bucket=b, Key="k", Body=str(i).encode())["VersionId"] for i in range(3)]
    marker = s3.delete_object(Bucket=b, Key="k")
    assert marker["DeleteMarker"] is True
    out = s3.list_object_versions(Bucket=b)
    assert [v["VersionId"] for v in out["Versions"]] == list(reversed(ids))
    assert [(m["VersionId"], m["IsLatest"]) for m in out["DeleteMarkers"]] == [(marker["VersionId"], True)]
    assert s3.get_object(Bucket=b, Key="k", VersionId=ids[0])["Body"].read() == b"0"


@case("bucket configuration with boto3: encryption, public access block, ownership, lifecycle, policy, CORS, tagging and their not-found errors")
def bucket_configuration(s3, ctx):
    b = new_bucket(s3, "config")
    s3.put_bucket_encryption(Bucket=b, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    rule = s3.get_bucket_encryption(Bucket=b)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256", rule
    assert s3.put_object(Bucket=b, Key="k", Body=b"v")["ServerSideEncryption"] == "AES256"
    pab = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    s3.put_public_access_block(Bucket=b, PublicAccessBlockConfiguration=pab)
    assert s3.get_public_access_block(Bucket=b)["PublicAccessBlockConfiguration"] == pab
    s3.delete_public_access_block(Bucket=b)
    expect_error(lambda: s3.get_public_access_block(Bucket=b), 404, "NoSuchPublicAccessBlockConfiguration")
    s3.put_bucket_ownership_controls(Bucket=b, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    assert s3.get_bucket_ownership_controls(Bucket=b)["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    s3.delete_bucket_ownership_controls(Bucket=b)
    expect_error(lambda: s3.get_bucket_ownership_controls(Bucket=b), 404, "OwnershipControlsNotFoundError")
    expect_error(lambda: s3.get_bucket_lifecycle_configuration(Bucket=b), 404, "NoSuchLifecycleConfiguration")
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [{
        "ID": "old", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 3}}]})
    rules = s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"]
    assert rules == [{"ID": "old", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 3}}], rules
    expect_error(lambda: s3.get_bucket_policy(Bucket=b), 404, "NoSuchBucketPolicy")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*",
                         "Resource": f"arn:aws:s3:::{b}/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
    s3.put_bucket_policy(Bucket=b, Policy=policy)
    assert json.loads(s3.get_bucket_policy(Bucket=b)["Policy"]) == json.loads(policy)
    expect_error(lambda: s3.put_bucket_policy(Bucket=b, Policy="{nope"), 400, "MalformedPolicy")
    expect_error(lambda: s3.get_bucket_cors(Bucket=b), 404, "NoSuchCORSConfiguration")
    s3.put_bucket_cors(Bucket=b, CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    assert s3.get_bucket_cors(Bucket=b)["CORSRules"] == [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]
    expect_error(lambda: s3.get_bucket_tagging(Bucket=b), 404, "NoSuchTagSet")
    s3.put_bucket_tagging(Bucket=b, Tagging={"TagSet": [{"Key": "a", "Value": "1"}]})
    assert s3.get_bucket_tagging(Bucket=b)["TagSet"] == [{"Key": "a", "Value": "1"}]


@case("object tagging with boto3: Tagging on put_object, get/put/delete_object_tagging, copy with TaggingDirective")
def object_tagging(s3, ctx):
    b = new_bucket(s3, "tags")
    s3.put_object(Bucket=b, Key="k", Body=b"v", Tagging="state=new&who=a+b")
    assert s3.get_object_tagging(Bucket=b, Key="k")["TagSet"] == [{"Key": "state", "Value": "new"}, {"Key": "who", "Value": "a b"}]
    s3.put_object_tagging(Bucket=b, Key="k", Tagging={"TagSet": [{"Key": "state", "Value": "done"}]})
    s3.copy_object(Bucket=b, Key="copy", CopySource={"Bucket": b, "Key": "k"})
    assert s3.get_object_tagging(Bucket=b, Key="copy")["TagSet"] == [{"Key": "state", "Value": "done"}]
    s3.copy_object(Bucket=b, Key="replaced", CopySource={"Bucket": b, "Key": "k"}, TaggingDirective="REPLACE", Tagging="x=1")
    assert s3.get_object_tagging(Bucket=b, Key="replaced")["TagSet"] == [{"Key": "x", "Value": "1"}]
    s3.delete_object_tagging(Bucket=b, Key="k")
    assert s3.get_object_tagging(Bucket=b, Key="k")["TagSet"] == []


@case("§1.3 list_objects (v1) with a prefix holding a space: boto3 gets Prefix and keys back as sent")
def list_v1_prefix(s3, ctx):
    b = new_bucket(s3, "v1prefix")
    s3.put_object(Bucket=b, Key="a b/c d", Body=b"x")
    out = s3.list_objects(Bucket=b, Prefix="a b/")
    assert out["Prefix"] == "a b/", out["Prefix"]
    assert [o["Key"] for o in out["Contents"]] == ["a b/c d"]


@case("§5 complete_multipart_upload twice with the same parts answers the same ETag")
def complete_twice(s3, ctx):
    b = new_bucket(s3, "twice")
    upload = s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
    etag = s3.upload_part(Bucket=b, Key="k", UploadId=upload, PartNumber=1, Body=b"part")["ETag"]
    parts = {"Parts": [{"ETag": etag, "PartNumber": 1}]}
    first = s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=upload, MultipartUpload=parts)
    again = s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=upload, MultipartUpload=parts)
    assert again["ETag"] == first["ETag"]


@case("POST Object: generate_presigned_post (SigV4 policy) uploads a form with ${filename}; a file over content-length-range is EntityTooLarge")
def presigned_post(s3, ctx):
    b = new_bucket(s3, "post")
    post = s3.generate_presigned_post(
        Bucket=b, Key="in/${filename}", Fields={"success_action_status": "201"},
        Conditions=[{"success_action_status": "201"}, ["content-length-range", 1, 16], ["starts-with", "$key", "in/"]],
        ExpiresIn=300)

    def send(data, filename):
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in post["fields"].items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                     f'Content-Type: text/plain\r\n\r\n'.encode() + data + f"\r\n--{boundary}--\r\n".encode())
        req = urllib.request.Request(post["url"], data=b"".join(parts), method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        try:
            with urllib.request.urlopen(req) as res:
                return res.status, res.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    status, body = send(b"hello", "note.txt")
    assert status == 201, (status, body)
    assert "<Key>in/note.txt</Key>" in body, body
    assert s3.get_object(Bucket=b, Key="in/note.txt")["Body"].read() == b"hello"
    status, body = send(b"x" * 17, "big.txt")
    assert status == 400 and "<Code>EntityTooLarge</Code>" in body, (status, body)


def main():
    if sys.argv[1:] == ["--list"]:
        for name, _ in CASES:
            print(json.dumps({"name": name}))
        return
    import boto3
    from botocore.config import Config
    endpoint, key, secret = sys.argv[1:4]

    def client(**config):
        return boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
        )

    ctx = {"client": client}
    s3 = client()
    for name, fn in CASES:
        try:
            fn(s3, ctx)
            print(json.dumps({"name": name, "ok": True}), flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported by name
            print(json.dumps({"name": name, "ok": False, "error": f"{e!r}\n{traceback.format_exc()[-1500:]}"}), flush=True)


if __name__ == "__main__":
    main()
