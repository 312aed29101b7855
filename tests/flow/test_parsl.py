"""Runs on Parsl: every call is a Parsl app on the chosen executor of the ``local`` site config.

One DFK for the module (HTEX start-up costs seconds): ``login`` is its thread pool, ``compute``
its HTEX with two local worker processes, its heartbeat lowered so a killed worker is noticed
within a second or two.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import parsl
import pytest

from tests.flow.conftest import DATA, FUNCTIONS, TRIP, trip_input
from xaas_parsl.flow import RunOptions, WorkflowFailed, run
from xaas_parsl.flow.apps import run_workflow
from xaas_parsl.flow.storage import LocalStore
from xaas_parsl.flow.worker import container_id
from xaas_parsl.sites import config


@pytest.fixture(scope="module")
def dfk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    cfg = config("local", run_dir=tmp_path_factory.mktemp("runinfo"), workers_per_node=2)
    cfg.executors[1].heartbeat_period = 1
    parsl.clear()
    loaded = parsl.load(cfg)
    yield loaded
    loaded.cleanup()
    parsl.clear()


def options(tmp_path: Path, executor: str, **extra: Any) -> RunOptions:
    return RunOptions(functions=(str(FUNCTIONS),), executor=executor,
                      workdir=str(tmp_path / "work"), **extra)


def task(func: str, **extra: Any) -> dict[str, Any]:
    return {"type": "task", "func_name": func, **extra}


def test_trip_compensation_as_parsl_apps_on_the_thread_executor(dfk: Any,
                                                                tmp_path: Path) -> None:
    before = dfk.task_count
    result = run(TRIP, trip_input("failure", "confirm"), options(tmp_path, "login"))
    assert result.payload["status"] == "failure"
    assert dfk.task_count - before == 7 == len(result.records)  # one Parsl task per call
    assert {r["container_id"] for r in result.records} == {container_id()}  # driver threads


def test_function_chain_on_htex_workers(dfk: Any, tmp_path: Path) -> None:
    result = run(DATA / "620.func-invo.json", {"size": 32}, options(tmp_path, "compute"))
    assert len(result.payload["len"]) == 32
    assert len(result.records) == 9
    containers = {r["container_id"] for r in result.records}
    assert container_id() not in containers  # ran in worker processes, not the driver
    assert all(c.rsplit(":", 1)[1].isdigit() for c in containers)
    per_container: dict[str, list[bool]] = {}
    for record in sorted(result.records, key=lambda r: r["start"]):
        per_container.setdefault(f"{record['container_id']}/{record['func']}",
                                 []).append(record["is_cold"])
    # the first call of a function in a worker process is cold, later ones warm
    assert all(flags[0] and not any(flags[1:]) for flags in per_container.values())


def test_map_items_run_concurrently_on_htex(dfk: Any, tmp_path: Path) -> None:
    definition = {"root": "m", "states": {"m": {
        "type": "map", "array": "xs", "root": "s", "states": {"s": task("sleep")}}}}
    result = run(definition, {"xs": [0.5, 0.5]}, options(tmp_path, "compute"))
    assert result.payload == {"xs": ["ok", "ok"]}
    first, second = sorted(result.records, key=lambda r: r["start"])
    assert second["start"] < first["end"]  # overlapping calls


def test_killed_worker_is_retried(dfk: Any, tmp_path: Path) -> None:
    definition = {"root": "k", "states": {"k": task(
        "kill_worker", timeout_s=30, retry={"max_attempts": 2, "interval_s": 0})}}
    marker = tmp_path / "marker"
    result = run(definition, {"marker": str(marker)}, options(tmp_path, "compute"))
    assert result.payload["survived"] is True
    lost, ok = result.records
    assert not lost["ok"] and "WorkerLost" in lost["error"] and ok["ok"]


def test_killed_worker_without_retry_is_reported(dfk: Any, tmp_path: Path) -> None:
    definition = {"root": "k", "states": {"k": task("kill_worker", timeout_s=30)}}
    with pytest.raises(WorkflowFailed, match=r"failed in state k .*WorkerLost"):
        run(definition, {"marker": str(tmp_path / "m")}, options(tmp_path, "compute"))


def test_timeout_on_the_thread_executor(dfk: Any, tmp_path: Path) -> None:
    definition = {"root": "s", "states": {"s": task("sleep", timeout_s=0.2)}}
    with pytest.raises(WorkflowFailed, match=r"timed out after 0\.2 s"):
        run(definition, {"sleep": 1.0}, options(tmp_path, "login"))


def test_run_workflow_is_one_parsl_app(dfk: Any, tmp_path: Path) -> None:
    future = run_workflow(TRIP, trip_input(), functions=FUNCTIONS, executor="login",
                          workdir=tmp_path / "w")
    assert future.result(timeout=60)["status"] == "success"
    assert future.task_record["executor"] == "login"
    failed = run_workflow(TRIP, trip_input("failure", "hotel"), functions=FUNCTIONS,
                          executor="login", workdir=tmp_path / "w", request_id="r1")
    error = failed.exception(timeout=60)
    assert isinstance(error, WorkflowFailed) and error.request_id == "r1"
    assert error.state_path == ("hotel",)


def test_failure_cancels_prepared_calls_before_they_run(dfk: Any, tmp_path: Path) -> None:
    # rental, flight and confirm are submitted ahead while hotel runs; hotel fails
    with pytest.raises(WorkflowFailed, match="failed in state hotel"):
        run(TRIP, trip_input("failure", "hotel"), options(tmp_path, "login", request_id="h"))
    assert LocalStore(tmp_path / "work" / "storage").list("trips") == []


def test_a_timed_out_call_never_releases_its_successor(dfk: Any, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    definition = {"root": "s", "states": {
        "s": task("sleep", timeout_s=0.2, next="after", failure="handled"),
        "after": task("touch"), "handled": task("echo")}}
    payload = {"sleep": 0.5, "marker": str(marker)}
    result = run(definition, payload, options(tmp_path, "login"))
    assert result.payload == payload and "timed out" in result.handled[0]
    time.sleep(0.6)  # the abandoned sleep ends now; the prepared "after" must stay cancelled
    assert not marker.exists()


def test_retries_long_repeats_and_map_bodies_as_parsl_chains(dfk: Any, tmp_path: Path) -> None:
    definition = {"root": "f", "states": {
        "f": task("flaky", retry={"max_attempts": 3, "interval_s": 0}, next="r"),
        "r": {"type": "repeat", "func_name": "inc", "count": 20, "next": "p"},
        "p": {"type": "parallel", "parallel_functions": [
            {"root": "m", "states": {"m": {
                "type": "map", "array": "xs", "root": "d", "states": {
                    "d": task("double", next="i"), "i": task("inc")}}}},
            {"root": "e", "states": {"e": task("echo")}}]}}}
    payload = {"counter": str(tmp_path / "c"), "fail_times": 2, "xs": [1, 2]}
    result = run(definition, payload, options(tmp_path, "login"))
    assert result.payload["m"]["xs"] == [3, 5] and result.payload["e"]["n"] == 20
    assert [r["ok"] for r in result.records if r["func"] == "flaky"] == [False, False, True]
    assert len(result.records) == 3 + 20 + 4 + 1


def test_unknown_executor_label_is_an_input_error(dfk: Any, tmp_path: Path) -> None:
    from xaas_parsl.errors import InputError

    with pytest.raises(InputError, match="no Parsl executor labelled 'gpu'"):
        run(TRIP, trip_input(), options(tmp_path, "gpu"))
