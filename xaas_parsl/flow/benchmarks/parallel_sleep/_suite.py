"""Sizes, input and check of 630.parallel-sleep (sizes as SeBS's ``input.py``)."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow.benchmarks import Outcome
from xaas_parsl.flow.storage import ObjectStore

SIZES: dict[str, dict[str, Any]] = {"test": {"count": 2, "sleep": 2},
                                    "small": {"count": 16, "sleep": 20},
                                    "large": {"count": 50, "sleep": 2}}


def generate(size: str, store: ObjectStore, prefix: str) -> dict[str, Any]:
    return dict(SIZES[size])


def check(size: str, payload: dict[str, Any], outcome: Outcome, store: ObjectStore) -> list[str]:
    if not outcome.ok:
        return [f"run failed: {outcome.error}"]
    problems = []
    if outcome.payload != {"buffer": ["ok"] * payload["count"]}:
        problems.append(f"expected {payload['count']} x 'ok' in buffer, got {outcome.payload!r}")
    sleeps = [r for r in outcome.records if r["func"] == "process"]
    short = [r for r in sleeps if r["end"] - r["start"] < 0.95 * payload["sleep"]]
    if short:
        problems.append(f"{len(short)} process call(s) returned before {payload['sleep']} s")
    return problems
