"""Fails the first ``fail_times`` calls, counted in the file ``counter``; then ``{"calls": k}``."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    counter = Path(payload["counter"])
    calls = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(calls))
    if calls <= int(payload["fail_times"]):
        raise RuntimeError(f"flaky failure {calls}")
    return {**payload, "calls": calls}
