"""New trip id; books a hotel (pending) → ``{"trip_id", "booking_id", **input}``."""

from __future__ import annotations

import uuid
from typing import Any

from xaas_parsl.flow import runtime
from xaas_parsl.flow.benchmarks.trip_booking._tables import fail_if, insert


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    fail_if(payload, "hotel")
    trip_id = uuid.uuid4().hex
    booking_id = runtime.current().provider_request_id
    row = {k: v for k, v in payload.items() if k.startswith("hotel_")}
    insert("hotel_booking", trip_id, booking_id,
           {**row, "status": "pending", "price": 120, "name": "Hotel Sebs"})
    return {"trip_id": trip_id, "booking_id": booking_id, **payload}
