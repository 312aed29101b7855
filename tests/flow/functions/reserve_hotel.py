"""6200.trip-booking ``reserve_hotel``: a pending row keyed by this call's id.

Raises when ``expected_result`` asks for a failure in "hotel". The row lives in the object
store (bucket ``trips``), standing in for SeBS's NoSQL table.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from xaas_parsl.flow import runtime


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    expected = payload.get("expected_result", {})
    if expected.get("result") == "failure" and expected.get("reason") == "hotel":
        raise RuntimeError("hotel reservation failed (injected)")
    ctx = runtime.current()
    trip_id = uuid.uuid4().hex
    row = {k: v for k, v in payload.items() if k.startswith("hotel_")}
    runtime.storage().put("trips", f"{trip_id}/hotel",
                          json.dumps({**row, "status": "pending"}).encode())
    return {"trip_id": trip_id, "booking_id": ctx.provider_request_id, **payload}
