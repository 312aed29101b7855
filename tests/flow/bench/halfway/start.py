"""Passes the input on with ``n = 0``."""

from __future__ import annotations

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "n": 0}
