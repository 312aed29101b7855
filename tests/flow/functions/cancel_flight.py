"""6200.trip-booking ``cancel_flight``: delete the flight row, drop its id, pass the rest on."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow import runtime


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    runtime.storage().delete("trips", f"{payload['trip_id']}/flight")
    return {k: v for k, v in payload.items() if k != "flight_id"}
