"""Sizes, input and check of 660.map-reduce (repetitions as SeBS's ``input.py``)."""

from __future__ import annotations

import random
from typing import Any

from xaas_parsl.flow.benchmarks import BUCKET, Outcome
from xaas_parsl.flow.storage import ObjectStore

WORDS = ("cat", "dog", "bird", "horse", "pig")
SIZES: dict[str, dict[str, Any]] = {"test": {"repeat": 50}, "small": {"repeat": 1000},
                                    "large": {"repeat": 100000}}


def generate(size: str, store: ObjectStore, prefix: str) -> dict[str, Any]:
    words = list(WORDS) * SIZES[size]["repeat"]
    random.Random(42).shuffle(words)
    store.put(BUCKET, f"{prefix}/input/words", "\n".join(words).encode())
    return {"benchmark_bucket": BUCKET, "words_bucket": f"{prefix}/input", "words": "words",
            "n_mappers": 3, "output_bucket": f"{prefix}/output"}


def check(size: str, payload: dict[str, Any], outcome: Outcome, store: ObjectStore) -> list[str]:
    if not outcome.ok:
        return [f"run failed: {outcome.error}"]
    repeat = SIZES[size]["repeat"]
    want = sorted(({"word": w, "count": repeat} for w in WORDS), key=lambda r: r["word"])
    got = outcome.payload.get("list") if isinstance(outcome.payload, dict) else None
    if not isinstance(got, list) or sorted(got, key=lambda r: r["word"]) != want:
        return [f"expected every word counted {repeat} times, got {got!r}"]
    calls = outcome.funcs()
    if calls.count("map") != payload["n_mappers"] or calls.count("reduce") != len(WORDS):
        return [f"expected {payload['n_mappers']} map and {len(WORDS)} reduce calls: {calls}"]
    return []
