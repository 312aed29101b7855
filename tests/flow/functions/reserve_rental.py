"""6200.trip-booking ``reserve_rental``: a pending row keyed by this call's id.

Raises when ``expected_result`` asks for a failure in "rental". The row lives in the object
store (bucket ``trips``), standing in for SeBS's NoSQL table.
"""

from __future__ import annotations

import json
from typing import Any

from xaas_parsl.flow import runtime


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    expected = payload.get("expected_result", {})
    if expected.get("result") == "failure" and expected.get("reason") == "rental":
        raise RuntimeError("rental reservation failed (injected)")
    ctx = runtime.current()
    trip_id = payload["trip_id"]
    row = {k: v for k, v in payload.items() if k.startswith("rental_")}
    runtime.storage().put("trips", f"{trip_id}/rental",
                          json.dumps({**row, "status": "pending"}).encode())
    return {"trip_id": trip_id, "rental_id": ctx.provider_request_id, **payload}
