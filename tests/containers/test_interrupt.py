"""Ctrl-C and SIGTERM during a container build, against the real Docker engine: ``xaas``
exits within 10 s with one ``xaas: interrupted`` line, no container it made is left (found
by its ``org.xaas.owner`` label, whether the signal came while the engine was still creating
the container or while the build ran in it), and the tag was never written (the commit that
tags is the build's last step)."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_signals import check, interrupt
from tests.conftest import HEAT2D
from xaas_parsl.containers import labels as L
from xaas_parsl.containers.engine import has_image


def owned(engine: Any, pid: int) -> list[str]:
    """Names of the containers (any state) that process ``pid`` of this host made."""
    label = f"{L.OWNER}={socket.gethostname()}:{pid}"
    return [c.name for c in engine.containers.list(all=True, filters={"label": label})]


@pytest.mark.slow
@pytest.mark.parametrize("settle", [0.0, 5.0], ids=["creating", "building"])
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_interrupted_ir_container_build_leaves_no_container(
        how: str, settle: float, tmp_path: Path, engine: Any, bases: dict[str, Any]) -> None:
    tag = f"xaas-issue19-interrupt:{how.lower()}-{uuid.uuid4().hex[:8]}"
    seen: list[int] = []

    def building(pid: int) -> bool:
        seen[:] = [pid]
        return bool(owned(engine, pid))

    check(interrupt(["container", "ir", "build", str(HEAT2D / "app.yaml"), "--tag", tag,
                     "--configs", "None"], how, building, tmp_path, settle=settle), how)
    assert seen and owned(engine, seen[0]) == []
    assert not has_image(engine, tag)
