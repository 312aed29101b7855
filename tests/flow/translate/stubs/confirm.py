"""6200 ``confirm``; raises for ``expected_result`` reason ``confirm``."""

from typing import Any


def _check(payload: dict[str, Any], step: str) -> None:
    expected = payload.get("expected_result", {})
    if expected.get("result") == "failure" and expected.get("reason") == step:
        raise RuntimeError(f"{step} failed (injected)")


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    _check(payload, "confirm")
    return {"trip_id": payload["trip_id"], "status": "success"}
