"""A number → twice it; a map item ``{"array_element": n, ...}`` → twice ``n``."""

from __future__ import annotations

from typing import Any


def handler(payload: Any) -> Any:
    if isinstance(payload, dict):
        return 2 * payload["array_element"]
    return 2 * payload
