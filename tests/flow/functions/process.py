"""620.func-invo ``process``: a fresh string of the same length as ``len``."""

from __future__ import annotations

import random
from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    size = len(payload["len"])
    order = list(range(size))
    random.shuffle(order)
    return {"len": "".join(str(i % 255) for i in order)[:size]}
