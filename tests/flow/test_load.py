"""Loading definitions: the nine SeBS-Flow benchmarks, both forms, and one test per error class."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import REFERENCE
from tests.flow.conftest import DATA, NINE, TRIP
from xaas_parsl.errors import InputError
from xaas_parsl.flow import flow_schema, load_workflow, workflow_from_data
from xaas_parsl.flow.load import parse_text
from xaas_parsl.flow.model import Loop, Map, Parallel, Repeat, Switch, Task


def chain() -> dict[str, Any]:
    return {"root": "a", "states": {
        "a": {"type": "task", "func_name": "inc", "next": "b"},
        "b": {"type": "task", "func_name": "inc"},
    }}


def error_of(data: Any) -> str:
    with pytest.raises(InputError) as info:
        workflow_from_data(data, "wf.json")
    message = info.value.one_line()
    assert message.startswith("wf.json: ")
    return message


@pytest.mark.parametrize("name", NINE)
def test_the_nine_definitions_load_validate_and_match_the_reference(name: str) -> None:
    path = DATA / f"{name}.json"
    jsonschema.Draft202012Validator(flow_schema()).validate(json.loads(path.read_text()))
    workflow = load_workflow(path)
    assert workflow.func_names()
    original = REFERENCE / "sebs-flow" / "definitions" / f"{name}.json"
    if original.is_file():  # the copies are byte for byte
        assert original.read_bytes() == path.read_bytes()


def test_typed_model_of_1000_genome() -> None:
    wf = load_workflow(DATA / "6100.1000-genome.json")
    individuals = wf.scope["individuals"]
    assert isinstance(individuals, Map)
    assert individuals.common_params[0] == "benchmark_bucket"
    assert len(individuals.common_params) == 7
    assert individuals.result == "blob"
    second = wf.scope["frequency_and_overlap"]
    assert isinstance(second, Parallel)
    freq = second.branches[0]["frequency"]
    assert isinstance(freq, Map) and freq.common_params == ("sifting", "individuals_merge")
    assert freq.array == "sifting.populations"
    assert wf.func_names() == ["individuals", "individuals_merge", "sifting", "frequency",
                               "mutation_overlap"]
    repeat = load_workflow(DATA / "620.func-invo.json").scope["process"]
    assert isinstance(repeat, Repeat) and repeat.count == 8


def test_cleaner_forms_list_params_result_ne_retry_timeout_and_yaml(tmp_path: Path) -> None:
    text = """
root: m
states:
  m:
    type: map
    array: items
    result: out.values
    common_params: [a.b, c]
    root: body
    states:
      body: {type: task, func_name: double, retry: {max_attempts: 3, interval_s: 0.5},
             timeout_s: 2}
    next: s
  s:
    type: switch
    cases: [{var: c, op: "!=", val: 1, next: l}]
    default: l
  l: {type: loop, func_name: echo, array: items}
