"""Concatenates same-named files across the ``individuals`` tarballs (in range order) →
``chr21n.tar.gz`` → ``{"merge_outputfile_name": <key>}``."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow import runtime
from xaas_parsl.flow.benchmarks.genome._data import tar_bytes, untar


def handler(payload: dict[str, Any]) -> dict[str, str]:
    store = runtime.storage()
    bucket = payload["benchmark_bucket"]
    merged: dict[str, bytes] = {}
    for part in payload["blob"]:
        for name, data in untar(store.download_stream(bucket, part["individuals_output"])).items():
            merged[name] = merged.get(name, b"") + data
    key = f"{payload['bucket']}/{runtime.current().request_id}/chr21n.tar.gz"
    return {"merge_outputfile_name": store.upload_stream(bucket, key, tar_bytes(merged))}
