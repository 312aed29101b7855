"""Shared helpers of the flow tests: the copied definitions, the stub functions, local runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from xaas_parsl.flow import RunOptions, RunResult, run

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
FUNCTIONS = HERE / "functions"
NINE = ("620.func-invo", "630.parallel-sleep", "631.parallel-download", "640.selfish-detour",
        "650.vid", "660.map-reduce", "6200.trip-booking", "6100.1000-genome", "690.ml")
TRIP = DATA / "6200.trip-booking.json"


def trip_input(result: str = "success", reason: str | None = None) -> dict[str, Any]:
    """Trip details as SeBS's input generator writes them, steering failure injection."""
    expected: dict[str, Any] = {"result": result}
    if reason:
        expected["reason"] = reason
    return {"flight_depart": "ZRH", "flight_arrive": "KTW", "flight_date": "2025-05-01",
            "hotel_stars": 3, "hotel_nights": 2, "hotel_distance": 5, "hotel_price_max": 200,
            "rental_class": "B", "rental_price_max": 80, "rental_duration": 2,
            "rental_requests": ["gps"], "expected_result": expected}


def write_definition(directory: Path, definition: dict[str, Any],
                     name: str = "flow.json") -> Path:
    path = directory / name
    path.write_text(json.dumps(definition))
    return path


class Runner:
    """Runs definitions in this process (no Parsl) with the stub functions and a tmp workdir."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir

    def options(self, **kwargs: Any) -> RunOptions:
        base: dict[str, Any] = {"functions": (str(FUNCTIONS),), "executor": None,
                                "workdir": str(self.workdir)}
        base.update(kwargs)
        return RunOptions(**base)

    def __call__(self, definition: Path | dict[str, Any], payload: Any,
                 **kwargs: Any) -> RunResult:
        return run(definition, payload, self.options(**kwargs))


@pytest.fixture
def local_run(tmp_path: Path) -> Runner:
    return Runner(tmp_path / "work")
