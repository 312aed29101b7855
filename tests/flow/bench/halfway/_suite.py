"""Input and check of the halfway benchmark: the run must fail in ``steps``."""

from __future__ import annotations

import os
from typing import Any

SIZES: dict[str, dict[str, Any]] = {"test": {}, "small": {}, "large": {}}


def generate(size: str, store: Any, prefix: str) -> dict[str, Any]:
    return {"fail_at": 3, "how": os.environ.get("HALFWAY_HOW", "raise")}


def check(size: str, payload: dict[str, Any], outcome: Any, store: Any) -> list[str]:
    return [] if outcome.failed_state == ("steps",) else [f"ended {outcome.failed_state}"]
