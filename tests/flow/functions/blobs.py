"""Uploads ``size`` bytes and downloads them twice (measured as blob.upload/blob.download)."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow import runtime


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    store = runtime.storage()
    key = store.upload_stream("data", "blob.bin", b"x" * int(payload["size"]))
    assert store.download_stream("data", key) == store.get("data", key)
    return {**payload, "key": key}
