"""6200 ``reserve_flight``: drops the trip details; raises for reason ``flight``."""

from typing import Any


def _check(payload: dict[str, Any], step: str) -> None:
    expected = payload.get("expected_result", {})
    if expected.get("result") == "failure" and expected.get("reason") == step:
        raise RuntimeError(f"{step} failed (injected)")


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    _check(payload, "flight")
    return {"trip_id": payload["trip_id"], "flight_id": f"flight-{payload['trip_id']}",
            "booking_id": payload["booking_id"], "rental_id": payload["rental_id"],
            "expected_result": payload.get("expected_result", {})}
