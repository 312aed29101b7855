"""``{"len": s}`` → a fresh string of the same length, made the same way as ``gen``'s."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow.benchmarks.func_invo.gen import make_string


def handler(payload: dict[str, Any]) -> dict[str, str]:
    return {"len": make_string(len(payload["len"]))}
