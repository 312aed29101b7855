"""6200 ``reserve_rental``; raises for ``expected_result`` reason ``rental``."""

from typing import Any


def _check(payload: dict[str, Any], step: str) -> None:
    expected = payload.get("expected_result", {})
    if expected.get("result") == "failure" and expected.get("reason") == step:
        raise RuntimeError(f"{step} failed (injected)")


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    _check(payload, "rental")
    return {"rental_id": f"rental-{payload['trip_id']}", **payload}
