"""Always raises."""

from __future__ import annotations

from typing import Any


def handler(payload: Any) -> Any:
    raise ValueError("boom")
