"""``n + 1``; at ``fail_at`` raises or ends the process at once (no cleanup, no flush)."""

from __future__ import annotations

import os
from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    n = payload["n"] + 1
    if n == payload["fail_at"]:
        if payload["how"] == "exit":
            os._exit(17)
        raise RuntimeError(f"step {n} fails")
    return {**payload, "n": n}
