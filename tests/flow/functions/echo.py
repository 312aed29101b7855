"""Returns its payload unchanged."""

from __future__ import annotations

from typing import Any


def handler(payload: Any) -> Any:
    return payload
