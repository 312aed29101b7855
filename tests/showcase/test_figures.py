"""A report's figures follow from its raw data: recomputed from the file, and by hand."""

from __future__ import annotations

import copy
import statistics
from typing import Any

import pytest

from xaas_parsl.showcase.figures import figures, speedup


def _close(a: Any, b: Any) -> None:
    if isinstance(a, dict):
        assert set(a) == set(b)
        for key in a:
            _close(a[key], b[key])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _close(x, y)
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12)
    else:
        assert a == b


def test_figures_are_recomputed_from_the_raw_data(reports: dict[str, dict[str, Any]]) -> None:
    for report in reports.values():
        _close(figures(report), report["figures"])


def test_figures_by_hand(reports: dict[str, dict[str, Any]]) -> None:
    report = reports["parsl"]
    times = report["kernel"]["kernel_seconds"]
    assert report["figures"]["speedup"]["speedup"] == pytest.approx(
        statistics.median(times["portable"]) / statistics.median(times["chosen"]))
    flare = report["flare"]
    assert report["figures"]["flare"]["time_to_all_started_s"] == pytest.approx(
        max(flare["starts"]) - flare["t0"])
    assert report["figures"]["flare"]["start_spread_s"] == pytest.approx(
        max(flare["starts"]) - min(flare["starts"]))
    calls = report["flow"]["calls"]
    runtimes = []
    for rid in {c["request_id"] for c in calls}:
        mine = [c for c in calls if c["request_id"] == rid]
        runtimes.append(max(c["end"] for c in mine) - min(c["start"] for c in mine))
    assert report["figures"]["flow"]["runtime_median_s"] == pytest.approx(
        statistics.median(runtimes))
    nodes = report["nodes"]
    assert report["figures"]["timeline"]["makespan_s"] == pytest.approx(
        max(n["end"] for n in nodes.values()) - min(n["start"] for n in nodes.values()))


def test_changed_raw_data_changes_the_figures(reports: dict[str, dict[str, Any]]) -> None:
    """A stored figure that does not follow from its raw data is detected."""
    report = copy.deepcopy(reports["snakemake"])
    report["kernel"]["kernel_seconds"]["portable"] = [
        t * 2 for t in report["kernel"]["kernel_seconds"]["portable"]]
    assert figures(report)["speedup"]["speedup"] == pytest.approx(
        2 * report["figures"]["speedup"]["speedup"])
    old = report["figures"]["flare"]["time_to_all_started_s"]
    report["flare"]["starts"][0] += 5.0
    new = figures(report)["flare"]["time_to_all_started_s"]
    assert new == pytest.approx(max(report["flare"]["starts"]) - report["flare"]["t0"])
    assert new > old + 4.0


def test_speedup_of_known_timings() -> None:
    kernel = {"kernel_seconds": {"chosen": [1.0, 3.0, 2.0], "portable": [6.0, 4.0, 5.0]}}
    assert speedup(kernel) == {"chosen_median_s": 2.0, "portable_median_s": 5.0,
                               "speedup": 2.5, "rounds": 3}
