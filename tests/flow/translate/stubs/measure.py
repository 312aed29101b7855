"""640 ``measure``: a deterministic stand-in for the detour measurement."""

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    n = int(payload["num_samples"])
    return {"samples": n, "detour": sum(range(n))}
