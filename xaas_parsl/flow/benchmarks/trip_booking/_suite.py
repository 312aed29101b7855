"""Sizes, input and check of 6200.trip-booking (failure injection as SeBS's ``input.py``).

``test`` succeeds; ``small`` fails in ``hotel``, which has no ``failure`` target, so the run
fails with nothing to compensate; ``large`` fails in ``confirm`` and is compensated. ``trip``
builds the input for any outcome (the functions also fail on ``rental`` and ``flight``).
"""

from __future__ import annotations

import json
from typing import Any

from xaas_parsl.flow.benchmarks import BUCKET, Outcome
from xaas_parsl.flow.benchmarks.trip_booking._tables import TABLES
from xaas_parsl.flow.storage import ObjectStore

SIZES: dict[str, dict[str, Any]] = {"test": {"result": "success"},
                                    "small": {"result": "failure", "reason": "hotel"},
                                    "large": {"result": "failure", "reason": "confirm"}}
# the failing state, the compensation calls its failure runs, and the final status
OUTCOMES: dict[str | None, tuple[str | None, list[str], str | None]] = {
    None: (None, [], "success"),
    "hotel": ("hotel", [], None),
    "rental": (None, ["cancel_hotel"], "failure"),
    "flight": (None, ["cancel_rental", "cancel_hotel"], "failure"),
    "confirm": (None, ["cancel_flight", "cancel_rental", "cancel_hotel"], "failure"),
}


def trip(expected: dict[str, Any]) -> dict[str, Any]:
    return {"flight_depart": "ZRH", "flight_arrive": "KTW", "flight_date": "2025-05-01",
            "hotel_stars": 3, "hotel_nights": 2, "hotel_distance": 5, "hotel_price_max": 200,
            "rental_class": "B", "rental_price_max": 80, "rental_duration": 2,
            "rental_requests": ["gps", "child seat"], "expected_result": dict(expected)}


def generate(size: str, store: ObjectStore, prefix: str) -> dict[str, Any]:
    return trip(SIZES[size])


def _rows(store: ObjectStore, trip_id: str) -> dict[str, list[dict[str, Any]]]:
    return {table: [json.loads(store.get(BUCKET, key))
                    for key in store.list(BUCKET, f"nosql/{table}/{trip_id}/")]
            for table in TABLES}


def check(size: str, payload: dict[str, Any], outcome: Outcome, store: ObjectStore) -> list[str]:
    expected = payload["expected_result"]
    reason = expected.get("reason") if expected.get("result") == "failure" else None
    failed_state, compensation, status = OUTCOMES[reason]
    calls = outcome.funcs()
    cancels = [c for c in calls if c.startswith("cancel_")]
    problems = []
    if cancels != compensation:
        problems.append(f"compensation calls {cancels}, expected {compensation}")
    if failed_state is not None:
        if outcome.failed_state != (failed_state,):
            problems.append(f"expected the run to fail in {failed_state}, "
                            f"got {outcome.failed_state or 'success'}")
        return problems
    if not outcome.ok:
        return [*problems, f"run failed: {outcome.error}"]
    if outcome.payload.get("status") != status:
        problems.append(f"status {outcome.payload.get('status')!r}, expected {status!r}")
    rows = _rows(store, outcome.payload["trip_id"])
    if status == "success" and any([r["status"] for r in rows[t]] != ["booked"] for t in TABLES):
        problems.append(f"a successful trip must have one booked row per table: {rows}")
    if status == "failure" and any(rows.values()):
        problems.append(f"a compensated trip must leave no rows: {rows}")
    return problems
