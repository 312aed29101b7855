"""Session fixtures for the Docker tests: one engine, base images, source and IR containers.

Everything here runs against the real Docker engine (``dockerd --storage-driver=vfs``, started
by ``scripts/setup.sh``); without one every test that needs it skips, saying why. The expensive
steps (bootstrap, image builds, deployments) run once per session and are shared; bootstrap
reuses the cached root file system tarballs. A fake build secret is put into this process's
environment before anything is built, so the leak tests can look for it in the images.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import HEAT2D, infra_missing

SECRET_ENV = "XAAS_TEST_BUILD_SECRET"
SECRET = f"s3cr3t-{uuid.uuid4().hex}"


@pytest.fixture(scope="session")
def engine() -> Iterator[Any]:
    """A connected Docker client, or skip with the reason (what is missing, how to start it)."""
    from xaas_parsl.containers.engine import connect
    from xaas_parsl.errors import ToolError

    try:
        client = connect()
    except ToolError as exc:
        infra_missing(f"no Docker engine: {exc}")
    yield client
    client.close()


@pytest.fixture(scope="session")
def fake_secret() -> Iterator[str]:
    """A secret-looking value in the environment of every build of this session."""
    old = os.environ.get(SECRET_ENV)
    os.environ[SECRET_ENV] = SECRET
    yield SECRET
    if old is None:
        os.environ.pop(SECRET_ENV, None)
    else:
        os.environ[SECRET_ENV] = old


@pytest.fixture(scope="session")
def bases(engine: Any) -> dict[str, Any]:
    """Both base images in the engine (debootstrap only when no cached tarball exists)."""
    from xaas_parsl.containers.images import bootstrap
    from xaas_parsl.errors import ToolError

    start = time.perf_counter()
    try:
        rows = bootstrap()
    except ToolError as exc:
        infra_missing(f"base images cannot be bootstrapped here: {exc}")
    return {"rows": rows, "seconds": time.perf_counter() - start,
            **{r["kind"]: r["image"] for r in rows}}


@pytest.fixture(scope="session")
def heat2d() -> Any:
    """The bundled example's descriptor."""
    from xaas_parsl.descriptor import load_app

    return load_app(HEAT2D / "app.yaml")


@pytest.fixture(scope="session")
def chosen_config(heat2d: Any) -> str:
    """The matrix configuration the intersection picks for this machine (computed on the
    host, independently of the containers)."""
    from xaas_parsl import steps

    choice = steps.intersect(heat2d.spec().raw, steps.discover_system())["choice"]
    matrix = {m.option for m in heat2d.matrix}
    args = [a for a in choice["cmake_args"] if a[2:].split("=", 1)[0] in matrix]
    name: str = heat2d.config_name(args)
    return name


@pytest.fixture(scope="session")
def source_image(bases: dict[str, Any], heat2d: Any, fake_secret: str) -> dict[str, Any]:
    """The source container of heat2d."""
    from xaas_parsl.containers.source import build_source_image

    return build_source_image(heat2d)


@pytest.fixture(scope="session")
def source_deployed(source_image: dict[str, Any]) -> dict[str, Any]:
    """heat2d deployed from its source container for this machine, twice."""
    return _twice(source_image["image"], "source")


def _twice(image: str, mode: str) -> dict[str, Any]:
    """Deploy ``image`` twice; the first time from scratch (an image left by an earlier
    session with the same content hash is removed first, so the first deployment builds)."""
    from xaas_parsl.containers.deploy import deploy_image
    from xaas_parsl.containers.engine import connect

    first = deploy_image(image, mode)
    if first["reused"]:
        connect().images.remove(first["image"])
        first = deploy_image(image, mode)
    second = deploy_image(image, mode)
    return {"first": first, "second": second}


@pytest.fixture(scope="session")
def ir_image(bases: dict[str, Any], heat2d: Any, chosen_config: str, fake_secret: str
             ) -> dict[str, Any]:
    """The IR container of heat2d holding this machine's configuration and ``None``."""
    from xaas_parsl.containers.ir_image import build_ir_image

    configs = sorted({chosen_config, "None"})
    return build_ir_image(heat2d, configs)


@pytest.fixture(scope="session")
def ir_deployed(ir_image: dict[str, Any]) -> dict[str, Any]:
    """heat2d deployed from its IR container for this machine (intersection's choice), twice."""
    return _twice(ir_image["image"], "ir")
