"""``{"count": C, "sleep": S}`` → ``{"buffer": [{"sleep": S}] * C}``."""

from __future__ import annotations

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {"buffer": [{"sleep": payload["sleep"]} for _ in range(int(payload["count"]))]}
