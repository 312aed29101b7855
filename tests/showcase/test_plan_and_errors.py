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
