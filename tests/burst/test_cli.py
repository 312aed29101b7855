"""``xaas burst``: a verified local flare and a printed srun step."""

from __future__ import annotations

import json

import pytest

from xaas_parsl.cli.main import main


def test_burst_run_sort_verifies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["burst", "run", "--app", "sort", "--size", "8", "--granularity", "4",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verified"] is True and out["size"] == 8 and out["packs"] == 2


@pytest.mark.parametrize("kind", ["process", "thread"])
def test_burst_run_workers_kind(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["burst", "run", "--app", "sort", "--size", "6", "--granularity", "3",
                 "--workers", kind, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verified"] is True and out["workers"] == kind


def test_burst_run_pagerank_over_redis(redis_url: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["burst", "run", "--app", "pagerank", "--size", "8", "--granularity", "4",
                 "--transport", redis_url, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verified"] is True and out["transport_messages"] > 0


def test_burst_step_prints_srun(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["burst", "step", "alps", "--size", "64", "--granularity", "32",
                 "--function", "app:work", "--address", "tcp://login:1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "# 2 packs, 2 per node, 1 node(s)"
    assert lines[1].startswith("srun --nodes=1 --ntasks=2 ")


def test_burst_step_error_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["burst", "step", "local", "--size", "4", "--granularity", "2",
                 "--function", "app:work"]) == 1
    assert capsys.readouterr().err.strip().startswith("xaas: error: site local has launcher")
