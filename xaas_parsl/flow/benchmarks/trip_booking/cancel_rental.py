"""Deletes the car rental row, drops ``rental_id`` and passes the rest on."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow.benchmarks.trip_booking._tables import delete


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    delete("car_rentals", payload["trip_id"], payload["rental_id"])
    return {k: v for k, v in payload.items() if k != "rental_id"}
