"""Cuts the word list into ``n_mappers`` chunks (n−1 of ⌊len/n⌋ lines, the rest last), uploads
them and draws one random 8-character prefix for the mappers' output."""

from __future__ import annotations

import uuid
from typing import Any

from xaas_parsl.flow import runtime


def handler(payload: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    store = runtime.storage()
    bucket = payload["benchmark_bucket"]
    lines = store.download_stream(
        bucket, f"{payload['words_bucket']}/{payload['words']}").decode().split("\n")
    n = int(payload["n_mappers"])
    step = len(lines) // n
    chunks = [lines[i * step:(i + 1) * step] for i in range(n - 1)] + [lines[(n - 1) * step:]]
    run = runtime.current().request_id
    prefix = uuid.uuid4().hex[:8]
    out = []
    for index, chunk in enumerate(chunks):
        key = store.upload_stream(bucket, f"{payload['output_bucket']}/{run}/chunk-{index}",
                                  "\n".join(chunk).encode())
        out.append({"benchmark_bucket": bucket, "bucket": payload["output_bucket"], "blob": key,
                    "prefix": prefix})
    return {"list": out}
