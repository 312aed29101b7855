"""Sets all three rows to "booked" → ``{"trip_id", "status": "success"}``."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow.benchmarks.trip_booking._tables import fail_if, update


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    fail_if(payload, "confirm")
    trip = payload["trip_id"]
    update("flights", trip, payload["flight_id"], status="booked")
    update("car_rentals", trip, payload["rental_id"], status="booked")
    update("hotel_booking", trip, payload["booking_id"], status="booked")
    return {"trip_id": trip, "status": "success"}
