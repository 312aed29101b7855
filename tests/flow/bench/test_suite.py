"""The nine benchmarks end to end on the ``local`` site (Parsl HTEX workers), outputs verified.

Functions are found through the entry-point group by the definition's stem (no options), the
inputs are generated into a fresh object store, and each benchmark's own check verifies the
outcome. Trip booking compensates on failure inputs only.
"""

from __future__ import annotations

import filecmp
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import parsl
import pytest

from tests.conftest import REFERENCE
from xaas_parsl.flow import RunOptions, WorkflowFailed, run
from xaas_parsl.flow.benchmarks import BENCHMARKS, DEFINITIONS, Outcome, get
from xaas_parsl.flow.benchmarks.trip_booking._suite import trip
from xaas_parsl.flow.functions import registered_packages
from xaas_parsl.flow.measure import open_store
from xaas_parsl.flow.storage import LocalStore
from xaas_parsl.sites import config


@pytest.fixture(scope="module")
def dfk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    parsl.clear()
    loaded = parsl.load(config("local", run_dir=tmp_path_factory.mktemp("runinfo"),
                               workers_per_node=2))
    yield loaded
    loaded.cleanup()
    parsl.clear()


def outcome_of(definition: Path, payload: Any, options: RunOptions) -> Outcome:
    try:
        result = run(definition, payload, options)
    except WorkflowFailed as exc:
        store = open_store(Path(options.workdir) / "measurements.sqlite")
        try:
            records = store.records(exc.request_id)
        finally:
            store.close()
        return Outcome(failed_state=exc.state_path, error=str(exc), records=records)
    return Outcome(result.payload, records=result.records)


def test_definitions_are_the_reference_files() -> None:
    for name in BENCHMARKS:
        for suffix in (".json", ".config.json"):
            ours = DEFINITIONS / f"{name}{suffix}"
            assert filecmp.cmp(ours, REFERENCE / "sebs-flow" / "definitions" / ours.name,
                               shallow=False)


def test_every_benchmark_is_registered_as_an_entry_point() -> None:
    registered = registered_packages()
    assert {name: registered.get(name) for name in BENCHMARKS} == \
        {name: bench.package for name, bench in BENCHMARKS.items()}
    assert get("620") is get("func-invo") is BENCHMARKS["620.func-invo"]


@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_benchmark_runs_and_its_output_checks(dfk: Any, tmp_path: Path, name: str) -> None:
    bench = BENCHMARKS[name]
    store = LocalStore(tmp_path / "storage")
    payload = bench.generate("test", store)
    options = RunOptions(executor="compute", storage=str(tmp_path / "storage"),
                         workdir=str(tmp_path / "work"))  # functions: by the entry point
    started = time.monotonic()
    outcome = outcome_of(bench.definition, payload, options)
    assert time.monotonic() - started < 60  # generous: < 10 s unloaded, see docs
    assert bench.check("test", payload, outcome, store) == []
    assert outcome.ok
    assert all(r["container_id"] and r["ok"] for r in outcome.records)


@pytest.mark.parametrize("reason", [None, "hotel", "rental", "flight", "confirm"])
def test_trip_booking_compensates_on_failure_inputs_only(dfk: Any, tmp_path: Path,
                                                         reason: str | None) -> None:
    bench = BENCHMARKS["6200.trip-booking"]
    store = LocalStore(tmp_path / "storage")
    expected = {"result": "success"} if reason is None else {"result": "failure",
                                                               "reason": reason}
    payload = trip(expected)
    outcome = outcome_of(bench.definition, payload,
                         RunOptions(executor="login", storage=str(tmp_path / "storage"),
                                    workdir=str(tmp_path / "work")))
    assert bench.check("test", payload, outcome, store) == []
    cancels = [f for f in outcome.funcs() if f.startswith("cancel_")]
    assert (cancels == []) == (reason in (None, "hotel"))
    if reason is None:
        assert outcome.payload["status"] == "success"
    elif reason == "hotel":
        assert outcome.failed_state == ("hotel",)  # no failure target: nothing to compensate
    else:
        assert outcome.payload["status"] == "failure" and cancels[-1] == "cancel_hotel"
        assert not store.list("sebs-flow", "nosql/")  # every reservation undone


def test_checks_catch_wrong_outputs(tmp_path: Path) -> None:
    """The checks are not vacuous: a wrong payload or a missing compensation is reported."""
    store = LocalStore(tmp_path / "storage")
    bench = BENCHMARKS["660.map-reduce"]
    payload = bench.generate("test", store)
    wrong = {"list": [{"word": w, "count": 49} for w in ("bird", "cat", "dog", "horse", "pig")]}
    assert bench.check("test", payload, Outcome(wrong), store)
    trip_bench = BENCHMARKS["6200.trip-booking"]
    large = trip_bench.generate("large", store)
    uncompensated = Outcome({"trip_id": "x", "status": "success"},
                            records=[{"func": "confirm", "start": 0.0}])
    assert trip_bench.check("large", large, uncompensated, store)
    assert BENCHMARKS["620.func-invo"].check("test", {"size": 10}, Outcome({"len": "123"}),
                                             store)


@pytest.mark.slow
@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_benchmark_sizes_verify_in_process(tmp_path: Path, name: str, size: str) -> None:
    """The bigger sizes (minutes in all; large 630 sleeps 2 s x 50 in parallel threads)."""
    bench = BENCHMARKS[name]
    store = LocalStore(tmp_path / "storage")
    payload = bench.generate(size, store)
    outcome = outcome_of(bench.definition, payload,
                         RunOptions(executor=None, storage=str(tmp_path / "storage"),
                                    workdir=str(tmp_path / "work")))
    assert bench.check(size, payload, outcome, store) == []
