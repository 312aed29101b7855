"""Start-time measurement of flares: clock alignment, summaries and the start-time CDF.

The metric of burst computing is how *together* workers start: t0 is the launch call in the
driver, a worker's start is the wall-clock time of its first line. Workers on other hosts
stamp with their own clocks, so their stamps are shifted onto the driver's clock with an
NTP-style offset estimated from round trips to the driver (the sample with the smallest
round-trip time bounds the error best).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def clock_offset(samples: Sequence[tuple[float, float, float, float]]) -> float:
    """This host's clock minus the server's, from ``(client_send, server_recv, server_send,
    client_recv)`` samples: ``((cs - sr) + (cr - ss)) / 2`` of the minimum-RTT sample, where
    ``RTT = (cr - cs) - (ss - sr)``. No samples: 0."""
    if not samples:
        return 0.0
    cs, sr, ss, cr = min(samples, key=lambda s: (s[3] - s[0]) - (s[2] - s[1]))
    return ((cs - sr) + (cr - ss)) / 2


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of already sorted values (``q`` in [0, 1])."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = q * (len(sorted_values) - 1)
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


@dataclass(frozen=True)
class StartSummary:
    """How together a group of workers started, relative to the launch t0 (seconds)."""

    size: int
    time_to_all_started_s: float
    first_start_s: float
    start_spread_s: float
    start_iqr_s: float
    start_p90_p10_s: float
    run_time_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready)."""
        return dict(self.__dict__)


def summarize(t0: float, starts: Sequence[float], ends: Sequence[float] | None = None
              ) -> StartSummary:
    """Summarize absolute start stamps (and optional end stamps) against launch time ``t0``.
    ``run_time_s`` is last end − t0: the launch-to-result time of the whole group."""
    if not starts:
        raise ValueError("no start times to summarize")
    rel = sorted(s - t0 for s in starts)
    return StartSummary(
        size=len(rel),
        time_to_all_started_s=rel[-1],
        first_start_s=rel[0],
        start_spread_s=rel[-1] - rel[0],
        start_iqr_s=_quantile(rel, 0.75) - _quantile(rel, 0.25),
        start_p90_p10_s=_quantile(rel, 0.9) - _quantile(rel, 0.1),
        run_time_s=(max(ends) - t0) if ends else None,
    )


@dataclass
class FlareTiming:
    """Stamps of one flare on the driver's clock: launch, per-rank start and end, per-pack
    clock offsets (non-zero only for packs on other hosts) and hosts."""

    t0: float
    starts: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)
    offsets: dict[int, float] = field(default_factory=dict)
    hosts: dict[int, str] = field(default_factory=dict)

    def summary(self) -> StartSummary:
        """The start summary of this flare."""
        return summarize(self.t0, self.starts, self.ends)


def plot_cdf(series: Mapping[str, Sequence[float]], path: str | Path,
             title: str = "Worker start times", log_x: bool = False) -> Path:
    """Write a CDF plot of start times (seconds after launch), one line per series.
    ``log_x``: logarithmic time axis, for series milliseconds and seconds apart."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for label, values in series.items():
        xs = sorted(values)
        ys = [(i + 1) / len(xs) for i in range(len(xs))]
        ax.step(xs, ys, where="post", label=label)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel("start time after launch (s)" + (", log scale" if log_x else ""))
    ax.set_ylabel("fraction of workers started")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


