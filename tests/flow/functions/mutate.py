"""Mutates its input in place (clears it), then raises: the failure target must still see the
original payload."""

from __future__ import annotations

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    payload.clear()
    raise RuntimeError("mutated and failed")