"""
    path = tmp_path / "wf.yaml"
    path.write_text(text)
    wf = load_workflow(path)
    m = wf.scope["m"]
    assert isinstance(m, Map) and m.common_params == ("a.b", "c") and m.result == "out.values"
    body = m.body["body"]
    assert isinstance(body, Task)
    assert body.call.retry.max_attempts == 3 and body.call.retry.interval_s == 0.5
    assert body.call.timeout_s == 2.0
    s = wf.scope["s"]
    assert isinstance(s, Switch) and s.cases[0].op == "!="
    assert isinstance(wf.scope["l"], Loop)


def test_common_params_string_is_split_and_trimmed() -> None:
    data = {"root": "m", "states": {"m": {
        "type": "map", "array": "xs", "root": "t", "common_params": " a , b.c,",
        "states": {"t": {"type": "task", "func_name": "echo"}}}}}
    m = workflow_from_data(data).scope["m"]
    assert isinstance(m, Map) and m.common_params == ("a", "b.c")


def test_nested_scope_may_reuse_an_outer_name() -> None:
    data = {"root": "x", "states": {"x": {
        "type": "map", "array": "xs", "root": "x",
        "states": {"x": {"type": "task", "func_name": "echo"}}}}}
    assert workflow_from_data(data).func_names() == ["echo"]


# --- one test per error class -------------------------------------------------------------------

def test_unknown_type_names_the_state_and_pointer() -> None:
    data = chain()
    data["states"]["b"]["type"] = "lambda"
    message = error_of(data)
    assert "/states/b/type" in message and "'lambda' is not one of" in message


def test_missing_field_names_the_state() -> None:
    data = chain()
    del data["states"]["b"]["func_name"]
    message = error_of(data)
    assert "at /states/b" in message and "'func_name' is a required property" in message


def test_unknown_field_is_rejected() -> None:
    data = chain()
    data["states"]["a"]["nxt"] = "b"
    assert "'nxt' was unexpected" in error_of(data)


def test_nested_error_pointer_reaches_into_a_map_body() -> None:
    data = json.loads((DATA / "6100.1000-genome.json").read_text())
    branch = data["states"]["frequency_and_overlap"]["parallel_functions"][1]
    del branch["states"]["mutation_overlap"]["states"]["mutation_overlap_func"]["func_name"]
    message = error_of(data)
    assert ("/states/frequency_and_overlap/parallel_functions/1/states/mutation_overlap/"
            "states/mutation_overlap_func") in message


@pytest.mark.parametrize(("field", "pointer"), [
    ("next", "/states/a/next"), ("failure", "/states/a/failure")])
def test_dangling_next_and_failure(field: str, pointer: str) -> None:
    data = chain()
    data["states"]["a"][field] = "nowhere"
    message = error_of(data)
    assert f"state 'a': {field} target 'nowhere'" in message and pointer in message


def test_dangling_switch_default_and_case() -> None:
    data = {"root": "s", "states": {
        "s": {"type": "switch", "cases": [{"var": "x", "op": "<", "val": 1, "next": "t"}],
              "default": "gone"},
        "t": {"type": "task", "func_name": "echo"}}}
    assert "default target 'gone'" in error_of(data)
    data["states"]["s"]["default"] = "t"
    data["states"]["s"]["cases"][0]["next"] = "gone"
    assert "/states/s/cases/0/next" in error_of(data)


def test_dangling_root_in_a_nested_scope() -> None:
    data = json.loads(TRIP.read_text())
    data["states"]["hotel"] = {"type": "map", "array": "xs", "root": "nope", "next": "rental",
                               "states": {"t": {"type": "task", "func_name": "echo"}}}
    assert "root 'nope' is not a state of this scope (at /states/hotel/root)" in error_of(data)


def test_target_in_the_outer_scope_is_dangling_inside_a_map() -> None:
    data = {"root": "m", "states": {
        "m": {"type": "map", "array": "xs", "root": "t", "next": "after",
              "states": {"t": {"type": "task", "func_name": "echo", "next": "after"}}},
        "after": {"type": "task", "func_name": "echo"}}}
    assert "/states/m/states/t/next" in error_of(data)


def test_unreachable_state() -> None:
    data = json.loads(TRIP.read_text())
    data["states"]["confirm"].pop("failure")
    message = error_of(data)
    assert "state 'cancel_flight' is unreachable from root 'hotel'" in message


def test_cycle() -> None:
    data = chain()
    data["states"]["b"]["next"] = "a"
    assert "cycle a -> b -> a" in error_of(data)


def test_cycle_through_failure_edges() -> None:
    data = chain()
    data["states"]["b"]["failure"] = "a"
    assert "cycle" in error_of(data)


def test_duplicate_state_names_in_json() -> None:
    text = TRIP.read_text().replace('"rental": {', '"hotel": {', 1)
    with pytest.raises(InputError, match=r"duplicate state name 'hotel' .*\(at /states\)"):
        parse_text(text, "trip.json")


def test_duplicate_state_names_in_a_nested_yaml_scope() -> None:
    text = """
root: m
states:
  m:
    type: map
    array: xs
    root: t
    states:
      t: {type: task, func_name: echo}
      t: {type: task, func_name: inc}
"""
    with pytest.raises(InputError, match=r"duplicate state name 't' .*at /states/m/states"):
        parse_text(text, "wf.yaml", yaml_syntax=True)


def test_duplicate_key_outside_states() -> None:
    with pytest.raises(InputError, match=r"duplicate key 'root' \(at /\)"):
        parse_text('{"root": "a", "root": "b", "states": {}}', "wf.json")


def test_duplicate_parallel_branch_roots() -> None:
    branch = {"root": "x", "states": {"x": {"type": "task", "func_name": "echo"}}}
    data = {"root": "p", "states": {"p": {"type": "parallel",
                                          "parallel_functions": [branch, copy.deepcopy(branch)]}}}
    assert "two branches have root 'x'" in error_of(data)


def test_syntax_errors_name_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"root": "a",\n "states": }')
    with pytest.raises(InputError, match="invalid JSON at line 2"):
        load_workflow(bad)
    with pytest.raises(InputError, match="no such file"):
        load_workflow(tmp_path / "missing.json")
