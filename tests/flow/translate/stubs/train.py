"""690 ``train`` (map body, one schedule): a deterministic score."""

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    return {"name": payload["name"], "score": round(1.0 / (1 + payload["C"]), 6)}
