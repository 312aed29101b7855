"""6200 ``reserve_hotel``; raises for ``expected_result`` reason ``hotel``."""

import hashlib
from typing import Any


def _check(payload: dict[str, Any], step: str) -> None:
    expected = payload.get("expected_result", {})
    if expected.get("result") == "failure" and expected.get("reason") == step:
        raise RuntimeError(f"{step} failed (injected)")


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    _check(payload, "hotel")
    key = f"{payload.get('flight_depart')}-{payload.get('flight_date')}"
    tid = hashlib.sha1(key.encode()).hexdigest()[:12]
    return {"trip_id": tid, "booking_id": f"hotel-{tid}", **payload}
