"""The wheel, installed into a fresh virtual environment outside the checkout, works from an empty
directory: ``xaas site list``, ``xaas demo --runtime native``, ``xaas profiles install`` and
``snakemake --profile local -n`` on a Snakefile that includes the packaged rule file.

Why a real install: the package reads its site configs, bundled apps, rule files and showcase
settings through :mod:`importlib.resources`; only an installed wheel, imported with the checkout
out of ``sys.path``, shows that nothing still finds them through the repository.

Reproducible and fast: the dependencies are pinned by a constraints file generated from this
test's own environment (``pip freeze`` of the project venv, the project itself left out), and
installed with ``--no-index`` from a wheelhouse built once per constraints file and kept under
``~/.cache/xaas-parsl/wheelhouse/<hash>/`` (the first run fills it from PyPI through pip's cache;
later runs need no network). The wheel is built with ``python -m build --no-isolation`` (sdist,
then the wheel from the sdist) by the project venv's setuptools; both pass ``twine check``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from xaas_parsl.discovery.runner import default_cache_dir

PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
#: The environment without PYTHONPATH: the checkout on it would look installed to pip.
CLEAN = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
#: What MANIFEST.in puts into the sdist (the build starts from a copy of these).
SDIST_TOP = ("README.md", "setup.cfg", "pyproject.toml", "MANIFEST.in", "xaas_parsl",
             "snakemake_executor_plugin_xaas", "docs")
#: Distributions of the project itself (never pinned: the wheel under test provides them).
OWN = {"xaas-parsl", "xaas_parsl"}


def run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 900) -> str:
    """Run a command (an argument list), fail the test with its output when it fails."""
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{' '.join(map(str, args))} exited {proc.returncode}:\n{out}"
    return out


def constraints() -> str:
    """``name==version`` of every distribution in this environment but the project."""
    frozen = run([*PIP, "freeze", "--all", "--exclude-editable"], REPO)
    pins = sorted({line.strip() for line in frozen.splitlines()
                   if re.fullmatch(r"[A-Za-z0-9._-]+==[^\s;]+", line.strip())
                   and re.split(r"==", line)[0].lower().replace("_", "-") not in OWN})
    return "\n".join(pins) + "\n"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and wheel of the working tree, checked by twine."""
    out = tmp_path_factory.mktemp("dist")
    # Built from a copy of what the sdist holds (MANIFEST.in), so the build's egg-info and
    # build/ directories land there and not in the checkout.
    tree = tmp_path_factory.mktemp("tree")
    skip = shutil.ignore_patterns("__pycache__", "*.py[cod]", "*.egg-info")
    for name in SDIST_TOP:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tree / name, ignore=skip)
        else:
            shutil.copy2(source, tree / name)
    run([sys.executable, "-m", "build", "--no-isolation", "--skip-dependency-check",
         "--outdir", out, tree], tree)
    files = {p.suffix: p for p in out.iterdir()}
    wheel, sdist = files[".whl"], files[".gz"]
    report = run([sys.executable, "-m", "twine", "check", "--strict", wheel, sdist], REPO)
    assert report.count("PASSED") == 2, report
    return {"wheel": wheel, "sdist": sdist}


def requirements(wheel: Path) -> bytes:
    """The wheel's ``Requires-Dist`` lines: what its wheelhouse must hold besides the pins."""
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        lines = archive.read(name).decode("utf-8").splitlines()
    return "\n".join(sorted(x for x in lines if x.startswith("Requires-Dist:"))).encode()


