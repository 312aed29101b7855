"""6200 ``cancel_hotel``: the end of the compensation chain."""

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    return {"trip_id": payload["trip_id"], "status": "failure"}
