"""Deletes the hotel row → ``{"trip_id", "status": "failure"}``."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow.benchmarks.trip_booking._tables import delete


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    delete("hotel_booking", payload["trip_id"], payload["booking_id"])
    return {"trip_id": payload["trip_id"], "status": "failure"}
