"""Every door reaches the one driver: ``xaas_parsl.deploy.pipeline.drive`` is patched with a
recorder (tests/deploy/conftest.py) and each door is run; the recorder sees its request.

Doors: the CLI (``xaas demo``, ``xaas deploy ...``, ``xaas run-tests``), the Parsl apps (on
in-process thread executors, so the patch is visible to the app bodies), the showcase's deploy
step, the container job, and each new Snakemake rule (its shell command, as ``snakemake -n -p``
prints it, run in this process).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor

from tests.conftest import HEAT2D
from tests.deploy.conftest import Recorder
from xaas_parsl.cli.main import main
from xaas_parsl.deploy import Mode, Stage
from xaas_parsl.descriptor import load_app
from xaas_parsl.sites.session import loaded

APP = str(HEAT2D / "app.yaml")
SNAKEFILE = Path(__file__).resolve().parents[2] / "workflows" / "xaas" / "Snakefile"


def test_demo_direct_and_parsl(driver: Recorder, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--engine", "direct", "--runtime", "native", "--deploy", "ir"]) == 0
    assert driver.requests[-1].mode is Mode.IR
    assert {Stage.INTERSECT, Stage.DEPLOY, Stage.TEST} <= driver.stages_of()
    report = json.loads((tmp_path / "xaas-report.json").read_text())
    assert report["build"]["mode"] == "ir" and report["passed"] is True
    # The parsl engine on thread executors (HTEX workers would not see the patch).
    import xaas_parsl.sites.parsl_config as site_config

    monkeypatch.setattr(site_config, "config", lambda site, **kw: threads_config(tmp_path))
    before = len(driver.requests)
    assert main(["demo", "--engine", "parsl", "--runtime", "native"]) == 0
    modes = {(r.mode, s) for r in driver.requests[before:] for s in r.stages}
    assert {(Mode.SOURCE, Stage.DEPLOY), (Mode.SOURCE, Stage.TEST)} <= modes


def test_demo_docker_runtime_is_the_container_mode(driver: Recorder, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import xaas_parsl.containers.engine as engine

    monkeypatch.setattr(engine, "probe", lambda timeout=10: None)
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--engine", "direct", "--runtime", "docker"]) == 0
    request = driver.requests[-1]
    assert request.mode is Mode.CONTAINER and request.image_kind == "ir"


@pytest.mark.parametrize(("argv", "mode", "stages"), [
    (["deploy", "source", APP, "--intersection", "{i}"], Mode.SOURCE, {Stage.DEPLOY}),
    (["deploy", "ir-bundle", APP], Mode.IR, {Stage.BUILD}),
    (["deploy", "ir", APP, "--intersection", "{i}"], Mode.IR, {Stage.BUILD, Stage.DEPLOY}),
    (["deploy", "ir", APP, "--config", "None", "--bundle", "{b}"], Mode.IR, {Stage.DEPLOY}),
    (["deploy", "container-image", APP, "--intersection", "{i}"], Mode.CONTAINER,
     {Stage.BUILD}),
    (["deploy", "container", APP, "--intersection", "{i}"], Mode.CONTAINER,
     {Stage.BUILD, Stage.DEPLOY}),
    (["deploy", "export", APP, "--deployment", "{d}", "--site", "alps"], Mode.CONTAINER,
     {Stage.EXPORT}),
    (["run-tests", APP, "--deployment", "{d}"], Mode.CONTAINER, {Stage.TEST}),
])
def test_deploy_commands(argv: list[str], mode: Mode, stages: set[Stage], driver: Recorder,
                         tmp_path: Path) -> None:
    files = {"i": tmp_path / "i.json", "b": tmp_path / "b.json", "d": tmp_path / "d.json"}
    files["i"].write_text(json.dumps({"choice": {"cmake_args": []}}))
    files["b"].write_text(json.dumps({"bundle": "x", "compile_jobs": 1}))
    files["d"].write_text(json.dumps({"image": "heat2d:1", "mode": "container",
                                      "prefix": None}))
    args = [a.format(**{k: str(v) for k, v in files.items()}) for a in argv]
    if args[0] == "deploy":
        args += ["--workdir", str(tmp_path / "w")]
    assert main([*args, "-o", str(tmp_path / "out.json")]) == 0
    assert driver.requests[-1].mode is mode and driver.stages_of() == stages
    assert json.loads((tmp_path / "out.json").read_text())


def threads_config(tmp_path: Path) -> Config:
    """``login`` and ``compute`` as thread executors: the apps run in this process."""
    return Config(executors=[ThreadPoolExecutor(label="login", max_threads=2),
                             ThreadPoolExecutor(label="compute", max_threads=2)],
                  run_dir=str(tmp_path / "runinfo"))


@pytest.fixture
def threads_parsl(tmp_path: Path) -> Iterator[None]:
    with loaded(threads_config(tmp_path)):
        yield


@pytest.mark.usefixtures("threads_parsl")
def test_parsl_apps(driver: Recorder, tmp_path: Path) -> None:
    from xaas_parsl import apps

    work = str(tmp_path / "w")
    summary = apps.deploy_and_run(APP, workdir=work, mode="container").result(timeout=120)
    assert summary["passed"] and summary["deployment"]["mode"] == "container"
    assert {(r.mode, s) for r in driver.requests for s in r.stages} >= {
        (Mode.CONTAINER, Stage.BUILD), (Mode.CONTAINER, Stage.DEPLOY),
        (Mode.CONTAINER, Stage.TEST)}
    chosen = apps.intersect(apps.load_spec_points(APP), apps.discover_system()).result()
    calls = [
        (apps.build_ir_bundle(APP, work), Mode.IR, {Stage.BUILD}),
        (apps.deploy_ir(APP, "None", work, {"bundle": "b", "compile_jobs": 1,
                                            "unique_irs": 1, "reduction": 0}),
         Mode.IR, {Stage.DEPLOY}),
        (apps.deploy_source(APP, chosen, work), Mode.SOURCE, {Stage.DEPLOY}),
        (apps.build_container(APP, work, chosen), Mode.CONTAINER, {Stage.BUILD}),
        (apps.deploy_container(APP, chosen, work, {"image": "i", "kind": "ir"}),
         Mode.CONTAINER, {Stage.DEPLOY}),
        (apps.export_image(APP, {"image": "i", "mode": "container"}, work, "aurora"),
         Mode.CONTAINER, {Stage.EXPORT}),
    ]
    for future, mode, stages in calls:
        assert future.result(timeout=60)
        assert any(r.mode is mode and set(r.stages) == stages for r in driver.requests)


@pytest.mark.parametrize("deploy", ["native", "container"])
def test_showcase_deploy_step(deploy: str, driver: Recorder, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The deploy step runs its plan (``deploy.plan.deployment_plan``): the node's family and
    tuning reach the driver; on the Alps node as site.yaml states it, the plan is the one
    ``xaas showcase --site alps --plan`` prints (one implementation, every door)."""
    import xaas_parsl.containers.engine as engine
    from xaas_parsl.deploy.plan import site_system
    from xaas_parsl.showcase import deploy as dep
    from xaas_parsl.showcase import steps
    from xaas_parsl.showcase.config import ShowcaseConfig
    from xaas_parsl.showcase.plan import showcase_plan

    monkeypatch.setattr(engine, "probe", lambda timeout=10: None)
    asked: list[str | None] = []
    monkeypatch.setattr(dep, "bases_missing", lambda arch=None: asked.append(arch) or [])
    choice = tmp_path / "choose.json"
    choice.write_text(json.dumps({"configuration": "OPENMP+ARM_NEON_ASIMD",
                                  "portable": "None"}))
    system = tmp_path / "discover.json"
    system.write_text(json.dumps({"system": site_system("alps")}))
    cfg = ShowcaseConfig(deploy=deploy, site="alps")
    record = steps.deploy(choice, system, cfg, tmp_path / "b", tmp_path / "deploy.json")
    assert record["mode"] == deploy
    want = Mode.IR if deploy == "native" else Mode.CONTAINER
    assert [(r.mode, r.configuration, r.arch, r.cpu) for r in driver.requests] == [
        (want, "OPENMP+ARM_NEON_ASIMD", "aarch64", "neoverse-v2"),
        (want, "None", "aarch64", "baseline")]
    assert Stage.TEST in driver.stages_of(0) and Stage.BUILD in driver.stages_of(0)
    assert set(record["deployments"]) == {"chosen", "portable"}
    assert asked == ([] if deploy == "native" else ["aarch64"])
    assert record["plan"]["roles"]["chosen"]["cpu_flags"] == ["-mcpu=neoverse-v2+nosve"]
    if deploy == "native":  # the plan door gives the very same plan
        planned = showcase_plan(cfg)["deploy"]
        assert {k: v for k, v in planned.items() if k != "why"} == record["plan"]


