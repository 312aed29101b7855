"""Which deployment the showcase makes, and the sentence it gives for it."""

from __future__ import annotations

import pytest

from xaas_parsl.containers.engine import probe
from xaas_parsl.errors import ToolError
from xaas_parsl.showcase.steps import deploy_mode


def test_container_when_the_engine_answers_and_the_bases_exist() -> None:
    assert deploy_mode("auto", None, [])[0] == "container"
    assert deploy_mode("container", None, ["xaas/runtime:x"])[0] == "container"  # bootstraps


def test_auto_falls_back_and_says_why() -> None:
    mode, why = deploy_mode("auto", "no Docker engine: socket /x does not exist", [])
    assert mode == "native"
    assert why.startswith("no container engine answers (no Docker engine: socket /x")
    assert why.endswith("fell back to native IR deployment")
    mode, why = deploy_mode("auto", None, ["xaas/toolchain:1"])
    assert mode == "native" and "xaas images bootstrap" in why and "xaas/toolchain:1" in why


def test_native_asked_and_container_impossible() -> None:
    assert deploy_mode("native", None, []) == ("native", "deploy: native in the showcase config")
    with pytest.raises(ToolError, match="deploy: container, but no engine"):
        deploy_mode("container", "no engine", [])


def test_an_engine_that_is_not_there(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    problem = probe()
    assert problem is not None and "/nonexistent/docker.sock does not exist" in problem
    mode, why = deploy_mode("auto", problem, [])
    assert mode == "native" and "/nonexistent/docker.sock" in why
