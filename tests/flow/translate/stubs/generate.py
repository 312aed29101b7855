"""630/631 ``generate`` (a ``buffer`` list) and 690 ``generate`` (a ``schedules`` list)."""

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    n = int(payload.get("count", 2))
    return {"buffer": [{"i": i} for i in range(n)],
            "schedules": [{"name": f"clf{i}", "C": i + 1} for i in range(n)]}
