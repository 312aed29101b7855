"""Serverless Workflow 1.0 translations validate against the 1.0 DSL schema (static only).

No 1.0 engine is available here; the check is jsonschema (draft 2020-12) against both schemas
of the reference pack: the v1.0.0 tag and (slow) the newest 1.0.3 (self-contained, no network).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import REFERENCE
from tests.flow.translate.harness import NINE, definition
from xaas_parsl.flow.load import load_workflow, workflow_from_data
from xaas_parsl.flow.translate.cncf import dns_label, emit_cncf

# 1.0.3's schema takes about a minute per document with nested fork/do (jsonschema evaluates
# its unevaluatedProperties/oneOf combinations exhaustively): behind ``slow``.
SCHEMAS = ("workflow-v1.0.0.yaml",
           pytest.param("workflow-1.0.3.yaml", marks=pytest.mark.slow))
URL = "https://REGION-PROJECT.cloudfunctions.net/{}".format

EVERYTHING: dict[str, Any] = {"root": "pick", "states": {
    "pick": {"type": "switch", "cases": [
        {"var": "kind.name", "op": "==", "val": "a", "next": "chain"},
        {"var": "n", "op": "<", "val": 3, "next": "each"}], "default": "fan"},
    "chain": {"type": "repeat", "func_name": "inc", "count": 3, "next": "risky"},
    "risky": {"type": "task", "func_name": "fail", "failure": "undo",
              "retry": {"max_attempts": 3, "interval_s": 0.5}, "timeout_s": 10},
    "undo": {"type": "task", "func_name": "echo"},
    "each": {"type": "loop", "func_name": "echo", "array": "xs"},
    "fan": {"type": "parallel", "parallel_functions": [
        {"root": "m", "states": {"m": {"type": "map", "array": "xs", "root": "a",
                                       "common_params": "n,kind.name", "states": {
                                           "a": {"type": "task", "func_name": "inc",
                                                 "next": "b"},
                                           "b": {"type": "task", "func_name": "double"}}}}},
        {"root": "t", "states": {"t": {"type": "task", "func_name": "echo"}}}]},
}}


@functools.cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    path = REFERENCE / "schemas" / "cncf-serverless-workflow-1.0" / name
    if not path.is_file():
        pytest.skip(f"reference schema not found: {path}")
    schema = yaml.safe_load(path.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("stem", NINE)
def test_nine_validate(stem: str, schema: str) -> None:
    doc = yaml.safe_load(emit_cncf(load_workflow(definition(stem)), URL))
    errors = list(_validator(schema).iter_errors(doc))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:3]]
    assert doc["document"]["dsl"] == "1.0.0"


@pytest.mark.parametrize("schema", SCHEMAS)
def test_every_construct_validates(schema: str, tmp_path: Path) -> None:
    warnings: list[str] = []
    doc = yaml.safe_load(emit_cncf(workflow_from_data(EVERYTHING), URL, warnings))
    errors = list(_validator(schema).iter_errors(doc))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:3]]
    assert any("one after another" in w for w in warnings)
    tasks = {next(iter(t)): t[next(iter(t))] for t in doc["do"]}
    assert tasks["risky__route"]["switch"][0]["failed"]["then"] == "undo"
    assert all("then" in t or "switch" in t for t in tasks.values())


def test_the_schema_rejects_what_it_should() -> None:
    """The check can fail: a benchmark id with a dot is not a valid document name."""
    doc = yaml.safe_load(emit_cncf(load_workflow(definition("620.func-invo")), URL))
    assert doc["document"]["name"] == dns_label("620.func-invo") == "620-func-invo"
    doc["document"]["name"] = "620.func-invo"
    assert list(_validator("workflow-v1.0.0.yaml").iter_errors(doc))


def test_repeat_and_loop_are_sequential_and_chained() -> None:
    """SeBS's 0.8 generator ran both as parallel foreach and did not chain repeat."""
    doc = yaml.safe_load(emit_cncf(workflow_from_data(EVERYTHING), URL))
    tasks = {next(iter(t)): t[next(iter(t))] for t in doc["do"]}
    chain = tasks["chain"]
    assert chain["for"]["in"] == "${ [range(3)] }"
    assert chain["do"][0]["chain__call"]["output"]["as"] == "${ .payload }"
    assert "fork" not in str(tasks["each"])
