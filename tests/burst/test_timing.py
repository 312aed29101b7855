"""Pure timing functions: clock offset, start summaries, CDF plot."""

from __future__ import annotations

from pathlib import Path

import pytest

from xaas_parsl.burst import clock_offset, plot_cdf, summarize


def test_clock_offset_uses_the_minimum_rtt_sample() -> None:
    # Client clock = server clock + 5; symmetric 10 ms legs, 1 ms server turnaround.
    good = (100.0, 95.01, 95.011, 100.021)
    # A slow, asymmetric sample (50 ms out, 1 ms back) that would misestimate by ~25 ms.
    bad = (200.0, 195.05, 195.051, 200.052)
    assert clock_offset([bad, good]) == pytest.approx(5.0)
    assert clock_offset([bad]) == pytest.approx(4.9755)
    assert clock_offset([]) == 0.0


def test_summarize_start_spread_and_quantiles() -> None:
    t0 = 1000.0
    starts = [t0 + x for x in (0.5, 0.1, 0.2, 0.3, 0.4)]
    ends = [t0 + 2.0, t0 + 3.0]
    s = summarize(t0, starts, ends)
    assert s.size == 5
    assert s.time_to_all_started_s == pytest.approx(0.5)
    assert s.first_start_s == pytest.approx(0.1)
    assert s.start_spread_s == pytest.approx(0.4)
    assert s.start_iqr_s == pytest.approx(0.2)
    assert s.start_p90_p10_s == pytest.approx(0.32)
    assert s.run_time_s == pytest.approx(3.0)
    with pytest.raises(ValueError):
        summarize(t0, [])


def test_plot_cdf_writes_a_png(tmp_path: Path) -> None:
    out = plot_cdf({"a": [0.1, 0.2, 0.3], "b": [0.05]}, tmp_path / "cdf.png")
    assert out.read_bytes()[:4] == b"\x89PNG"
    log = plot_cdf({"a": [0.001, 0.2, 30.0]}, tmp_path / "log.png", log_x=True)
    assert log.read_bytes()[:4] == b"\x89PNG"
