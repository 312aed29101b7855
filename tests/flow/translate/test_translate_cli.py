"""``xaas flow translate``: dialect detection, endpoints, stdout vs -o, and bad input as one line
naming the file, the state and its line, exit 1, nothing written."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.flow.translate.harness import definition
from xaas_parsl.cli.main import main
from xaas_parsl.errors import InputError
from xaas_parsl.flow.translate import detect, translate
from xaas_parsl.flow.translate.endpoints import Endpoints, load_endpoints


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["flow", "translate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_to_asl_on_stdout_and_back_to_sebs(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(capsys, str(definition("6200.trip-booking")), "--to", "asl")
    assert code == 0 and json.loads(out)["StartAt"] == "hotel"
    assert "256 KiB" in err
    asl = tmp_path / "trip.asl.json"
    code, _, _ = _cli(capsys, str(definition("6200.trip-booking")), "--to", "asl", "-o",
                      str(asl))
    assert code == 0 and json.loads(asl.read_text()) == json.loads(out)
    code, out, _ = _cli(capsys, str(asl), "--to", "sebs")
    assert code == 0
    assert json.loads(out) == json.loads(definition("6200.trip-booking").read_text())


def test_detect() -> None:
    assert detect('{"root": "a", "states": {"a": {"type": "task"}}}', "x") == "sebs"
    assert detect('{"StartAt": "a", "States": {}}', "x") == "asl"
    assert detect("main:\n  params: [input]\n  steps:\n    - a:\n        return: 1\n", "x") \
        == "gcp"
    with pytest.raises(InputError, match="cannot tell the dialect"):
        detect("just: text\n", "x")


def test_endpoint_base_and_reverse_lookup(tmp_path: Path) -> None:
    result = translate(definition("620.func-invo"), "asl", endpoint_base="http://127.0.0.1:9/")
    machine = json.loads(result.text or "")
    assert machine["States"]["gen"]["Parameters"]["FunctionName"] == "http://127.0.0.1:9/gen"
    path = tmp_path / "a.json"
    path.write_text(result.text or "")
    back = translate(path, "sebs", endpoint_base="http://127.0.0.1:9")
    assert json.loads(back.text or "") == json.loads(definition("620.func-invo").read_text())


def test_mapping_file(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("functions:\n  gen: {aws: 'arn:aws:lambda:eu-central-1:42:function:g1'}\n"
                       "  process: {aws: 'arn:aws:lambda:eu-central-1:42:function:p1:live'}\n")
    result = translate(definition("620.func-invo"), "asl", mapping=mapping)
    machine = json.loads(result.text or "")
    assert machine["States"]["process"]["Parameters"]["FunctionName"].endswith("p1:live")
    path = tmp_path / "a.json"
    path.write_text(result.text or "")
    back = json.loads(translate(path, "sebs", mapping=mapping).text or "")
    assert back["states"]["gen"]["func_name"] == "gen"  # reverse lookup through the mapping


def test_placeholders_and_reverse() -> None:
    ep = Endpoints()
    assert ep.aws("f") == "arn:aws:lambda:us-east-1:000000000000:function:f"
    assert ep.gcp("f") == "https://REGION-PROJECT.cloudfunctions.net/f"
    assert ep.func_for(ep.aws("f")) == ep.func_for(ep.gcp("f")) == "f"
    with pytest.raises(ValueError, match="cannot tell which function"):
        ep.func_for("arn:aws:sqs:us-east-1:1:queue")


BAD_ASL: list[tuple[str, Any, str]] = [
    ("wait", {"StartAt": "w", "States": {"w": {"Type": "Wait", "Seconds": 1, "End": True}}},
     "state 'w' (line 4): state Type 'Wait' is not supported"),
    ("jsonata", {"QueryLanguage": "JSONata", "StartAt": "w", "States": {}},
     "QueryLanguage 'JSONata' is not supported"),
    ("resultpath", {"StartAt": "t", "States": {"t": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
        "ResultPath": "$.out", "End": True}}},
     "state 't' (line 4): ResultPath '$.out': a SeBS task's result replaces the payload"),
    ("resource", {"StartAt": "t", "States": {"t": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True}}},
     "state 't' (line 4): Task Resource 'arn:aws:states:::sqs:sendMessage' is not a Lambda"),
    ("distributed", {"StartAt": "m", "States": {"m": {
        "Type": "Map", "ItemsPath": "$.xs", "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "t",
            "States": {"t": {"Type": "Succeed"}}},
        "End": True}}},
     "state 'm' (line 4): Map ProcessorConfig Mode 'DISTRIBUTED' is not supported"),
    ("map-output", {"StartAt": "m", "States": {"m": {
        "Type": "Map", "ItemsPath": "$.xs", "ItemProcessor": {"StartAt": "t", "States": {
            "t": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
                  "End": True}}}, "End": True}}},
     "state 'm' (line 4): Map without ResultPath replaces the payload"),
    ("shape", {"StartAt": "c", "States": {"c": {"Type": "Choice", "Choices": "x",
                                                 "Default": "c"}}},
     "state 'c' (line 4): malformed ASL at States/c/Choices: 'x' is not of type 'array'"),
    ("dangling", {"StartAt": "t", "States": {"t": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "Next": "zz"}}},
     "state 't' (line 4): Next target 'zz' is not a state of this scope"),
    ("boolean", {"StartAt": "c", "States": {
        "c": {"Type": "Choice", "Choices": [{"Variable": "$.x", "BooleanEquals": True,
                                             "Next": "t"}], "Default": "t"},
        "t": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
              "End": True}}},
     "state 'c' (line 4): Choice rule"),
]


@pytest.mark.parametrize(("case", "machine", "message"), BAD_ASL, ids=[c for c, _, _ in BAD_ASL])
def test_bad_asl_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str,
                                machine: Any, message: str) -> None:
    path = tmp_path / f"{case}.asl.json"
    path.write_text(json.dumps(machine, indent=2))
    out_file = tmp_path / "out.json"
    code, out, err = _cli(capsys, str(path), "--to", "sebs", "-o", str(out_file))
    assert code == 1 and out == ""
    assert err.startswith(f"xaas: error: {path}: ") and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not out_file.exists()


def test_invalid_json_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "StartAt": "a",\n  "States": {\n    "a": {"Type": "Task",,}\n')
    for args in ([], ["--from", "asl"]):
        code, _, err = _cli(capsys, str(path), "--to", "sebs", *args)
        assert code == 1 and "invalid" in err and "line 4" in err, err


def test_duplicate_state_names_rejected(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "dup.json"
    path.write_text('{"StartAt": "a", "States": {\n"a": {"Type": "Succeed"},\n'
                    '"a": {"Type": "Succeed"}}}')
    code, _, err = _cli(capsys, str(path), "--to", "sebs")
    assert code == 1 and "duplicate key 'a' (line 2)" in err, err


def test_unknown_function_in_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("functions:\n  gen: {aws: 'arn:aws:lambda:us-east-1:1:function:gen'}\n")
    out_file = tmp_path / "o.json"
    code, _, err = _cli(capsys, str(definition("620.func-invo")), "--to", "asl", "--mapping",
                        str(mapping), "-o", str(out_file))
    assert code == 1 and not out_file.exists()
    assert "state 'process' (line " in err and "function 'process' is not in the mapping" in err


@pytest.mark.parametrize("text", ["functions: {}\n", "functions:\n  f: {aws: 'not-an-arn'}\n",
                                  "fn: 1\n", "functions: [\n"])
def test_bad_mapping_file(tmp_path: Path, text: str) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(text)
    with pytest.raises(InputError) as info:
        load_endpoints(mapping)
    assert str(mapping) in str(info.value)


def test_durable_needs_an_output_directory(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, str(definition("640.selfish-detour")), "--to", "durable")
    assert code == 1 and "give -o DIR" in err


def test_mutated_machines_give_input_errors_only() -> None:
    """Seeded mutations of emitted machines (fields deleted or replaced by values of other
    types): the parser answers every one with an ``InputError`` or a workflow, never a crash."""
    import copy
    import random

    from tests.flow.translate.extra import EXTRA
    from xaas_parsl.flow.load import load_workflow, workflow_from_data
    from xaas_parsl.flow.translate.asl_emit import emit_asl_data
    from xaas_parsl.flow.translate.asl_parse import parse_asl

    ep = Endpoints()
    machines = [emit_asl_data(load_workflow(definition(s)), ep.aws)[0]
                for s in ("6100.1000-genome", "6200.trip-booking", "620.func-invo")]
    machines += [emit_asl_data(workflow_from_data(d, "x"), ep.aws)[0] for _, d, _ in EXTRA]
    values: list[Any] = [None, 1, "x", [], {}, True, "$", "$.a", [1], {"a": 1}, -1]

    def paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        children = node.items() if isinstance(node, dict) else enumerate(node) \
            if isinstance(node, list) else ()
        out = [here] if here else []
        for key, value in children:
            out += paths(value, (*here, key))
        return out

    rng = random.Random(7)
    for _ in range(400):
        machine = copy.deepcopy(rng.choice(machines))
        for _ in range(rng.randint(1, 3)):
            where = rng.choice(paths(machine) or [("StartAt",)])
            parent: Any = machine
            try:
                for key in where[:-1]:
                    parent = parent[key]
                if isinstance(parent, dict) and rng.random() < 0.3:
                    del parent[where[-1]]
                else:
                    parent[where[-1]] = copy.deepcopy(rng.choice(values))
            except (KeyError, IndexError, TypeError):
                pass
        with contextlib.suppress(InputError):
            parse_asl(json.dumps(machine), "m.json", ep.func_for)