def wheelhouse(pins: Path, wheel: Path) -> Path:
    """Wheels of every dependency at the pinned versions, built once per constraints file and
    set of the project's requirements (a new dependency needs a new wheelhouse)."""
    key = hashlib.sha256(pins.read_bytes() + b"\0" + requirements(wheel)).hexdigest()[:16]
    house = default_cache_dir() / "wheelhouse" / key
    if (house / "COMPLETE").is_file():
        return house
    staging = house.with_name(f".{key}-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    run([*PIP, "wheel", "--wheel-dir", staging, "--constraint", pins, wheel], REPO, CLEAN)
    (staging / wheel.name).unlink()              # the project is always the fresh build
    (staging / "constraints.txt").write_bytes(pins.read_bytes())
    (staging / "COMPLETE").write_text("", encoding="utf-8")
    shutil.rmtree(house, ignore_errors=True)
    staging.rename(house)
    return house


@pytest.fixture(scope="module")
def installed(dist: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[Path, dict[str, str]]:
    """A fresh venv (no system site packages, no pip of its own) with the wheel installed, and
    the environment to run its commands in: its ``bin`` first, no ``PYTHONPATH``, private
    config and cache directories."""
    root = tmp_path_factory.mktemp("installed")
    pins = root / "constraints.txt"
    pins.write_text(constraints(), encoding="utf-8")
    house = wheelhouse(pins, dist["wheel"])
    venv = root / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], root)
    run([*PIP, "--python", venv / "bin" / "python", "install", "--no-compile", "--no-index",
         "--find-links", house, "--constraint", pins, dist["wheel"]], root, CLEAN)
    env = dict(CLEAN)
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", HOME=str(root / "home"),
               XDG_CONFIG_HOME=str(root / "config"), XDG_CACHE_HOME=str(root / "cache"))
    return venv, env


def test_sdist_and_wheel_carry_the_package_data(dist: dict[str, Path]) -> None:
    import tarfile
    import zipfile

    names = set(zipfile.ZipFile(dist["wheel"]).namelist())
    for needed in ("xaas_parsl/site_configs/alps/site.yaml",
                   "xaas_parsl/site_configs/local/snakemake/local/config.yaml",
                   "xaas_parsl/bundled_apps/heat2d/app.yaml",
                   "xaas_parsl/bundled_apps/heat2d/src/stencil.cpp",
                   "xaas_parsl/bundled_apps/llama.cpp/ggml-tests/CMakeLists.txt",
                   "xaas_parsl/snakemake/smk/xaas.smk", "xaas_parsl/showcase/config.yaml",
                   "xaas_parsl/spec/ground_truth/gromacs-2022.5.json", "xaas_parsl/py.typed"):
        assert needed in names, needed
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/")]
    with tarfile.open(dist["sdist"]) as tar:
        members = tar.getnames()
    assert any(m.endswith("xaas_parsl/bundled_apps/heat2d/CMakeLists.txt") for m in members)


def test_installed_wheel_works_from_an_empty_directory(
        installed: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    venv, env = installed
    here = tmp_path / "empty"
    here.mkdir()
    where = run([venv / "bin" / "python", "-c", "import xaas_parsl; print(xaas_parsl.__file__)"],
                here, env)
    assert Path(where.strip()).is_relative_to(venv) and not Path(where.strip()).is_relative_to(REPO)

    sites = run(["xaas", "site", "list"], here, env)
    for site in ("alps", "ault", "aurora", "local"):
        assert site in sites

    run(["xaas", "demo", "--runtime", "native"], here, env, timeout=600)
    report = json.loads((here / "xaas-report.json").read_text(encoding="utf-8"))
    assert report["passed"] is True and report["tests"], report["tests"]

    installed_profiles = run(["xaas", "profiles", "install"], here, env)
    assert (Path(env["XDG_CONFIG_HOME"]) / "snakemake" / "local" / "config.yaml").is_file(), \
        installed_profiles

    flow = tmp_path / "workflow"
    flow.mkdir()
    (flow / "Snakefile").write_text(
        "from xaas_parsl.snakemake import rule_file\n\n"
        'include: rule_file("xaas.smk")\n\n'
        "rule all:\n"
        '    input: XAAS_RULES.result("heat2d")\n', encoding="utf-8")
    plan = run(["snakemake", "--profile", "local", "-n"], flow, env)
    assert "This was a dry-run" in plan
    for rule in ("xaas_discover_system", "xaas_spec_points", "xaas_deploy_source",
                 "xaas_run_tests"):
        assert f"rule {rule}:" in plan, plan
    assert sorted(p.name for p in flow.iterdir()) in (["Snakefile"], [".snakemake", "Snakefile"])
