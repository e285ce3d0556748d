"""S3 adapter: objects written in fixed-size parts (no whole file in memory), presigned GET and PUT.

One boto3 client per container, as the other adapters; AWS_ENDPOINT_URL points it at the embedded
emulator or LocalStack locally, and then path-style addressing is used (`http://127.0.0.1:4566/bucket/key`),
so a presigned URL the functions make also works from the host. URLs are signed with SigV4: they
expire after at most 7 days, and sooner when the signing credentials do (a Lambda role's session),
which is why the expiries used here are minutes.

- `MultipartUpload` / `upload_stream`: bytes written in any sizes go up as parts of `part_size`
  (S3's minimum is 5 MiB for every part but the last), so what is held is one part, whatever the
  object's size. The object appears only when the upload completes; a failure aborts it, and the
  bucket's lifecycle rule aborts what a crashed writer left (AbortIncompleteMultipartUpload).
- `presign_get`: a download link, optionally named (`Content-Disposition: attachment`).
- `presign_put`: an upload link for one object of an exact Content-Type and Content-Length (both
  signed: S3 refuses a request whose headers differ). `presign_post`: a browser form upload with a
  size range (`content-length-range` in the signed policy), for when the size is not known up front.
"""

from __future__ import annotations

import contextlib
import os
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from gateway.adapters import time_bounds
from gateway.errors import ServiceUnavailable

if TYPE_CHECKING:
    from collections.abc import Iterable

MIB = 1024 * 1024
# S3 refuses a part under 5 MiB unless it is the last; 8 MiB parts allow objects up to 80 GB (10,000 parts).
MIN_PART_SIZE = 5 * MIB
DEFAULT_PART_SIZE = 8 * MIB
# SigV4 presigned URLs are valid for at most 7 days.
MAX_PRESIGN_SECONDS = 7 * 24 * 3600


class ObjectStoreUnavailable(ServiceUnavailable):
    code = "OBJECT_STORE_UNAVAILABLE"


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _client() -> Any:
    # An emulator on an IP address or localhost has no per-bucket host names: path style there. In AWS
    # the bucket's regional host (bucket.s3.us-east-1.amazonaws.com too, not the global one): a
    # browser PUTs there directly, the dashboard's CSP names that host, and a new bucket's global
    # name redirects for a while, which a CORS preflight cannot follow.
    local = bool(os.environ.get("AWS_ENDPOINT_URL"))
    config = time_bounds.OBJECT_STORE.boto_config().merge(
        Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if local else "virtual", "us_east_1_regional_endpoint": "regional"},
        )
    )
    with _lock:
        return boto3.client("s3", config=config)


def _unavailable(exc: Exception) -> ObjectStoreUnavailable:
    return ObjectStoreUnavailable(f"Object store call failed: {type(exc).__name__}")


class StoredObject(NamedTuple):
    size: int
    content_type: str


def put_object(bucket: str, key: str, body: bytes, content_type: str) -> None:
    """A small object in one call (what fits in memory anyway)."""
    try:
        _client().put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
    except (BotoCoreError, ClientError) as exc:
        raise _unavailable(exc) from exc


def head_object(bucket: str, key: str) -> StoredObject | None:
    """The object's size and type, or None when there is no such object (e.g. an upload not made)."""
    try:
        found = _client().head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise _unavailable(exc) from exc
    except BotoCoreError as exc:
        raise _unavailable(exc) from exc
    return StoredObject(int(found["ContentLength"]), str(found.get("ContentType", "")))


def delete_object(bucket: str, key: str) -> None:
    try:
        _client().delete_object(Bucket=bucket, Key=key)
    except (BotoCoreError, ClientError) as exc:
        raise _unavailable(exc) from exc


