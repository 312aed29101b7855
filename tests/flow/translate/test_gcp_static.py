"""Cloud Workflows translations: schema, explicit jumps, SeBS's generator bugs, round trips and
parser errors (no emulator needed)."""

from __future__ import annotations

import functools
import json
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import REFERENCE
from tests.flow.translate.gcp_cases import EVERYTHING
from tests.flow.translate.harness import NINE, definition
from xaas_parsl.errors import InputError
from xaas_parsl.flow.load import load_workflow, workflow_from_data
from xaas_parsl.flow.model import Workflow
from xaas_parsl.flow.translate.gcp_emit import emit_gcp
from xaas_parsl.flow.translate.gcp_parse import parse_gcp

URL = "https://REGION-PROJECT.cloudfunctions.net/{}".format


def func_for_url(url: str) -> str:
    prefix = URL("")
    if not url.startswith(prefix):
        raise KeyError(url)
    return url[len(prefix):]


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    path = REFERENCE / "schemas" / "google-cloud-workflows.schemastore.json"
    if not path.is_file():
        pytest.skip(f"reference schema not found: {path}")
    schema = json.loads(path.read_text())
    return jsonschema.Draft7Validator(schema)


def _emit(wf: Workflow) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(emit_gcp(wf, URL))
    return data


def _steps(steps: list[Any], in_branch: bool = False) -> list[tuple[str, dict[str, Any], bool]]:
    """Every step, nested ones too, with whether it is the single step of a parallel branch."""
    out = []
    for item in steps:
        (name, body), = item.items()
        out.append((name, body, in_branch))
        if "for" in body:
            out += _steps(body["for"]["steps"])
        if "parallel" in body:
            par = body["parallel"]
            if "for" in par:
                out += _steps(par["for"]["steps"])
            for branch in par.get("branches", []):
                (_, spec), = branch.items()
                out += _steps(spec["steps"], in_branch=True)
        if "except" in body:
            out += _steps(body["except"]["steps"])
    return out


CASES = [pytest.param(lambda s=s: load_workflow(definition(s)), id=s) for s in NINE] + \
    [pytest.param(lambda: workflow_from_data(EVERYTHING), id="every-state-type")]


@pytest.mark.parametrize("make", CASES)
def test_schema_and_explicit_jumps(make: Any) -> None:
    data = _emit(make())
    errors = list(_validator().iter_errors(data))
    assert not errors, [e.message for e in errors[:3]]
    assert data["main"]["params"] == ["input"]
    for sub in data.values():
        for name, body, in_branch in _steps(sub["steps"]):
            # a parallel branch's single step ends its branch; everything else says where next
            assert in_branch or "next" in body or "return" in body, name
            assert "experimental" not in str(body.get("call", "")), name


@pytest.mark.parametrize("make", CASES)
def test_round_trip_is_structurally_equal(make: Any) -> None:
    wf = make()
    back = parse_gcp(emit_gcp(wf, URL), "back.yaml", func_for_url)
    assert back.scope == wf.scope


def test_schema_check_can_fail() -> None:
    data = _emit(load_workflow(definition("620.func-invo")))
    data["main"]["steps"][1]["gen"]["nxt"] = "process"
    assert list(_validator().iter_errors(data))


# --- SeBS's GCP generator bugs (reference README §2.4), one regression test each ---------------

def test_sebs_switch_string_value_is_quoted() -> None:
    """SeBS pasted string values unquoted (``${payload.kind == a}`` reads variable ``a``)."""
    data = _emit(workflow_from_data(EVERYTHING))
    pick = next(b for n, b, _ in _steps(data["main"]["steps"]) if n == "pick")
    first = pick["switch"][0]["condition"]
    assert first.endswith('payload["kind"]["name"] == "a"}')
    assert 'get_type("")' in first  # kinds that differ never match


def test_sebs_one_step_per_task() -> None:
    """SeBS used two steps per task (call + unwrap): ours is one step in its scope."""
    data = _emit(load_workflow(definition("6200.trip-booking")))
    names = [next(iter(s)) for s in data["main"]["steps"]]
    assert names[1:8] == ["hotel", "rental", "flight", "confirm", "cancel_flight",
                          "cancel_rental", "cancel_hotel"]


