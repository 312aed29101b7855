"""Books a car (pending) → ``{"trip_id", "rental_id", **input}``."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow import runtime
from xaas_parsl.flow.benchmarks.trip_booking._tables import fail_if, insert


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    fail_if(payload, "rental")
    rental_id = runtime.current().provider_request_id
    row = {k: v for k, v in payload.items() if k.startswith("rental_")}
    insert("car_rentals", payload["trip_id"], rental_id, {**row, "status": "pending"})
    return {"trip_id": payload["trip_id"], "rental_id": rental_id, **payload}
