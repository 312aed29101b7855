"""The Snakefile and the Parsl script produce the same report (modulo timings and ids)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.showcase.conftest import SMALL
from xaas_parsl.showcase.report import PLOTS


def _shape(value: Any) -> Any:
    """The keys of nested dicts (lists: the shape of their first item): the report's layout
    without its measured values."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [_shape(value[0])]
    return type(value).__name__


def test_both_doors_write_a_complete_report(doors: dict[str, Path]) -> None:
    for door, where in doors.items():
        for name in ("report.json", "summary.md", *PLOTS):
            path = where / name
            assert path.is_file() and path.stat().st_size > 0, (door, name)
            if name.endswith(".png"):
                assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", (door, name)


def test_same_choice_same_sections_same_figures(reports: dict[str, dict[str, Any]]) -> None:
    smk, prl = reports["snakemake"], reports["parsl"]
    assert smk["showcase"]["door"] == "snakemake" and prl["showcase"]["door"] == "parsl"
    assert set(smk) == set(prl)
    for key in ("configuration", "portable", "cmake_args", "choice"):
        assert smk["configuration"][key] == prl["configuration"][key], key
    assert smk["deployment"]["mode"] == prl["deployment"]["mode"] == "native"
    assert smk["kernel"]["configurations"] == prl["kernel"]["configurations"]
    # The same figures (names and nesting), each computed from that report's own raw data.
    assert _shape(smk["figures"]) == _shape(prl["figures"])
    assert smk["plots"] == prl["plots"]
    for report in (smk, prl):
        assert report["deployment"]["tests"]["passed"] is True
        assert len(report["kernel"]["kernel_seconds"]["chosen"]) == int(SMALL["rounds"])
        assert report["figures"]["flare"]["size"] == int(SMALL["flare_size"])
        assert sorted(r["rank"] for r in report["flare"]["results"]) == list(range(8))
        assert report["figures"]["flow"]["runs"] == int(SMALL["flow_reps"])
        assert set(report["figures"]["timeline"]["nodes"]) == {
            "discover", "choose", "deploy", "measure", "flare", "flow"}
    # The Snakemake door's flare ran in its rule's processes, the Parsl door's on Parsl.
    assert prl["flare"]["where"] == "Parsl executor compute"
    assert smk["flare"]["where"] == "one process per pack"


def test_summary_names_choice_reasons_and_figures(doors: dict[str, Path],
                                                  reports: dict[str, dict[str, Any]]) -> None:
    for door, where in doors.items():
        text = (where / "summary.md").read_text()
        report = reports[door]
        assert f"Chosen configuration: `{report['configuration']['configuration']}`" in text
        for reason in report["configuration"]["choice"]["reasons"]:
            assert reason in text
        assert f"**{report['figures']['speedup']['speedup']:.2f}x**" in text
        assert "Deployment: native" in text
        assert "estimated cost per 1000 runs" in text