def test_sebs_map_calls_body_by_func_name_without_experimental_map() -> None:
    """SeBS looked the map's URL up by root state name (KeyError on 1000-genome), deleted the
    root state and used experimental.executions.map."""
    wf = load_workflow(definition("6100.1000-genome"))
    text = emit_gcp(wf, URL)
    assert "experimental" not in text
    data = yaml.safe_load(text)
    body = data["map_individuals"]["steps"][0]["individuals_func"]
    assert body["args"]["url"] == URL("individuals")
    assert "individuals_func" in wf.scope.states["individuals"].body.states  # not mutated


def test_sebs_multi_state_map_body_returns_the_payload() -> None:
    """SeBS's body workflow returned ``${payload.body}`` after payload was already unwrapped."""
    data = _emit(workflow_from_data(EVERYTHING))
    body = data["map_fan_m_m"]
    assert body["steps"][-1] == {"return_payload": {"return": "${payload}"}}
    assert [next(iter(s)) for s in body["steps"]] == ["a", "b", "return_payload"]


def test_sebs_parallel_keeps_whole_branches() -> None:
    """SeBS kept only the first step of each branch and shared variables by first state."""
    data = _emit(workflow_from_data(EVERYTHING))
    branch = data["branch_fan_t"]["steps"]
    assert [next(iter(s)) for s in branch] == ["t", "u", "return_payload"]
    join = next(b for n, b, _ in _steps(data["main"]["steps"]) if n == "fan__join")
    assert join["assign"] == [{"payload": {"m": "${branch_0}", "t": "${branch_1}"}}]


def test_yaml_with_main_and_params() -> None:
    """SeBS wrote JSON without ``main: {params}``; ours takes the payload as execution input."""
    text = emit_gcp(load_workflow(definition("640.selfish-detour")), URL)
    assert text.lstrip().startswith("#") and "main:\n  params:\n  - input" in text


# --- parser: hand-written forms and errors ----------------------------------------------------

HAND_WRITTEN = """
main:
  params: [args]
  steps:
    - init:
        assign:
          - payload: ${args}
          - request_id: ${sys.get_env("GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID")}
        next: reserve
    - reserve:
        call: http.post
        args:
          url: https://REGION-PROJECT.cloudfunctions.net/reserve_hotel
          body: {payload: '${payload}', request_id: '${request_id}'}
        result: answer
        next: unwrap
    - unwrap:
        assign:
          - payload: ${answer.body.payload}
        next: check
    - check:
        switch:
          - condition: ${payload.stars >= 3}
            next: confirm
        next: fallback
    - confirm:
        call: http.post
        args:
          url: https://REGION-PROJECT.cloudfunctions.net/confirm
          body: {payload: '${payload}', request_id: '${request_id}'}
        result: r1
        next: unwrap1
    - unwrap1:
        assign:
          - payload: ${r1.body.payload}
        next: done
    - fallback:
        call: http.post
        args:
          url: https://REGION-PROJECT.cloudfunctions.net/cancel_hotel
          body: {payload: '${payload}', request_id: '${request_id}'}
        result: r2
        next: unwrap2
    - unwrap2:
        assign:
          - payload: ${r2.body.payload}
        next: done
    - done:
        return: ${payload}
"""

RAISING = """
main:
  params: [input]
  steps:
    - init:
        assign:
          - payload: ${input}
        next: check
    - check:
        raise: oops
        next: done
    - done:
        return: ${payload}
"""


def test_hand_written_forms_parse() -> None:
    wf = parse_gcp(HAND_WRITTEN, "hand.yaml", func_for_url)
    states = wf.scope.states
    assert wf.scope.root == "reserve"
    assert states["reserve"].call.func_name == "reserve_hotel"  # type: ignore[union-attr]
    assert states["reserve"].next == "check"
    check = states["check"]
    assert check.cases[0].var == "stars" and check.cases[0].val == 3  # type: ignore[union-attr]
    assert check.default == "fallback"  # type: ignore[union-attr]
    assert check.cases[0].next == "confirm"  # type: ignore[union-attr]
    assert states["confirm"].next is None and states["fallback"].next is None


