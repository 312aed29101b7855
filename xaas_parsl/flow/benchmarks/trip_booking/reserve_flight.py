"""Books a flight (pending) → the ids and ``expected_result`` (trip details dropped)."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow import runtime
from xaas_parsl.flow.benchmarks.trip_booking._tables import fail_if, insert


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    fail_if(payload, "flight")
    flight_id = runtime.current().provider_request_id
    row = {k: v for k, v in payload.items() if k.startswith("flight_")}
    insert("flights", payload["trip_id"], flight_id, {**row, "status": "pending"})
    return {"trip_id": payload["trip_id"], "flight_id": flight_id,
            "booking_id": payload["booking_id"], "rental_id": payload["rental_id"],
            "expected_result": payload.get("expected_result")}
