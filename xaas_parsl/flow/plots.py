"""Plots of recorded runs (matplotlib, Agg backend: no display needed).

* ``timeline``: one run as a Gantt chart, one bar per call from its start to its end, relative
  to the run's first start, coloured by stage, cold calls hatched and failed ones outlined red;
  the gaps between bars are the platform's transitions.
* ``overhead_breakdown``: per stage, averaged over runs, the stage's function time (the
  critical-path part), its internal overhead (span − function time: queueing and stragglers
  inside a map/parallel) and the transition into it from the previous stage.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt


def _save(figure: Any, path: Path) -> Path:
    """Write the PNG atomically (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    os.close(fd)
    try:
        figure.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        plt.close(figure)
        Path(tmp).unlink(missing_ok=True)
    return path


def timeline(records: Sequence[dict[str, Any]], path: str | Path, title: str = "") -> Path:
    """Gantt chart of one run's calls."""
    calls = sorted(records, key=lambda r: r["start"])
    origin = calls[0]["start"]
    stages = list(dict.fromkeys(str(r["state"]).split("/")[0] for r in calls))
    colours = plt.get_cmap("tab10")
    span = max(c["end"] for c in calls) - origin
    shortest = span * 1e3 / 250  # calls shorter than this are drawn this wide, to stay visible
    figure, axes = plt.subplots(figsize=(9, max(2.5, 0.28 * len(calls) + 1.2)))
    for row, call in enumerate(calls):
        stage = str(call["state"]).split("/")[0]
        axes.barh(row, max((call["end"] - call["start"]) * 1e3, shortest),
                  left=(call["start"] - origin) * 1e3,
                  color=colours(stages.index(stage) % 10),
                  hatch="//" if call.get("is_cold") else None,
                  edgecolor="red" if not call.get("ok", True) else "black", linewidth=0.5)
    axes.set_yticks(range(len(calls)), [f"{c['state']} ({c['func']})" for c in calls],
                    fontsize=7)
    axes.invert_yaxis()
    axes.set_xlabel("ms since the run's first call started")
    handles = [matplotlib.patches.Patch(color=colours(i % 10), label=s)
               for i, s in enumerate(stages)]
    handles.append(matplotlib.patches.Patch(facecolor="white", edgecolor="black", hatch="//",
                                            label="cold call"))
    axes.legend(handles=handles, fontsize=7, loc="best")
    axes.set_title(title or f"run {calls[0]['request_id']}", fontsize=9)
    axes.grid(axis="x", alpha=0.3)
    return _save(figure, Path(path))


def overhead_breakdown(runs: Sequence[dict[str, Any]], path: str | Path,
                       title: str = "") -> Path:
    """Stacked bars per stage: function time, internal overhead, transition (means over runs)."""
    per_stage: dict[str, dict[str, list[float]]] = {}
    for run in runs:
        for stage in run["stages"]:
            slot = per_stage.setdefault(stage["stage"], {"time": [], "internal": [],
                                                         "transition": []})
            slot["time"].append(stage["time_s"])
            slot["internal"].append(stage["internal_overhead_s"])
            slot["transition"].append(stage["transition_s"] or 0.0)
    names = list(per_stage)
    parts = [("time", "function time (critical path)", "#4c72b0"),
             ("internal", "inside the stage (span − function time)", "#dd8452"),
             ("transition", "transition from the previous stage", "#c44e52")]
    figure, axes = plt.subplots(figsize=(max(5, 1.1 * len(names) + 2), 3.8))
    bottom = [0.0] * len(names)
    for key, label, colour in parts:
        values = [statistics.fmean(per_stage[n][key]) * 1e3 for n in names]
        axes.bar(names, values, bottom=bottom, label=label, color=colour)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_ylabel(f"ms (mean of {len(runs)} run{'s' if len(runs) != 1 else ''})")
    axes.set_title(title or "time per stage", fontsize=9)
    axes.legend(fontsize=7)
    axes.tick_params(axis="x", labelrotation=30, labelsize=8)
    return _save(figure, Path(path))


def suite_bars(rows: Sequence[dict[str, Any]], path: str | Path, title: str = "") -> Path:
    """Median runtime per experiment as horizontal bars: the critical-path part, then the
    overhead up to the runtime (log axis: the suite spans milliseconds to seconds)."""
    labels = [f"{r['benchmark']} {r['size']} {r['mode']}" for r in rows]
    critical = [max(r["critical_path_s"] * 1e3, 1e-3) for r in rows]
    runtime = [max(r["runtime_s"] * 1e3, c) for r, c in zip(rows, critical, strict=True)]
    figure, axes = plt.subplots(figsize=(8, 0.3 * len(rows) + 1.4))
    axes.barh(labels, critical, label="critical path", color="#4c72b0")
    axes.barh(labels, [t - c for t, c in zip(runtime, critical, strict=True)], left=critical,
              label="overhead (runtime − critical path)", color="#dd8452")
    axes.set_xscale("log")
    axes.invert_yaxis()
    axes.set_xlabel("median runtime, ms (log)")
    axes.set_title(title or "SeBS-Flow suite", fontsize=9)
    axes.tick_params(axis="y", labelsize=7)
    axes.legend(fontsize=7, loc="lower right")
    axes.grid(axis="x", alpha=0.3)
    return _save(figure, Path(path))
