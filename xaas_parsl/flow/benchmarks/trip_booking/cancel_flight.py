"""Deletes the flight row, drops ``flight_id`` and passes the rest on."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow.benchmarks.trip_booking._tables import delete


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    delete("flights", payload["trip_id"], payload["flight_id"])
    return {k: v for k, v in payload.items() if k != "flight_id"}
