"""Lists the mappers' output under the prefix → one reducer input per distinct word."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow import runtime


def handler(payload: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    first = payload["list"][0]
    bucket, prefix = first["benchmark_bucket"], first["prefix"]
    keys = runtime.storage().list_blobs(bucket, prefix + "/")
    words = sorted({key.split("/")[1] for key in keys})
    return {"list": [{"bucket": bucket, "dir": f"{prefix}/{word}"} for word in words]}
