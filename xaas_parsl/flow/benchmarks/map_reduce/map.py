"""Counts the words of one chunk (empty lines ignored) and uploads each count as a small object
at ``<prefix>/<word>/<chunk key>`` → its input unchanged."""

from __future__ import annotations

from collections import Counter
from typing import Any

from xaas_parsl.flow import runtime


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    store = runtime.storage()
    bucket = payload["benchmark_bucket"]
    words = store.download_stream(bucket, payload["blob"]).decode().split("\n")
    for word, count in Counter(w for w in words if w).items():
        store.upload_stream(bucket, f"{payload['prefix']}/{word}/{payload['blob']}",
                            str(count).encode())
    return payload
