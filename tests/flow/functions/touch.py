"""Creates the file ``payload["marker"]`` and returns the payload (proves that a call ran)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    Path(payload["marker"]).write_text("ran")
    return payload
