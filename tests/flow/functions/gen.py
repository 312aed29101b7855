"""620.func-invo ``gen``: a string of exactly ``size`` characters → ``{"len": <string>}``."""

from __future__ import annotations

import random
from typing import Any


def make(size: int) -> str:
    """Decimal forms of ``i % 255`` over a shuffled ``range(size)``, cut to ``size`` chars."""
    order = list(range(size))
    random.shuffle(order)
    return "".join(str(i % 255) for i in order)[:size]


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    return {"len": make(int(payload["size"]))}
