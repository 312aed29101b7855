"""Merges the per-batch dicts (now the list at ``frames``) into one ``{frame: detections}``."""

from __future__ import annotations

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for batch in payload["frames"]:
        merged.update(batch)
    return merged
