"""Sleeps ``payload["sleep"]`` seconds (or the bare number), then returns "ok"."""

from __future__ import annotations

import time
from typing import Any


def handler(payload: Any) -> str:
    seconds = payload["sleep"] if isinstance(payload, dict) else payload
    time.sleep(float(seconds))
    return "ok"
