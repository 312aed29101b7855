"""Object storage for bulk data that must not travel in payloads.

SeBS functions name a *bucket* and a *key* and move bytes; the platform provides the store.
Ours: a directory tree (``<root>/<bucket>/<key>``, the default; it must be on a file system the
workers share) or S3 through boto3 (imported only when used). A store is described by a small
dict (``{"kind": "local", "root": ...}`` / ``{"kind": "s3", ...}``) so the description, not a
client, travels to remote workers. ``CountingStore`` wraps a store for one call, counts the
bytes moved (the ``blob.upload``/``blob.download`` measurement columns) and offers SeBS's method
names so ported benchmark functions need few changes.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from xaas_parsl.errors import InputError
from xaas_parsl.safety import inside


class ObjectStore(Protocol):
    """The four operations functions need."""

    def put(self, bucket: str, key: str, data: bytes) -> None: ...

    def get(self, bucket: str, key: str) -> bytes: ...

    def list(self, bucket: str, prefix: str = "") -> list[str]: ...

    def delete(self, bucket: str, key: str) -> None: ...


def _inside(root: Path, part: str, what: str) -> Path:
    """``root / part`` through the one path validator (``safety.inside``); a ``ValueError``
    here, since the caller is a workflow function's storage call, not a file we loaded."""
    try:
        return inside(root, part, what)
    except InputError as exc:
        raise ValueError(f"invalid {what} {part!r}: must be relative without '..' and stay "
                         f"in the store ({exc.problem})") from None


@dataclass(frozen=True)
class LocalStore:
    """Buckets as directories under ``root``; writes are atomic (temporary file + rename)."""

    root: Path

    def _path(self, bucket: str, key: str) -> Path:
        return _inside(_inside(self.root, bucket, "bucket"), key, "key")

    def put(self, bucket: str, key: str, data: bytes) -> None:
        target = self._path(bucket, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)

    def get(self, bucket: str, key: str) -> bytes:
        path = self._path(bucket, key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise KeyError(f"no object {key!r} in bucket {bucket!r}") from None

    def delete(self, bucket: str, key: str) -> None:
        self._path(bucket, key).unlink(missing_ok=True)

    def list(self, bucket: str, prefix: str = "") -> list[str]:
        base = _inside(self.root, bucket, "bucket")
        if not base.is_dir():
            return []
        keys = (p.relative_to(base).as_posix() for p in base.rglob("*")
                if p.is_file() and not p.name.startswith("."))
        return sorted(k for k in keys if k.startswith(prefix))


@dataclass
class S3Store:
    """S3 (or an S3-compatible endpoint) through boto3, created lazily.

    With ``bucket`` set, every logical bucket becomes a key prefix inside that one real bucket
    (one bucket per deployment, as sites often grant); otherwise logical buckets are real ones.
    """

    bucket: str | None = None
    endpoint_url: str | None = None
    client: Any = None

    def _client(self) -> Any:
        if self.client is None:
            import boto3  # type: ignore[import-not-found, import-untyped, unused-ignore]

            self.client = boto3.client("s3", endpoint_url=self.endpoint_url)
        return self.client

    def _where(self, bucket: str, key: str) -> tuple[str, str]:
        return (self.bucket, f"{bucket}/{key}") if self.bucket else (bucket, key)

    def put(self, bucket: str, key: str, data: bytes) -> None:
        real, name = self._where(bucket, key)
        self._client().put_object(Bucket=real, Key=name, Body=data)

    def get(self, bucket: str, key: str) -> bytes:
        real, name = self._where(bucket, key)
        body: bytes = self._client().get_object(Bucket=real, Key=name)["Body"].read()
        return body

    def delete(self, bucket: str, key: str) -> None:
        real, name = self._where(bucket, key)
        self._client().delete_object(Bucket=real, Key=name)

    def list(self, bucket: str, prefix: str = "") -> list[str]:
        real, name = self._where(bucket, prefix)
        strip = len(name) - len(prefix)
        keys: list[str] = []
        for page in self._client().get_paginator("list_objects_v2").paginate(
                Bucket=real, Prefix=name):
            keys.extend(obj["Key"][strip:] for obj in page.get("Contents", []))
        return sorted(keys)


def storage_spec(location: str | Path) -> dict[str, Any]:
    """``s3://[bucket]`` (optional ``?endpoint=URL``) or a directory → a store description."""
    text = str(location)
    if text.startswith("s3://"):
        rest, _, query = text[len("s3://"):].partition("?")
        endpoint = query.removeprefix("endpoint=") if query.startswith("endpoint=") else None
        return {"kind": "s3", "bucket": rest.strip("/") or None, "endpoint_url": endpoint}
    return {"kind": "local", "root": str(Path(text).resolve())}


_STORES: dict[tuple[tuple[str, Any], ...], ObjectStore] = {}


def store_from_spec(spec: dict[str, Any]) -> ObjectStore:
    """The store a description names; one instance per description and process."""
    key = tuple(sorted(spec.items()))
    store = _STORES.get(key)
    if store is None:
        if spec["kind"] == "s3":
            store = S3Store(spec.get("bucket"), spec.get("endpoint_url"))
        else:
            store = LocalStore(Path(spec["root"]))
        _STORES[key] = store
    return store


@dataclass
class CountingStore:
    """One call's view of a store: counts bytes and speaks SeBS's method names too."""

    store: ObjectStore
    uploaded: int = 0
    downloaded: int = 0

    def put(self, bucket: str, key: str, data: bytes) -> None:
        self.store.put(bucket, key, data)
        self.uploaded += len(data)

    def get(self, bucket: str, key: str) -> bytes:
        data = self.store.get(bucket, key)
        self.downloaded += len(data)
        return data

    def delete(self, bucket: str, key: str) -> None:
        self.store.delete(bucket, key)

    # SeBS's storage API (benchmarks/wrappers/*/python/storage.py), without its random suffix.
    def upload(self, bucket: str, key: str, filepath: str | Path) -> str:
        self.put(bucket, key, Path(filepath).read_bytes())
        return key

    def download(self, bucket: str, key: str, filepath: str | Path) -> None:
        Path(filepath).write_bytes(self.get(bucket, key))

    def upload_stream(self, bucket: str, key: str, data: bytes) -> str:
        self.put(bucket, key, data)
        return key

    def download_stream(self, bucket: str, key: str) -> bytes:
        return self.get(bucket, key)

    def list_blobs(self, bucket: str, prefix: str = "") -> list[str]:
        return self.store.list(bucket, prefix)

    def list(self, bucket: str, prefix: str = "") -> list[str]:
        return self.store.list(bucket, prefix)
