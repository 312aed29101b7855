"""``snakemake --profile alps -n`` plans the showcase with each node type's resources; bad
input is one line; the committed ``local`` profile is the generated one."""

from __future__ import annotations

import filecmp
import re
import sys
from pathlib import Path

import pytest

from tests.showcase.conftest import SNAKEMAKE, WORKFLOW, clean_env, run
from xaas_parsl.packaged import SITE_CONFIGS
from xaas_parsl.showcase.config import DEFAULT_CONFIG

XAAS = Path(sys.executable).parent / "xaas"


@pytest.fixture(scope="module")
def alps_plan(tmp_path_factory: pytest.TempPathFactory) -> str:
    home = tmp_path_factory.mktemp("xdg")
    env = dict(clean_env(), XDG_CONFIG_HOME=str(home))
    proc = run([XAAS, "profiles", "install"], cwd=home, env=env)
    assert proc.returncode == 0, proc.stderr
    work = tmp_path_factory.mktemp("plan")
    proc = run([SNAKEMAKE, "--snakefile", WORKFLOW / "Snakefile", "--profile", "alps", "-n"],
               cwd=work, env=env, timeout=200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert not (work / "results").exists()
    return proc.stdout + proc.stderr


def _resources(plan: str) -> dict[str, dict[str, str]]:
    """rule name → its resources as Snakemake's dry run prints them."""
    out: dict[str, dict[str, str]] = {}
    for rule, body in re.findall(r"rule (\w+):\n(.*?)(?=\n\n|\nrule |\Z)", plan, re.S):
        line = next((ln for ln in body.splitlines() if "resources:" in ln), "")
        pairs = (p.split("=", 1) for p in line.split("resources:", 1)[-1].split(", ") if "=" in p)
        out[rule] = {k.strip(): v.strip() for k, v in pairs}
    return out


def test_alps_plan_gives_each_node_type_its_resources(alps_plan: str) -> None:
    res = _resources(alps_plan)
    assert {"showcase_discover", "showcase_choose", "showcase_deploy", "showcase_measure",
            "showcase_flare", "showcase_flow", "showcase_report"} <= set(res)
    for rule in ("showcase_discover", "showcase_deploy", "showcase_measure", "showcase_flare",
                 "showcase_flow"):
        assert res[rule]["slurm_partition"] == "normal", rule
        assert res[rule]["nodes"] == "1", rule
        assert "--uenv=prgenv-gnu/24.11:v1" in res[rule]["slurm_extra"], rule
    assert res["showcase_discover"]["gpu"] == "4"       # discovery sees the node's GPUs
    assert res["showcase_discover"]["runtime"] == "10"
    assert res["showcase_deploy"]["runtime"] == "120"   # builds: long, no GPU
    for rule in ("showcase_deploy", "showcase_measure", "showcase_flare", "showcase_flow"):
        assert "gpu" not in res[rule], rule              # CPU work holds no GPUs
    assert res["showcase_flare"]["tasks"] == "2"        # 8 workers, 4 per pack
    assert res["showcase_flare"]["cpus_per_task"] == "4"
    assert "nodes" not in res["showcase_choose"] and "nodes" not in res["showcase_report"]
    assert "results/showcase/alps/report.json" in alps_plan


ALPS_DEPLOYMENT = ("IR bundle: heat2d 1.0.0 for aarch64-linux-gnu",
                   "deploy chosen: OPENMP+ARM_NEON_ASIMD lowered with -mcpu=neoverse-v2+nosve",
                   "IR container: heat2d-ir:1.0.0-aarch64 built in "
                   "xaas/toolchain:bookworm-cross-aarch64-",
                   "deployed into xaas/runtime:bookworm-aarch64-", "(linux/arm64)",
                   "export: edf for site alps")


def test_alps_dry_run_names_the_arm64_ir_deployment(alps_plan: str) -> None:
    """``snakemake --profile alps -n`` prints the plan rule's message: the deployment the
    deploy node would run on a GH200 node."""
    assert "showcase on alps (planned: nothing built, discovered or submitted)" in alps_plan
    for needle in ALPS_DEPLOYMENT:
        assert needle in alps_plan, needle
    assert "results/showcase/alps/plan.json" in alps_plan


def test_showcase_plan_for_alps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``xaas showcase --site alps --plan``: no account needed, nothing written, the arm64 IR
    deployment named; ``--json`` is the plan the deploy step runs (tests/deploy/test_doors)."""
    import json

    from xaas_parsl.cli.main import main
    from xaas_parsl.containers.images import base_images

    out = tmp_path / "out"
    assert main(["showcase", "--site", "alps", "--plan", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    for needle in ALPS_DEPLOYMENT:
        assert needle in text, needle
    assert main(["showcase", "--site", "alps", "--plan", "--json", "-o", str(out)]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert not out.exists()
    assert plan["choose"]["configuration"] == "OPENMP+ARM_NEON_ASIMD"
    dep = plan["deploy"]
    assert (dep["mode"], dep["arch"], dep["triple"]) == ("ir", "aarch64", "aarch64-linux-gnu")
    assert "cscs-container-engine, which builds no images" in dep["why"]
    assert dep["roles"]["chosen"] == {"configuration": "OPENMP+ARM_NEON_ASIMD",
                                      "cpu": "neoverse-v2",
                                      "cpu_flags": ["-mcpu=neoverse-v2+nosve"]}
    assert dep["roles"]["portable"]["cpu_flags"] == []
    bases = base_images(arch="aarch64")
    assert dep["images"] == {"ir": "heat2d-ir:1.0.0-aarch64", "platform": "linux/arm64",
                             "toolchain": bases["toolchain"].ref,
                             "toolchain_cross": "x86_64 -> aarch64",
                             "runtime": bases["runtime"].ref}
    assert dep["export"] == "edf"


def test_plan_of_a_node_given_as_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    """``--system``: the node's recorded /proc/cpuinfo instead of the site's stated node."""
    from tests.ir.test_aarch64 import GH200_CPUINFO
    from xaas_parsl.cli.main import main

    assert main(["showcase", "--site", "alps", "--plan", "--system", str(GH200_CPUINFO)]) == 0
    text = capsys.readouterr().out
    assert "deploy chosen: OPENMP+ARM_NEON_ASIMD lowered with -mcpu=neoverse-v2+nosve" in text
    assert main(["showcase", "--site", "alps", "--json"]) == 1
    assert capsys.readouterr().err.strip() == ("xaas: error: showcase: --system and --json go "
                                               "with --plan")


def test_committed_local_profile_is_the_generated_one() -> None:
    generated = SITE_CONFIGS / "local" / "snakemake" / "local"
    names = sorted(p.name for p in generated.iterdir())
    assert sorted(p.name for p in (WORKFLOW / "local").iterdir()) == names
    _, mismatch, errors = filecmp.cmpfiles(generated, WORKFLOW / "local", names, shallow=False)
    assert not mismatch and not errors


@pytest.mark.parametrize(("args", "needle"), [
    (["--site", "lumi"], "unknown site 'lumi': known sites are alps, ault, aurora, local"),
    (["--deploy", "native", "--config", "{cfg}"], "unknown showcase setting 'flare_sise'"),
    (["--site", "alps"], "site alps needs an account to submit jobs: export XAAS_ACCOUNT="),
])
def test_bad_input_is_one_line(args: list[str], needle: str, tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("flare_sise: 8\n")
    argv = [XAAS, "showcase", *[a.replace("{cfg}", str(cfg)) for a in args], "-o",
            tmp_path / "out"]
    proc = run(argv, cwd=tmp_path, timeout=60)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xaas: error: ") and needle in lines[0]
    assert not (tmp_path / "out").exists()


def test_bad_settings_in_the_script_and_the_workflow(tmp_path: Path) -> None:
    proc = run([sys.executable, WORKFLOW / "showcase.py", "--set", "flare_size=0", "-o",
                tmp_path / "out"], cwd=tmp_path, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("showcase.py: error: "
                                   f"{DEFAULT_CONFIG}: flare_size must be a positive "
                                   "integer, got 0")
    proc = run([SNAKEMAKE, "--snakefile", WORKFLOW / "Snakefile", "--cores", "1", "-n",
                "--config", "deploy=podman"], cwd=tmp_path, timeout=120)
    assert proc.returncode != 0
    assert "deploy must be one of auto, container, native, got 'podman'" in proc.stdout + \
        proc.stderr
