"""Property-based tests (Hypothesis) of the loaders of untrusted text: JSON/YAML
(``fileio``), SeBS-Flow definitions, ASL, Cloud Workflows (GCP) and CMake. For any input,
a loader either returns or raises ``XaasError`` (one line for the CLI); never another exception,
never longer than the per-example deadline."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile.conftest import deadline
from xaas_parsl.errors import XaasError
from xaas_parsl.fileio import load_json, load_yaml
from xaas_parsl.flow.load import load_workflow
from xaas_parsl.flow.translate import translate
from xaas_parsl.spec.discover import discover_spec

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

scalars = (st.none() | st.booleans() | st.integers(-10**6, 10**6)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=25)
names = st.sampled_from(["a", "b", "c", "gen", "process", ""])

sebs_state = st.fixed_dictionaries(
    {"type": st.sampled_from(["task", "repeat", "map", "loop", "switch", "parallel", "x"])},
    optional={"func_name": names, "next": names, "count": st.integers(-2, 10**13),
              "array": names, "root": names, "states": st.just({}),
              "cases": st.lists(values, max_size=2), "default": names})
sebs = st.fixed_dictionaries({"root": names, "states": st.dictionaries(names, sebs_state,
                                                                       max_size=4)})
asl_state = st.fixed_dictionaries(
    {"Type": st.sampled_from(["Task", "Pass", "Choice", "Map", "Parallel", "Succeed", "Fail",
                              "Wait", "Bogus"])},
    optional={"Resource": st.sampled_from(["arn:aws:states:::lambda:invoke", "x"]),
              "Next": names, "End": st.booleans(), "Parameters": values,
              "Choices": st.lists(values, max_size=2), "Default": names,
              "Iterator": values, "Branches": st.lists(values, max_size=2),
              "ItemsPath": st.sampled_from(["$.x", "x", "$"]), "Comment": st.text(max_size=20)})
asl = st.fixed_dictionaries({"StartAt": names, "States": st.dictionaries(names, asl_state,
                                                                         max_size=4)})
gcp_step = st.dictionaries(names, st.fixed_dictionaries(
    {}, optional={"call": st.sampled_from(["http.post", "sys.sleep", "x"]), "args": values,
                  "result": names, "next": names, "return": values, "assign": values,
                  "switch": st.lists(values, max_size=2), "for": values,
                  "parallel": values}), min_size=1, max_size=1)
gcp = st.fixed_dictionaries({"main": st.fixed_dictionaries(
    {"params": st.lists(names, max_size=2), "steps": st.lists(gcp_step, max_size=4)})})

cmake_words = st.sampled_from([
    "option(", "set(", "if(", "endif()", "else()", "foreach(", "endforeach()", "while(",
    "endwhile()", "function(", "endfunction()", "macro(", "endmacro()", "RANGE", "IN", "LISTS",
    "${", "}", "(", ")", "\"", "#[[", "]]", "\n", " ", "X", "ON", "OFF", "100000000",
    "string(REPEAT", "list(APPEND", "add_subdirectory(", "include(", "return()", "break()"])
cmake_text = st.lists(cmake_words, max_size=40).map("".join)


def clean(call: Callable[[], Any]) -> None:
    """``call()`` returns or raises ``XaasError``, within 10 s."""
    try:
        with deadline(10):
            call()
    except XaasError as exc:
        assert "\n" not in exc.one_line()


def in_file(text: str | bytes, suffix: str, call: Callable[[Path], Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        clean(lambda: call(path))


@SETTINGS
@given(st.text(max_size=200) | values.map(json.dumps))
def test_json_loader(text: str) -> None:
    in_file(text, ".json", load_json)


@SETTINGS
@given(st.text(max_size=200) | values.map(yaml.safe_dump))
def test_yaml_loader(text: str) -> None:
    in_file(text, ".yaml", load_yaml)


@SETTINGS
@given(sebs.map(json.dumps) | st.text(max_size=100))
def test_sebs_flow_loader_and_translation(text: str) -> None:
    in_file(text, ".json", load_workflow)
    in_file(text, ".json", lambda p: translate(p, "asl", from_="sebs"))


@SETTINGS
@given(asl.map(json.dumps) | st.text(max_size=100))
def test_asl_loader(text: str) -> None:
    in_file(text, ".json", lambda p: translate(p, "sebs", from_="asl"))


@SETTINGS
@given(gcp.map(yaml.safe_dump) | st.text(max_size=100))
def test_gcp_loader(text: str) -> None:
    in_file(text, ".yaml", lambda p: translate(p, "sebs", from_="gcp",
                                               endpoint_base="http://127.0.0.1:1"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cmake_text)
def test_cmake_discovery(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "CMakeLists.txt").write_text(
            "cmake_minimum_required(VERSION 3.20)\nproject(p LANGUAGES C)\n" + text)
        clean(lambda: discover_spec(Path(tmp)))
