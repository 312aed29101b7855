"""The bundled rule file ``burst.smk`` included in a Snakefile and run by a real ``snakemake``; the
``xaas burst flare`` command behind it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import needs_infra
from xaas_parsl.cli.main import main
from xaas_parsl.snakemake import rule_file

RULES = Path(rule_file("burst.smk"))
SNAKEMAKE = Path(sys.executable).with_name("snakemake")

# The worker module lives in Snakemake's working directory, as a user's would.
WORDS = '''
def count(ctx, paths):
    """Rank r counts the words of file r % len(paths); everyone gets the total."""
    with open(paths[ctx.rank % len(paths)]) as handle:
        mine = len(handle.read().split())
    total = ctx.allreduce(mine, lambda a, b: a + b)
    return {"rank": ctx.rank, "words": mine, "total": total}


def fail(ctx, paths):
    if ctx.rank == 2:
        raise RuntimeError("no words for rank two")
    ctx.barrier()
    return ctx.rank
'''


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = str(SNAKEMAKE) if SNAKEMAKE.exists() else "snakemake"
    return subprocess.run([command, "--cores", "1", "-s", "Snakefile", *args], cwd=workdir,
                          capture_output=True, text=True, timeout=180, check=False)


def workdir(tmp_path: Path, function: str) -> Path:
    (tmp_path / "burstwords.py").write_text(WORDS)
    (tmp_path / "a.txt").write_text("one two three\n")
    (tmp_path / "b.txt").write_text("four five\n")
    (tmp_path / "Snakefile").write_text(
        f'include: "{RULES}"\n\nrule all:\n    input: config["burst_output"]\n')
    (tmp_path / "config.yaml").write_text(
        f"burst_function: burstwords:{function}\n"
        "burst_size: 4\n"
        "burst_granularity: 2\n"
        "burst_inputs: [a.txt, b.txt]\n"
        "burst_output: out/results.json\n"
        "burst_summary: out/summary.json\n")
    return tmp_path


@needs_infra(not SNAKEMAKE.exists() and shutil.which("snakemake") is None,
             "snakemake is not installed")
def test_burst_rule_writes_the_workers_results(tmp_path: Path) -> None:
    wd = workdir(tmp_path, "count")
    proc = snakemake(wd, "--configfile", "config.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((wd / "out" / "results.json").read_text())
    assert results == [{"rank": r, "words": [3, 2][r % 2], "total": 10} for r in range(4)]
    summary = json.loads((wd / "out" / "summary.json").read_text())
    assert summary["size"] == 4 and summary["packs"] == 2


@needs_infra(not SNAKEMAKE.exists() and shutil.which("snakemake") is None,
             "snakemake is not installed")
def test_a_failing_worker_fails_the_rule_without_output(tmp_path: Path) -> None:
    wd = workdir(tmp_path, "fail")
    proc = snakemake(wd, "--configfile", "config.yaml")
    assert proc.returncode != 0
    assert not (wd / "out" / "results.json").exists()
    log = (wd / "out" / "results.json.log").read_text()
    assert "rank 2 failed: RuntimeError: no words for rank two" in log
    assert "Traceback" not in log


def test_burst_flare_cli_errors_are_one_line(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    assert main(["burst", "flare", "nocolon", "--size", "2", "--output", str(out)]) == 1
    assert "must be given as module:function" in capsys.readouterr().err
    assert main(["burst", "flare", "tests.burst.workers:identity", "--size", "2",
                 "--input", str(tmp_path / "missing.txt"), "--output", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"xaas: error: {tmp_path / 'missing.txt'}: input file does not exist"
    assert not out.exists()
