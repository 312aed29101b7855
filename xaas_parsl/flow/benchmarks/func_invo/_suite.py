"""Sizes, input and check of 620.func-invo (sizes as SeBS's ``input.py``)."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow.benchmarks import Outcome
from xaas_parsl.flow.storage import ObjectStore

SIZES: dict[str, dict[str, Any]] = {"test": {"size": 10}, "small": {"size": 32},
                                    "large": {"size": 2**20}}


def generate(size: str, store: ObjectStore, prefix: str) -> dict[str, Any]:
    return dict(SIZES[size])


def check(size: str, payload: dict[str, Any], outcome: Outcome, store: ObjectStore) -> list[str]:
    if not outcome.ok:
        return [f"run failed: {outcome.error}"]
    text = outcome.payload.get("len") if isinstance(outcome.payload, dict) else None
    problems = []
    if not isinstance(text, str) or len(text) != payload["size"]:
        problems.append(f"expected a string of {payload['size']} characters, got "
                        f"{len(text) if isinstance(text, str) else type(text).__name__}")
    if outcome.funcs() != ["gen"] + ["process"] * 8:
        problems.append(f"calls were {outcome.funcs()}, expected gen then 8 x process")
    return problems