@pytest.mark.parametrize(("text", "expected"), [
    ("main:\n  params: [input]\n  steps:\n    - a: [unclosed\n", "invalid YAML at line 5"),
    ("- a:\n    return: 1\n", "expected a mapping with a 'main' workflow"),
    (RAISING, "step 'check' (line 10): unsupported construct 'raise'"),
    (HAND_WRITTEN.replace("reserve_hotel", "../x").replace(
        "https://REGION-PROJECT.cloudfunctions.net/../x", "https://example.org/x"),
     "step 'reserve' (line 11): unknown function endpoint 'https://example.org/x'"),
    (HAND_WRITTEN.replace("${payload.stars >= 3}", "${payload.stars >= three}"),
     "step 'check' (line 23): switch value 'three' is not a literal"),
    (HAND_WRITTEN.replace("call: http.post\n        args:\n          url: https://REGION-"
                          "PROJECT.cloudfunctions.net/reserve_hotel",
                          "call: experimental.executions.map\n        args:\n          url: "
                          "https://REGION-PROJECT.cloudfunctions.net/reserve_hotel"),
     "step 'reserve' (line 11): unsupported call 'experimental.executions.map'"),
    (HAND_WRITTEN.replace("        next: check\n", "", 1),
     "step 'unwrap' (line 18): no explicit 'next'"),
])
def test_parser_errors_name_step_construct_and_line(text: str, expected: str) -> None:
    with pytest.raises(InputError) as err:
        parse_gcp(text, "bad.yaml", func_for_url)
    assert expected in str(err.value)
    assert str(err.value).startswith("bad.yaml: ") and "\n" not in str(err.value)


INLINE = """
main:
  params: [input]
  steps:
    - init:
        assign:
          - payload: ${input}
          - request_id: run
        next: fan
    - fan:
        assign:
          - left: null
          - right: null
        next: fan_run
    - fan_run:
        parallel:
          shared: [left, right]
          branches:
            - l:
                steps:
                  - l_call:
                      call: post
                      args: {url: "https://REGION-PROJECT.cloudfunctions.net/sifting",
                             payload: "${payload}", request_id: "${request_id}"}
                      result: left
            - r:
                steps:
                  - r_call:
                      call: post
                      args: {url: "https://REGION-PROJECT.cloudfunctions.net/merge",
                             payload: "${payload}", request_id: "${request_id}"}
                      result: right
        next: fan_join
    - fan_join:
        assign:
          - payload: {sift: "${left}", merge: "${right}"}
        next: each
    - each:
        assign:
          - items: ${payload.sift.populations}
          - results: ${items}
        next: each_run
    - each_run:
        parallel:
          shared: [results]
          for:
            value: pop
            index: i
            in: ${items}
            steps:
              - freq:
                  call: post
                  args: {url: "https://REGION-PROJECT.cloudfunctions.net/frequency",
                         payload: "${pop}", request_id: "${request_id}"}
                  result: out
                  next: keep
              - keep:
                  assign:
                    - results[i]: ${out}
                  next: continue
        next: each_store
    - each_store:
        assign:
          - payload.sift.populations: ${results}
        next: done
    - done:
        return: ${payload}
post:
  params: [url, payload, request_id]
  steps:
    - send:
        call: http.post
        args: {url: "${url}", body: {payload: "${payload}", request_id: "${request_id}"}}
        result: answer
        next: give
    - give:
        return: ${answer.body.payload}
"""


def test_hand_written_inline_branches_and_map_parse() -> None:
    wf = parse_gcp(INLINE, "inline.yaml", func_for_url)
    fan = wf.scope.states["fan"]
    assert [b.root for b in fan.branches] == ["sift", "merge"]  # type: ignore[union-attr]
    assert fan.branches[0].states["sift"].call.func_name == "sifting"  # type: ignore
    each = wf.scope.states["each"]
    assert each.array == "sift.populations"  # type: ignore[union-attr]
    assert each.body.states["freq"].call.func_name == "frequency"  # type: ignore[union-attr]
    assert fan.next == "each" and each.next is None
