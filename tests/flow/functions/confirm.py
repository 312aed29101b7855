"""6200.trip-booking ``confirm``: every row of the trip becomes "booked"."""

from __future__ import annotations

import json
from typing import Any

from xaas_parsl.flow import runtime


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    expected = payload.get("expected_result", {})
    if expected.get("result") == "failure" and expected.get("reason") == "confirm":
        raise RuntimeError("confirmation failed (injected)")
    store = runtime.storage()
    for part in ("hotel", "rental", "flight"):
        key = f"{payload['trip_id']}/{part}"
        row = json.loads(store.get("trips", key))
        store.put("trips", key, json.dumps({**row, "status": "booked"}).encode())
    return {"trip_id": payload["trip_id"], "status": "success"}
