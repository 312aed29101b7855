"""Sizes, input and check of 640.selfish-detour (sizes as SeBS's ``input.py``)."""

from __future__ import annotations

import itertools
from typing import Any

from xaas_parsl.flow.benchmarks import Outcome
from xaas_parsl.flow.storage import ObjectStore

SIZES: dict[str, dict[str, Any]] = {"test": {"num_samples": 100},
                                    "small": {"num_samples": 5000},
                                    "large": {"num_samples": 10000}}


def generate(size: str, store: ObjectStore, prefix: str) -> dict[str, Any]:
    return dict(SIZES[size])


def check(size: str, payload: dict[str, Any], outcome: Outcome, store: ObjectStore) -> list[str]:
    if not outcome.ok:
        return [f"run failed: {outcome.error}"]
    out = outcome.payload
    problems = []
    pairs = out.get("timestamps", []) if isinstance(out, dict) else []
    if not isinstance(out, dict) or out.get("tps") != 1_000_000_000 or out["min_diff"] <= 0:
        return [f"malformed result {str(out)[:200]}"]
    if out["complete"] and len(pairs) != payload["num_samples"]:
        problems.append(f"{len(pairs)} detours recorded, {payload['num_samples']} asked")
    if not pairs:
        problems.append("no detour recorded")
    threshold = 9 * out["min_diff"]
    if any(end - start <= threshold for start, end in pairs):
        problems.append("a recorded detour is not longer than 9x the minimum iteration")
    if any(b[0] < a[1] for a, b in itertools.pairwise(pairs)):
        problems.append("detours overlap or are out of order")
    return problems
