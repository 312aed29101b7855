"""6200.trip-booking ``cancel_hotel``: delete the hotel row; the saga ends in "failure"."""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow import runtime


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    runtime.storage().delete("trips", f"{payload['trip_id']}/hotel")
    return {"trip_id": payload["trip_id"], "status": "failure"}
