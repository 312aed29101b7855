"""Sleeps ``payload["sleep"]`` seconds → ``"ok"``."""

from __future__ import annotations

import time
from typing import Any


def handler(payload: dict[str, Any]) -> str:
    time.sleep(float(payload["sleep"]))
    return "ok"
