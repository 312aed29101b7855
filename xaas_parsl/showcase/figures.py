"""Every figure of the showcase report, computed from the report's raw data alone.

Pure functions of the JSON: ``report.write_report`` stores their result under ``figures`` and
the tests call ``figures(report)`` again on the loaded file and compare, so a figure that does
not follow from the raw data it sits next to cannot go unnoticed.
"""

from __future__ import annotations

import statistics
from typing import Any

from xaas_parsl.burst.timing import summarize


def speedup(kernel: dict[str, Any]) -> dict[str, Any]:
    """Median portable kernel time / median chosen kernel time (same grid, one thread)."""
    times = kernel["kernel_seconds"]
    chosen = statistics.median(times["chosen"])
    portable = statistics.median(times["portable"])
    return {"chosen_median_s": chosen, "portable_median_s": portable,
            "speedup": portable / chosen, "rounds": len(times["chosen"])}


def flare_starts(flare: dict[str, Any]) -> dict[str, Any]:
    """Time to all started, spread and quantile spreads from the raw start/end stamps."""
    summary = summarize(flare["t0"], flare["starts"], flare["ends"] or None).to_dict()
    summary["relative_starts_s"] = sorted(s - flare["t0"] for s in flare["starts"])
    summary["results"] = len(flare["results"])
    return summary


def flow_metrics(flow: dict[str, Any]) -> dict[str, Any]:
    """SeBS-Flow's runtime, critical path and cost per 1000 runs from the raw call rows."""
    from xaas_parsl.flow.load import workflow_from_data
    from xaas_parsl.flow.metrics import experiment_metrics

    workflow = workflow_from_data(flow["definition"], "<report definition>")
    metrics = experiment_metrics(workflow, flow["calls"], float(flow["memory_mb"]))
    summary = metrics["summary"]
    runs = metrics["runs"]
    median_run = sorted(runs, key=lambda r: r["runtime_s"])[(len(runs) - 1) // 2]
    return {"runs": summary["runs"], "calls": summary["calls"],
            "runtime_median_s": summary["runtime_s"]["median"],
            "critical_path_median_s": summary["critical_path_s"]["median"],
            "overhead_median_s": summary["overhead_s"]["median"],
            "cost_per_1000_runs_usd": summary["cost_per_1000_runs_usd"],
            "median_run": median_run["request_id"]}


def timeline(nodes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The showcase DAG's own wall-clock spans: per node, and first start to last end."""
    origin = min(n["start"] for n in nodes.values())
    spans = {name: {"start_s": n["start"] - origin, "seconds": n["end"] - n["start"]}
             for name, n in sorted(nodes.items(), key=lambda kv: kv[1]["start"])}
    return {"nodes": spans, "makespan_s": max(n["end"] for n in nodes.values()) - origin}


def figures(report: dict[str, Any]) -> dict[str, Any]:
    """All figures of ``report`` (a dict as ``report.json`` holds it)."""
    return {"speedup": speedup(report["kernel"]), "flare": flare_starts(report["flare"]),
            "flow": flow_metrics(report["flow"]), "timeline": timeline(report["nodes"])}
