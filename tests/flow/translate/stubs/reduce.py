"""660 ``reduce`` (map body): one word's total."""

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    return {"word": payload["word"], "count": sum(payload["counts"])}
