"""The S3 adapter against the real endpoint (the embedded emulator, or AWS_ENDPOINT_URL's LocalStack):
objects written in parts, nothing visible until complete, presigned links fetched from this host."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import httpx
import pytest

from gateway.adapters import object_store
from tests.conftest import reset_gateway_caches
from tests.support import wait_until

MIB = object_store.MIB


@pytest.fixture
def bucket(aws_endpoint: str) -> Iterator[str]:
    reset_gateway_caches()
    name = f"test-objects-{uuid.uuid4().hex[:8]}"
    boto3.client("s3").create_bucket(Bucket=name)
    yield name


def _keys(bucket: str) -> list[str]:
    return [item["Key"] for item in boto3.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]


def _uploads(bucket: str) -> list[str]:
    return [item["Key"] for item in boto3.client("s3").list_multipart_uploads(Bucket=bucket).get("Uploads", [])]


def test_a_stream_is_written_in_parts_of_the_part_size_and_downloads_whole(bucket: str) -> None:
    # 11 MiB in 64 KiB writes: two full 5 MiB parts and a 1 MiB last one, never more than a part held.
    block = bytes(range(256)) * 256
    chunks = [block] * (11 * 16)
    with object_store.MultipartUpload(bucket, "a/b.bin", "application/octet-stream", 5 * MIB) as upload:
        for chunk in chunks:
            upload.write(chunk)
        assert _keys(bucket) == [], "nothing is visible before the upload completes"
    assert upload.size == 11 * MIB
    assert upload.largest_buffer < 5 * MIB + len(block)
    assert len(upload._parts) == 3
    url = object_store.presign_get(bucket, "a/b.bin", 60, filename="b.bin")
    assert url.startswith("http://127.0.0.1:") and "X-Amz-Expires=60" in url
    downloaded = httpx.get(url)
    assert downloaded.status_code == 200
    assert downloaded.content == b"".join(chunks)
    assert downloaded.headers["content-disposition"] == 'attachment; filename="b.bin"'
    assert object_store.head_object(bucket, "a/b.bin") == object_store.StoredObject(
        11 * MIB, "application/octet-stream"
    )


def test_a_failed_write_leaves_no_object_and_no_upload(bucket: str) -> None:
    def failing() -> Iterator[bytes]:
        yield b"x" * (6 * MIB)  # one part already sent
        raise RuntimeError("the source failed")

    with pytest.raises(RuntimeError):
        object_store.upload_stream(bucket, "half.csv", failing(), "text/csv", part_size=5 * MIB)
    assert _keys(bucket) == []
    assert _uploads(bucket) == []
    assert object_store.head_object(bucket, "half.csv") is None


def test_small_and_empty_objects(bucket: str) -> None:
    assert object_store.upload_stream(bucket, "empty.csv", [], "text/csv") == 0
    assert object_store.upload_stream(bucket, "small.csv", [b"a,b\r\n", b"1,2\r\n"], "text/csv") == 10
    assert httpx.get(object_store.presign_get(bucket, "small.csv", 60)).content == b"a,b\r\n1,2\r\n"
    assert httpx.get(object_store.presign_get(bucket, "empty.csv", 60)).content == b""
    object_store.put_object(bucket, "one.txt", b"one", "text/plain")
    object_store.delete_object(bucket, "one.txt")
    assert sorted(_keys(bucket)) == ["empty.csv", "small.csv"]


def test_a_presigned_link_expires(bucket: str) -> None:
    object_store.put_object(bucket, "soon.csv", b"a\r\n", "text/csv")
    # Signed times are whole seconds: a 2 s link works for at least 1 s after it is made.
    url = object_store.presign_get(bucket, "soon.csv", 2)
    assert httpx.get(url).status_code == 200
    # ...and is refused once its time is up (within 2 s; waited for, not slept through).
    refused = wait_until(lambda: (answer := httpx.get(url)).status_code != 200 and answer, timeout=6, interval=0.05)
    assert refused and refused.status_code == 403 and b"expired" in refused.content


def test_a_presigned_put_signs_its_type_and_length_and_uploads_from_this_host(bucket: str) -> None:
    body = b"%PDF-1.7 evidence"
    url = object_store.presign_put(bucket, "e/1.pdf", 60, content_type="application/pdf", content_length=len(body))
    signed = httpx.URL(url).params["X-Amz-SignedHeaders"].split(";")
    assert {"content-type", "content-length", "host"} <= set(signed)
    uploaded = httpx.put(url, content=body, headers={"Content-Type": "application/pdf"})
    assert uploaded.status_code == 200, uploaded.text
    assert object_store.head_object(bucket, "e/1.pdf") == object_store.StoredObject(len(body), "application/pdf")


def test_a_presigned_post_carries_its_size_range(bucket: str) -> None:
    form = object_store.presign_post(bucket, "e/2.png", 60, content_type="image/png", max_bytes=1024)
    assert form.fields["key"] == "e/2.png" and form.fields["Content-Type"] == "image/png"
    posted = httpx.post(form.url, data=form.fields, files={"file": ("2.png", b"\x89PNG", "image/png")})
    assert posted.status_code in (200, 204), posted.text
    assert object_store.head_object(bucket, "e/2.png") == object_store.StoredObject(4, "image/png")


def test_expiries_and_part_sizes_outside_s3s_limits_are_refused(bucket: str) -> None:
    with pytest.raises(ValueError):
        object_store.presign_get(bucket, "k", 0)
    with pytest.raises(ValueError):
        object_store.presign_get(bucket, "k", object_store.MAX_PRESIGN_SECONDS + 1)
    with pytest.raises(ValueError):
        object_store.MultipartUpload(bucket, "k", "text/csv", part_size=MIB)
