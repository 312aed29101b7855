"""``{"size": N}`` → ``{"len": <N-character string>}`` (SeBS names the key ``len``)."""

from __future__ import annotations

import random
from typing import Any


def make_string(size: int) -> str:
    """Decimal forms of ``i % 255`` over a shuffled ``range(size)``, cut to ``size`` characters.

    Every number has at least one digit, so the join is never shorter than ``size``.
    """
    order = list(range(size))
    random.shuffle(order)
    return "".join(str(i % 255) for i in order)[:size]


def handler(payload: dict[str, Any]) -> dict[str, str]:
    return {"len": make_string(int(payload["size"]))}
