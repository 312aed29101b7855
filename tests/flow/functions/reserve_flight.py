"""6200.trip-booking ``reserve_flight``: a pending row keyed by this call's id.

Raises when ``expected_result`` asks for a failure in "flight". The row lives in the object
store (bucket ``trips``), standing in for SeBS's NoSQL table.
"""

from __future__ import annotations

import json
from typing import Any

from xaas_parsl.flow import runtime


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    expected = payload.get("expected_result", {})
    if expected.get("result") == "failure" and expected.get("reason") == "flight":
        raise RuntimeError("flight reservation failed (injected)")
    ctx = runtime.current()
    trip_id = payload["trip_id"]
    row = {k: v for k, v in payload.items() if k.startswith("flight_")}
    runtime.storage().put("trips", f"{trip_id}/flight",
                          json.dumps({**row, "status": "pending"}).encode())
    keep = ("booking_id", "rental_id", "expected_result")
    return {"trip_id": trip_id, "flight_id": ctx.provider_request_id,
            **{k: payload[k] for k in keep}}
