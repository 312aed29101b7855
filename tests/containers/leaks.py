"""Looking for host paths and secrets in an image: labels, config, history and every byte."""

from __future__ import annotations

import json
from typing import Any


def metadata_text(engine: Any, ref: str) -> str:
    """Labels, config (env, cmd, ...) and history of ``ref`` as one text."""
    image = engine.images.get(ref)
    return json.dumps(image.attrs) + json.dumps(image.history())


def bytes_containing(engine: Any, ref: str, needles: list[str]) -> set[str]:
    """Which ``needles`` occur anywhere in ``docker save`` of ``ref`` (layers included)."""
    found: set[str] = set()
    wanted = [n.encode() for n in needles]
    keep = max(len(n) for n in wanted)
    tail = b""
    for chunk in engine.images.get(ref).save(chunk_size=4 << 20):
        data = tail + chunk
        for needle, raw in zip(needles, wanted, strict=True):
            if raw in data:
                found.add(needle)
        tail = data[-keep:]
    return found
