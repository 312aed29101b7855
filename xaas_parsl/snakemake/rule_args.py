"""What ``snakemake_rules/flow.smk`` and ``burst.smk`` compute from ``config``: inputs, outputs
and the shell-quoted CLI arguments of their one rule.

Why a module and not inline rule-file code (as for ``xaas.smk``, :mod:`.rules`): these are
decided when the Snakefile is parsed, so they can be typed and unit-tested, and every value
pasted into the rule's shell command goes through :func:`shlex.join`, which a test pins.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any


def as_list(config: Mapping[str, Any], key: str) -> list[str]:
    """A config value that may be one string or a list of them (missing: ``[]``)."""
    value = config.get(key) or []
    return [str(value)] if isinstance(value, str) else [str(v) for v in value]


# --- burst.smk ---------------------------------------------------------------------------

def burst_inputs(config: Mapping[str, Any]) -> list[str]:
    """Files every worker can read (``burst_inputs``)."""
    return as_list(config, "burst_inputs")


def burst_outputs(config: Mapping[str, Any]) -> dict[str, str]:
    """``results`` (the workers' return values) and, if asked for, the start ``summary``."""
    outputs = {"results": str(config["burst_output"])}
    if config.get("burst_summary"):
        outputs["summary"] = str(config["burst_summary"])
    return outputs


def burst_args(config: Mapping[str, Any]) -> str:
    """``xaas burst flare`` arguments, shell-quoted (the output is added by the rule)."""
    args = [str(config["burst_function"]), "--size", str(config["burst_size"]),
            "--granularity", str(config.get("burst_granularity", 1)),
            "--transport", str(config.get("burst_transport", "zmq")),
            "--timeout", str(config.get("burst_timeout", 60)),
            "--workers", str(config.get("burst_workers", "process"))]
    for path in burst_inputs(config):
        args += ["--input", path]
    if config.get("burst_summary"):
        args += ["--summary", str(config["burst_summary"])]
    return shlex.join(args)


# --- flow.smk ----------------------------------------------------------------------------

def flow_outputs(config: Mapping[str, Any]) -> dict[str, str]:
    """``payload`` (the final payload) and, if asked for, the ``measurements`` CSV."""
    outputs = {"payload": str(config["flow_output"])}
    if config.get("flow_measurements"):
        outputs["measurements"] = str(config["flow_measurements"])
    return outputs


def flow_args(config: Mapping[str, Any]) -> str:
    """``xaas flow run`` arguments besides the definition, input and output, shell-quoted."""
    args = ["--site", str(config.get("flow_site", "local")),
            "--executor", str(config.get("flow_executor", "compute")),
            "--workdir", str(config.get("flow_workdir", ".xaas-flow"))]
    for directory in as_list(config, "flow_functions"):
        args += ["--functions", directory]
    for package in as_list(config, "flow_packages"):
        args += ["--package", package]
    if config.get("flow_measurements"):
        args += ["--measurements", str(config["flow_measurements"])]
    if config.get("flow_timeout"):
        args += ["--timeout", str(config["flow_timeout"])]
    return shlex.join(args)
