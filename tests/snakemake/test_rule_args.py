"""The values `flow.smk` and `burst.smk` paste into their rule (snakemake.rule_args)."""

from __future__ import annotations

import shlex

import pytest

from xaas_parsl.snakemake import rule_args as ra


def test_burst_defaults_and_one_input_given_as_a_string() -> None:
    config = {"burst_function": "mod:fn", "burst_size": 4, "burst_output": "out.json",
              "burst_inputs": "data.txt"}
    assert ra.burst_inputs(config) == ["data.txt"]
    assert ra.burst_outputs(config) == {"results": "out.json"}
    assert shlex.split(ra.burst_args(config)) == [
        "mod:fn", "--size", "4", "--granularity", "1", "--transport", "zmq", "--timeout", "60",
        "--workers", "process", "--input", "data.txt"]


def test_burst_summary_is_a_second_output_and_an_argument() -> None:
    config = {"burst_function": "m:f", "burst_size": 2, "burst_output": "o.json",
              "burst_summary": "s.json", "burst_inputs": ["a", "b"], "burst_granularity": 2,
              "burst_transport": "redis://h:6379/0", "burst_timeout": 5}
    assert ra.burst_outputs(config) == {"results": "o.json", "summary": "s.json"}
    argv = shlex.split(ra.burst_args(config))
    assert argv[argv.index("--transport") + 1] == "redis://h:6379/0"
    assert argv[-4:] == ["--input", "b", "--summary", "s.json"]


def test_flow_arguments_are_quoted_for_the_shell() -> None:
    config = {"flow_output": "out.json", "flow_functions": ["fns; rm -rf /", "more"],
              "flow_packages": "pkg", "flow_measurements": "m.csv", "flow_timeout": 30}
    args = ra.flow_args(config)
    assert "'fns; rm -rf /'" in args
    assert shlex.split(args) == [
        "--site", "local", "--executor", "compute", "--workdir", ".xaas-flow",
        "--functions", "fns; rm -rf /", "--functions", "more", "--package", "pkg",
        "--measurements", "m.csv", "--timeout", "30"]
    assert ra.flow_outputs(config) == {"payload": "out.json", "measurements": "m.csv"}
    assert ra.flow_outputs({"flow_output": "x"}) == {"payload": "x"}


@pytest.mark.parametrize(("value", "expected"), [(None, []), ("a", ["a"]), (["a", 1], ["a", "1"])])
def test_as_list(value: object, expected: list[str]) -> None:
    assert ra.as_list({"k": value}, "k") == expected