def test_container_job(driver: Recorder, tmp_path: Path) -> None:
    from xaas_parsl.containers.job import run_container_job

    done = run_container_job(load_app(APP), "source", None, tmp_path)
    request = driver.requests[-1]
    assert request.mode is Mode.CONTAINER and request.image_kind == "source"
    assert driver.stages_of() == {Stage.BUILD, Stage.DEPLOY, Stage.TEST}
    assert done["tests"]["passed"]


def _planned_commands(tmp_path: Path, profile: str, deploy: str) -> dict[str, list[str]]:
    """Rule name -> the ``xaas`` argv of its shell command, from ``snakemake -n -p``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XAAS_", "SNAKEMAKE_"))}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "xdg")
    exe = Path(sys.executable).parent
    subprocess.run([exe / "xaas", "profiles", "install"], env=env, check=True,
                   capture_output=True, timeout=120)
    proc = subprocess.run([exe / "snakemake", "--snakefile", SNAKEFILE, "--profile", profile,
                           "-n", "-p", "--config", f"deploy={deploy}"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240, check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text
    commands: dict[str, list[str]] = {}
    for block in re.split(r"\n(?=(?:local)?rule )", text):
        name = re.match(r"(?:local)?rule (\w+):", block)
        shell = re.search(r"Shell command: (.*)", block)
        if name and shell:
            argv = shlex.split(shell.group(1).split(" 2> ")[0])
            if "xaas_parsl.cli.main" in argv:
                commands[name.group(1)] = argv[argv.index("xaas_parsl.cli.main") + 1:]
    return commands


@pytest.mark.parametrize(("profile", "deploy", "rules"), [
    ("local", "ir", {"xaas_ir_bundle": (Mode.IR, {Stage.BUILD}),
                     "xaas_deploy_ir": (Mode.IR, {Stage.DEPLOY})}),
    ("alps", "container", {"xaas_container_build": (Mode.CONTAINER, {Stage.BUILD}),
                           "xaas_container_deploy": (Mode.CONTAINER, {Stage.DEPLOY}),
                           "xaas_export": (Mode.CONTAINER, {Stage.EXPORT})}),
])
def test_each_new_rule_reaches_the_driver(profile: str, deploy: str,
                                          rules: dict[str, tuple[Mode, set[Stage]]],
                                          driver: Recorder, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    commands = _planned_commands(tmp_path, profile, deploy)
    results = tmp_path / "results" / profile
    (results / "heat2d" / "ir").mkdir(parents=True)
    (results / "heat2d" / "container").mkdir()
    (results / "system.json").write_text(json.dumps({"architecture": "x86_64"}))
    (results / "heat2d" / "intersection.json").write_text(json.dumps({"choice": {
        "cmake_args": []}}))
    (results / "heat2d" / "ir" / "bundle.json").write_text(json.dumps({
        "bundle": "b", "compile_jobs": 1}))
    (results / "heat2d" / "container" / "image.json").write_text(json.dumps({
        "image": "heat2d-ir:1.0.0", "kind": "ir"}))
    (results / "heat2d" / "deployment.json").write_text(json.dumps({
        "image": "heat2d:1", "mode": "container", "prefix": None}))
    monkeypatch.chdir(tmp_path)
    for rule, (mode, stages) in rules.items():
        assert main(commands[rule]) == 0, rule
        assert driver.requests[-1].mode is mode and driver.stages_of() == stages, rule
    if profile == "alps":
        request = driver.requests[-1]
        assert request.export == "edf" and request.site == "alps"
