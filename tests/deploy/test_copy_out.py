"""The one copy-out helper on the real Docker engine: the target is replaced, not merged."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _engine() -> None:
    from xaas_parsl.containers.engine import probe

    problem = probe()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI: scripts/setup.sh provides a Docker engine, but {problem}")
        pytest.skip(problem)


def test_copy_out_replaces_the_target(tmp_path: Path) -> None:
    _engine()
    from xaas_parsl.containers.engine import connect, copy_out, has_image
    from xaas_parsl.containers.images import base_images

    runtime = base_images()["runtime"].ref
    client = connect(timeout=60)
    present = has_image(client, runtime)
    client.close()
    if not present:
        if os.environ.get("CI"):
            pytest.fail(f"CI: base image {runtime} missing (xaas images bootstrap)")
        pytest.skip(f"base image {runtime} missing (xaas images bootstrap)")
    dest = tmp_path / "apt"
    dest.mkdir()
    (dest / "stale-from-an-older-image").write_text("old")
    assert copy_out(runtime, "/etc/apt", dest) == dest
    assert not (dest / "stale-from-an-older-image").exists()
    assert (dest / "apt.conf.d").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apt"]  # no .part left behind
