"""Rows of the three tables as JSON objects in the object store, and the failure injection."""

from __future__ import annotations

import json
from typing import Any

from xaas_parsl.flow import runtime
from xaas_parsl.flow.benchmarks import BUCKET

TABLES = ("flights", "car_rentals", "hotel_booking")


def key(table: str, trip_id: str, row_id: str) -> str:
    return f"nosql/{table}/{trip_id}/{row_id}.json"


def insert(table: str, trip_id: str, row_id: str, row: dict[str, Any]) -> None:
    runtime.storage().put(BUCKET, key(table, trip_id, row_id), json.dumps(row).encode())


def update(table: str, trip_id: str, row_id: str, **changes: Any) -> None:
    store = runtime.storage()
    row = json.loads(store.get(BUCKET, key(table, trip_id, row_id)))
    store.put(BUCKET, key(table, trip_id, row_id), json.dumps({**row, **changes}).encode())


def delete(table: str, trip_id: str, row_id: str) -> None:
    runtime.storage().delete(BUCKET, key(table, trip_id, row_id))


class InjectedFailure(RuntimeError):
    """The failure the input asked for (``expected_result``)."""


def fail_if(payload: dict[str, Any], step: str) -> None:
    expected = payload.get("expected_result") or {}
    if expected.get("result") == "failure" and expected.get("reason") == step:
        raise InjectedFailure(f"injected failure in {step}")
