"""6200 ``cancel_flight``: drops the flight id, passes the rest on."""

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != "flight_id"}
