"""Sizes, input and check of 631.parallel-download (sizes as SeBS's ``input.py``)."""

from __future__ import annotations

import random
from typing import Any

from xaas_parsl.flow.benchmarks import BUCKET, Outcome
from xaas_parsl.flow.storage import ObjectStore

SIZES: dict[str, dict[str, Any]] = {"test": {"count": 5, "bytes": 10},
                                    "small": {"count": 20, "bytes": 2**10},
                                    "large": {"count": 50, "bytes": 2**10}}


def blob_text(size: int, seed: int = 0) -> bytes:
    """At most ``size`` bytes: digits of ``i % 255`` over a shuffled range (as SeBS writes)."""
    order = list(range(size))
    random.Random(seed).shuffle(order)
    return "".join(str(i % 255) for i in order)[:size].encode()


def generate(size: str, store: ObjectStore, prefix: str) -> dict[str, Any]:
    params = SIZES[size]
    key = f"{prefix}/input/data-{params['bytes']}.txt"
    store.put(BUCKET, key, blob_text(params["bytes"]))
    return {"count": params["count"], "bucket": BUCKET, "blob": key}


def check(size: str, payload: dict[str, Any], outcome: Outcome, store: ObjectStore) -> list[str]:
    if not outcome.ok:
        return [f"run failed: {outcome.error}"]
    problems = []
    if outcome.payload != {"buffer": ["ok"] * payload["count"]}:
        problems.append(f"expected {payload['count']} x 'ok' in buffer, got {outcome.payload!r}")
    blob = len(store.get(payload["bucket"], payload["blob"]))
    downloads = [int(r["blob.download"]) for r in outcome.records if r["func"] == "process"]
    if downloads != [blob] * payload["count"]:
        problems.append(f"each process call should download {blob} B, measured {downloads}")
    return problems
