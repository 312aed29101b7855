"""Drops ``count`` → ``{"buffer": [<rest of the input>] * count}``."""

from __future__ import annotations

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    rest = {k: v for k, v in payload.items() if k != "count"}
    return {"buffer": [dict(rest) for _ in range(int(payload["count"]))]}
