"""The S3 backend of the raw store: documents as objects ``<prefix>/<sha[:2]>/<sha>`` in a bucket.

Any S3-compatible server (AWS S3, MinIO, Ceph RGW, Aliyun OSS and Tencent COS in S3 mode). boto3
finds the credentials and the endpoint the way it always does, in the environment first
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``, ``AWS_DEFAULT_REGION``);
settings.yaml has no key for them. A document already stored is not uploaded again (a HEAD
first: the key is the content's hash, so an object under it is that content). Large documents go
up in parts and come down in chunks, so memory does not grow with their size. Every failure is a
``RawStoreError`` (an ``OSError``) naming the object and the reason, or ``FileNotFoundError`` for
a missing object: the ingest records it as it records a full disk, and the run goes on
(docs/object-store.md).
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

from core.settings import split_s3_url
from storage.rawstore import CHUNK, SHA256, RawDocumentStore, RawStoreError, file_sha256, raw_key

NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


class S3RawStore(RawDocumentStore):
    """Raw documents in ``s3://bucket/prefix``."""

    def __init__(
        self,
        url: str,
        *,
        addressing_style: str = "auto",
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        attempts: int = 3,
        part_mb: int = 16,
    ) -> None:
        self.bucket, self.prefix = split_s3_url(url)
        self.location = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        self.part_bytes = part_mb << 20
        self._config = {"addressing_style": addressing_style, "connect_timeout": connect_timeout,
                        "read_timeout": read_timeout, "attempts": attempts}
        self._client: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_location(cls, location: str, options: dict[str, Any]) -> S3RawStore:
        return cls(location, **options.get("s3", {}))

    # The client, made on first use: importing boto3 costs a local-folder setup nothing, and a
    # store handed to another process carries no connection pool. boto3 clients are thread-safe;
    # making one is not, hence the lock.
    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                c = self._config
                self._client = boto3.session.Session().client(
                    "s3",
                    config=Config(
                        s3={"addressing_style": c["addressing_style"]},
                        connect_timeout=c["connect_timeout"],
                        read_timeout=c["read_timeout"],
                        retries={"max_attempts": c["attempts"], "mode": "standard"},
                    ),
                )
            return self._client

    def key(self, sha256: str) -> str:
        """The object key: the prefix, then the same key as in a folder store."""
        return f"{self.prefix}/{raw_key(sha256)}" if self.prefix else raw_key(sha256)

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if not self.has(sha):
            self._upload(sha, io.BytesIO(data), len(data))
        return sha

    def put_file(self, path: Path) -> str:
        sha = file_sha256(path)
        if not self.has(sha):
            with open(path, "rb") as fh:
                self._upload(sha, fh, os.fstat(fh.fileno()).st_size)
        return sha

    def _upload(self, sha: str, body: Any, size: int) -> None:
        """One PUT up to the part size, else a multipart upload a part at a time."""
        key = self.key(sha)
        try:
            if size <= self.part_bytes:
                self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/octet-stream")
            else:
                from boto3.s3.transfer import TransferConfig

                config = TransferConfig(multipart_threshold=self.part_bytes, multipart_chunksize=self.part_bytes,
                                        max_concurrency=1, use_threads=False)
                self.client.upload_fileobj(body, self.bucket, key, Config=config,
                                           ExtraArgs={"ContentType": "application/octet-stream"})
        except Exception as exc:
            self._fail("cannot store", sha, exc)

    def get(self, sha256: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"].read()
        except Exception as exc:
            self._fail("cannot read", sha256, exc)

    def has(self, sha256: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
            return True
        except Exception as exc:
            if _error_code(exc) in NOT_FOUND:
                return False
            self._fail("cannot look up", sha256, exc)

    def copy_to(self, sha256: str, dest: Path) -> bool:
        tmp = dest.with_name(dest.name + ".part")
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
            with open(tmp, "wb") as fh:
                for chunk in body.iter_chunks(CHUNK):
                    fh.write(chunk)
            os.replace(tmp, dest)
            return True
        except Exception as exc:
            tmp.unlink(missing_ok=True)
            if _error_code(exc) in NOT_FOUND:
                return False
            self._fail("cannot copy", sha256, exc)

    def hashes(self) -> Iterator[str]:
        start = f"{self.prefix}/" if self.prefix else ""
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
                for obj in page.get("Contents", []):
                    fan, _, name = obj["Key"][len(start):].partition("/")
                    if SHA256.match(name) and fan == name[:2]:
                        yield name
        except Exception as exc:
            raise RawStoreError(f"{self.location}: cannot list: {_reason(exc)}") from exc

    def _fail(self, what: str, sha256: str, exc: Exception) -> NoReturn:
        """Raise ``exc`` as FileNotFoundError (no such object) or RawStoreError, naming the object;
        an error of a local file (put_file, copy_to) as it was."""
        if isinstance(exc, OSError) and not _is_boto_error(exc):
            raise exc
        where = f"s3://{self.bucket}/{self.key(sha256)}"
        if _error_code(exc) in NOT_FOUND:
            raise FileNotFoundError(f"{where}: no such object") from exc
        raise RawStoreError(f"{where}: {what}: {_reason(exc)}") from exc


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _is_boto_error(exc: Exception) -> bool:
    return type(exc).__module__.startswith(("botocore", "boto3", "s3transfer", "urllib3"))


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"
