"""``{"n": k, ...}`` → the same object with ``n = k + 1`` (a number → number + 1)."""

from __future__ import annotations

from typing import Any


def handler(payload: Any) -> Any:
    if isinstance(payload, dict):
        return {**payload, "n": payload.get("n", 0) + 1}
    return payload + 1
