"""The interpreter end to end on local threads (no Parsl): the semantics of docs/flow.md §2, one by
one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.flow.conftest import DATA, FUNCTIONS, TRIP, Runner, trip_input
from xaas_parsl.flow import SQLiteStore, WorkflowFailed
from xaas_parsl.flow.storage import LocalStore


def task(func: str, **extra: Any) -> dict[str, Any]:
    return {"type": "task", "func_name": func, **extra}


def funcs(result: Any) -> list[str]:
    return [r["func"] for r in sorted(result.records, key=lambda r: r["start"])]


def stored(runner: Runner, request_id: str) -> list[dict[str, Any]]:
    store = SQLiteStore(runner.workdir / "measurements.sqlite")
    try:
        return store.records(request_id)
    finally:
        store.close()


# --- trip booking (6200): the saga -------------------------------------------------------------

def test_trip_success_confirms_and_runs_no_compensation(local_run: Runner) -> None:
    result = local_run(TRIP, trip_input())
    assert result.payload["status"] == "success"
    assert funcs(result) == ["reserve_hotel", "reserve_rental", "reserve_flight", "confirm"]
    assert result.handled == []
    rows = LocalStore(local_run.workdir / "storage")
    keys = rows.list("trips", result.payload["trip_id"])
    assert len(keys) == 3
    assert all(json.loads(rows.get("trips", k))["status"] == "booked" for k in keys)


def test_trip_confirm_failure_runs_the_compensation_chain(local_run: Runner) -> None:
    result = local_run(TRIP, trip_input("failure", "confirm"))
    assert result.payload == {"trip_id": result.payload["trip_id"], "status": "failure"}
    assert funcs(result) == ["reserve_hotel", "reserve_rental", "reserve_flight", "confirm",
                             "cancel_flight", "cancel_rental", "cancel_hotel"]
    assert [r["ok"] for r in result.records].count(False) == 1
    assert result.handled and result.handled[0].startswith("confirm -> cancel_flight")
    assert LocalStore(local_run.workdir / "storage").list("trips", result.payload["trip_id"]) \
        == []


def test_trip_rental_failure_cancels_only_the_hotel(local_run: Runner) -> None:
    result = local_run(TRIP, trip_input("failure", "rental"))
    assert funcs(result) == ["reserve_hotel", "reserve_rental", "cancel_hotel"]
    assert result.payload["status"] == "failure"


def test_trip_hotel_failure_fails_the_run_naming_state_and_request_id(
        local_run: Runner) -> None:
    with pytest.raises(WorkflowFailed) as info:
        local_run(TRIP, trip_input("failure", "hotel"), request_id="run-42")
    error = info.value
    assert error.state_path == ("hotel",) and error.request_id == "run-42"
    assert "run run-42 failed in state hotel (function reserve_hotel)" in error.one_line()
    assert "hotel reservation failed" in error.one_line()
    records = stored(local_run, "run-42")
    assert [(r["func"], r["ok"]) for r in records] == [("reserve_hotel", False)]


def test_records_of_calls_before_a_failure_are_all_kept(local_run: Runner) -> None:
    definition = {"root": "a", "states": {
        "a": task("inc", next="m"),
        "m": {"type": "map", "array": "xs", "root": "t", "next": "b",
              "states": {"t": task("positive")}},
        "b": task("inc")}}
    with pytest.raises(WorkflowFailed) as info:
        local_run(definition, {"xs": [1, -1, 2, -3]}, request_id="keep")
    assert info.value.state_path == ("m", "t")
    assert "negative: -1" in info.value.error  # first failure in element order
    records = stored(local_run, "keep")
    assert sorted((r["func"], r["ok"]) for r in records) == [
        ("inc", True), ("positive", False), ("positive", False), ("positive", True),
        ("positive", True)]


# --- maps and parallels ------------------------------------------------------------------------

def test_map_inside_parallel_with_a_two_state_body(local_run: Runner) -> None:
    definition = {"root": "p", "states": {"p": {"type": "parallel", "parallel_functions": [
        {"root": "m", "states": {"m": {
            "type": "map", "array": "xs", "root": "d", "states": {
                "d": task("double", next="i"), "i": task("inc")}}}},
        {"root": "e", "states": {"e": task("echo")}}]}}}
    result = local_run(definition, {"xs": [1, 2, 3], "tag": "t"})
    # branch rooted at a map: the payload with the list written back, not the bare list
    assert result.payload == {"m": {"xs": [3, 5, 7], "tag": "t"},
                              "e": {"xs": [1, 2, 3], "tag": "t"}}
    assert len(result.records) == 7


def test_empty_map_gives_an_empty_list_and_no_calls(local_run: Runner) -> None:
    definition = {"root": "m", "states": {"m": {
        "type": "map", "array": "a.xs", "root": "t", "common_params": "c",
        "states": {"t": task("fail")}}}}
    result = local_run(definition, {"a": {"xs": []}, "c": 1})
    assert result.payload == {"a": {"xs": []}, "c": 1} and result.records == []


@pytest.mark.parametrize("params", ["cfg.scale,name", ["cfg.scale", "name"]])
def test_common_params_string_or_list_and_dotted_keys_kept_literally(
        local_run: Runner, params: Any) -> None:
    definition = {"root": "m", "states": {"m": {
        "type": "map", "array": "xs", "root": "t", "common_params": params,
        "result": "out", "states": {"t": task("echo")}}}}
    result = local_run(definition, {"xs": [1, 2], "cfg": {"scale": 10}, "name": "n"})
    assert result.payload["out"] == [
        {"array_element": 1, "cfg.scale": 10, "name": "n"},
        {"array_element": 2, "cfg.scale": 10, "name": "n"}]
    assert result.payload["xs"] == [1, 2]


def test_parallel_branches_get_their_own_copies(local_run: Runner) -> None:
    definition = {"root": "p", "states": {"p": {"type": "parallel", "parallel_functions": [
        {"root": "a", "states": {"a": task("mutate", failure="a2"), "a2": task("echo")}},
        {"root": "b", "states": {"b": task("echo")}}]}}}
    payload = {"k": [1, 2]}
    result = local_run(definition, payload)
    # the failure target saw the input unchanged although the handler cleared it in place
    assert result.payload == {"a": payload, "b": payload}
    assert payload == {"k": [1, 2]}


def test_1000_genome_shape_with_stub_functions(local_run: Runner, tmp_path: Path) -> None:
    stubs = tmp_path / "genome"
    stubs.mkdir()
    bodies = {
        "individuals": 'return {"individuals_output": f"ind-{p[\'array_element\'][\'start\']}"}',
        "individuals_merge": 'return {"merge_outputfile_name": ",".join('
                             'b["individuals_output"] for b in p["blob"])}',
        "sifting": 'return {"output_sifting": "sift", "populations": p["populations"]}',
        "frequency": 'return {"output_frequency": p["array_element"] + "-freq", '
                     '"merge": p["individuals_merge"]["merge_outputfile_name"]}',
        "mutation_overlap": 'return {"output_mutation_overlap": p["array_element"]}',
    }
    for name, body in bodies.items():
        (stubs / f"{name}.py").write_text(f"def handler(p):\n    {body}\n")
    payload = {"blob": [{"start": 0}, {"start": 10}], "populations": ["AFR", "EUR"],
               "benchmark_bucket": "b", "bucket": "o", "columns": "c", "columns_bucket": "i",
               "sifting_input": "s", "individuals_file": "f"}
    result = local_run(DATA / "6100.1000-genome.json", payload, functions=(str(stubs),))
    out = result.payload
    assert set(out) == {"frequency", "mutation_overlap"}
    assert out["frequency"]["sifting"]["populations"] == [
        {"output_frequency": "AFR-freq", "merge": "ind-0,ind-10"},
        {"output_frequency": "EUR-freq", "merge": "ind-0,ind-10"}]
    assert out["mutation_overlap"]["individuals_merge"] == {"merge_outputfile_name":
                                                            "ind-0,ind-10"}
    assert len(result.records) == 2 + 2 + 4


# --- switch, loop, repeat ----------------------------------------------------------------------

@pytest.mark.parametrize(("payload", "expected"), [
    ({"n": 11, "s": "x"}, "big"), ({"n": 5.5, "s": "x"}, "mid"), ({"n": 1, "s": "go"}, "ne"),
    ({"n": 1, "s": "stop"}, "default"), ({"n": "11", "s": "stop"}, "default")])
def test_switch_numeric_string_and_not_equal(local_run: Runner, payload: dict[str, Any],
                                             expected: str) -> None:
    definition = {"root": "s", "states": {
        "s": {"type": "switch", "default": "default", "cases": [
            {"var": "n", "op": ">=", "val": 10, "next": "big"},
            {"var": "n", "op": ">", "val": 5, "next": "mid"},
            {"var": "s", "op": "!=", "val": "stop", "next": "ne"}]},
        **{name: task("ids") for name in ("big", "mid", "ne", "default")}}}
    result = local_run(definition, payload)
    assert [r["state"] for r in result.records] == [expected]


def test_switch_on_a_missing_variable_fails_naming_the_switch(local_run: Runner) -> None:
    definition = {"root": "s", "states": {
        "s": {"type": "switch", "default": "e",
              "cases": [{"var": "a.b", "op": "==", "val": 1, "next": "e"}]},
        "e": task("echo")}}
    with pytest.raises(WorkflowFailed, match="failed in state s: payload has no 'a'"):
        local_run(definition, {})


def test_loop_in_order_discards_results_and_stops_at_first_failure(local_run: Runner) -> None:
    definition = {"root": "l", "states": {"l": {"type": "loop", "func_name": "positive",
                                                "array": "xs"}}}
    ok = local_run(definition, {"xs": [3, 1, 2]})
    assert ok.payload == {"xs": [3, 1, 2]}
    assert [r["start"] for r in ok.records] == sorted(r["start"] for r in ok.records)
    with pytest.raises(WorkflowFailed) as info:
        local_run(definition, {"xs": [1, -1, 2]}, request_id="loop")
    assert info.value.state_path == ("l",) and info.value.func_name == "positive"
    assert len(stored(local_run, "loop")) == 2


def test_repeat_chains_calls(local_run: Runner) -> None:
    definition = {"root": "r", "states": {"r": {"type": "repeat", "func_name": "inc",
                                                "count": 3}}}
    assert local_run(definition, {"n": 0}).payload == {"n": 3}


# --- envelope, measurements, retries, timeouts -------------------------------------------------

def test_handler_gets_only_the_payload_and_ids_come_from_the_runtime(
        local_run: Runner, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"  # a source of its own: its first call is cold
    fresh.mkdir()
    (fresh / "ids.py").write_text((FUNCTIONS / "ids.py").read_text())
    definition = {"root": "a", "states": {"a": task("ids", next="b"), "b": task("ids")}}
    result = local_run(definition, {"x": 1}, request_id="rid", functions=(str(fresh),))
    assert result.payload["input_keys"] == ["container_id", "input_keys", "is_cold",
                                            "provider_request_id", "request_id"]
    first, second = result.records
    assert first["is_cold"] is True and second["is_cold"] is False
    assert result.payload["request_id"] == "rid"
    assert result.payload["provider_request_id"] == second["provider.request_id"]
    assert first["provider.request_id"] != second["provider.request_id"]
    assert first["container_id"] == second["container_id"] != ""


def test_blob_bytes_are_measured(local_run: Runner) -> None:
    result = local_run({"root": "b", "states": {"b": task("blobs")}}, {"size": 100})
    assert result.records[0]["blob.upload"] == 100
    assert result.records[0]["blob.download"] == 200


def test_retry_until_success_with_backoff(local_run: Runner, tmp_path: Path) -> None:
    retry = {"max_attempts": 3, "interval_s": 0.01, "backoff_rate": 2}
    definition = {"root": "f", "states": {"f": task("flaky", retry=retry)}}
    result = local_run(definition, {"counter": str(tmp_path / "c"), "fail_times": 2})
    assert result.payload["calls"] == 3
    assert [(r["attempt"], r["ok"]) for r in result.records] == [(1, False), (2, False),
                                                                 (3, True)]


def test_retries_exhausted_fail_the_run(local_run: Runner, tmp_path: Path) -> None:
    definition = {"root": "f", "states": {"f": task("flaky", retry={"max_attempts": 2,
                                                                    "interval_s": 0})}}
    with pytest.raises(WorkflowFailed, match="flaky failure 2"):
        local_run(definition, {"counter": str(tmp_path / "c"), "fail_times": 5})


def test_timeout_bounds_each_attempt(local_run: Runner) -> None:
    definition = {"root": "s", "states": {"s": task(
        "sleep", timeout_s=0.2, retry={"max_attempts": 2, "interval_s": 0})}}
    with pytest.raises(WorkflowFailed, match=r"timed out after 0\.2 s") as info:
        local_run(definition, {"sleep": 1.0}, request_id="slow")
    assert info.value.state_path == ("s",)
    records = stored(local_run, "slow")
    assert [(r["attempt"], r["ok"], r["is_cold"]) for r in records] == [(1, False, None),
                                                                        (2, False, None)]


def test_default_timeout_comes_from_options(local_run: Runner) -> None:
    definition = {"root": "s", "states": {"s": task("sleep", failure="e"), "e": task("echo")}}
    result = local_run(definition, {"sleep": 1.0}, timeout_s=0.2)
    assert result.payload == {"sleep": 1.0}
    assert "timed out" in result.handled[0]


def test_unknown_function_fails_before_any_call(local_run: Runner) -> None:
    from xaas_parsl.errors import InputError

    with pytest.raises(InputError, match="function\\(s\\) nope not found in dir"):
        local_run({"root": "a", "states": {"a": task("nope")}}, {})


def test_a_parsl_executor_without_a_loaded_config_is_an_input_error(local_run: Runner) -> None:
    import parsl

    from xaas_parsl.errors import InputError

    parsl.clear()
    with pytest.raises(InputError, match="no Parsl configuration is loaded"):
        local_run(TRIP, trip_input(), executor="compute")