class MultipartUpload:
    """Writes one object in parts of `part_size` bytes: holds one part (plus the last write) and the
    copy of it being sent, whatever the object's size.

    ``with MultipartUpload(bucket, key, "text/csv") as upload: upload.write(b"...")`` completes the
    object when the block ends and aborts the upload (nothing visible) when it raises."""

    def __init__(self, bucket: str, key: str, content_type: str, part_size: int = DEFAULT_PART_SIZE) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes (S3's minimum)")
        self.bucket, self.key, self.content_type, self.part_size = bucket, key, content_type, part_size
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self._upload_id: str | None = None
        self.size = 0  # bytes written so far
        self.largest_buffer = 0  # the most this upload held at once (the memory it costs)

    def __enter__(self) -> MultipartUpload:
        try:
            created = _client().create_multipart_upload(Bucket=self.bucket, Key=self.key, ContentType=self.content_type)
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc) from exc
        self._upload_id = str(created["UploadId"])
        return self

    def write(self, data: bytes) -> None:
        self._buffer += data
        self.size += len(data)
        self.largest_buffer = max(self.largest_buffer, len(self._buffer))
        while len(self._buffer) >= self.part_size:
            part = bytes(memoryview(self._buffer)[: self.part_size])  # one copy, not two
            del self._buffer[: self.part_size]
            self._upload_part(part)

    def _upload_part(self, body: bytes) -> None:
        number = len(self._parts) + 1
        try:
            uploaded = _client().upload_part(
                Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, PartNumber=number, Body=body
            )
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc) from exc
        self._parts.append({"PartNumber": number, "ETag": uploaded["ETag"]})

    def complete(self) -> int:
        """Sends the last part and makes the object visible; returns its size in bytes."""
        if self._buffer or not self._parts:  # an empty object is one empty part
            self._upload_part(bytes(self._buffer))
            self._buffer.clear()
        try:
            _client().complete_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
            )
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable(exc) from exc
        self._upload_id = None
        return self.size

    def abort(self) -> None:
        """Drops the parts sent so far; best effort (the bucket's lifecycle rule is the backstop)."""
        self._buffer.clear()
        if self._upload_id is None:
            return
        with contextlib.suppress(BotoCoreError, ClientError):
            _client().abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id)
        self._upload_id = None

    def __exit__(self, kind: object, exc: object, traceback: object) -> None:
        if kind is None:
            self.complete()
        else:
            self.abort()


def upload_stream(
    bucket: str, key: str, chunks: Iterable[bytes], content_type: str, part_size: int = DEFAULT_PART_SIZE
) -> int:
    """Writes the chunks as one object in parts (see MultipartUpload); returns its size in bytes."""
    with MultipartUpload(bucket, key, content_type, part_size) as upload:
        for chunk in chunks:
            upload.write(chunk)
    return upload.size


def _expiry(seconds: int) -> int:
    if not 1 <= seconds <= MAX_PRESIGN_SECONDS:
        raise ValueError(f"a presigned URL lasts 1 to {MAX_PRESIGN_SECONDS} seconds")
    return seconds


def presign_get(
    bucket: str, key: str, expires_seconds: int, *, filename: str | None = None, content_type: str | None = None
) -> str:
    """A URL that downloads the object until it expires (computed locally: no call to S3)."""
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if filename:
        params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
    if content_type:
        params["ResponseContentType"] = content_type
    return str(_client().generate_presigned_url("get_object", Params=params, ExpiresIn=_expiry(expires_seconds)))


def presign_put(bucket: str, key: str, expires_seconds: int, *, content_type: str, content_length: int) -> str:
    """A URL that uploads one object of exactly this type and length until it expires: both headers
    are signed, so S3 refuses a PUT that sends another type or size."""
    if content_length < 0:
        raise ValueError("content_length must not be negative")
    return str(
        _client().generate_presigned_url(
            "put_object",
            Params={"Bucket": bucket, "Key": key, "ContentType": content_type, "ContentLength": content_length},
            ExpiresIn=_expiry(expires_seconds),
        )
    )


class PresignedPost(NamedTuple):
    url: str
    fields: dict[str, str]  # the form's fields, before the file


def presign_post(
    bucket: str, key: str, expires_seconds: int, *, content_type: str, max_bytes: int, min_bytes: int = 1
) -> PresignedPost:
    """A browser form upload (POST) of one object of this type and a size within [min_bytes, max_bytes]."""
    if not 0 <= min_bytes <= max_bytes:
        raise ValueError("need 0 <= min_bytes <= max_bytes")
    posted = _client().generate_presigned_post(
        bucket,
        key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", min_bytes, max_bytes]],
        ExpiresIn=_expiry(expires_seconds),
    )
    return PresignedPost(str(posted["url"]), {name: str(value) for name, value in posted["fields"].items()})
