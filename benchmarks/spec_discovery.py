"""Benchmark: static specialization discovery on real CMake projects, scored like the paper.

For every project in ``xaas_parsl/sources.py`` this fetches the source (cached), runs
``xaas_parsl.spec.discover.discover_spec(root)`` five times (median wall time), scores the result
against the project's ground truth with :func:`xaas_parsl.spec.score.score`, prints a table and
writes ``benchmarks/results/spec_discovery.json``. Projects without a ground truth are still run
(they show that the analyser copes with another build system) and reported as "no GT".

Why two F1 columns: the headline F1 matches entry names case- and separator-insensitively
(``normalize_names=True``), which is what upstream's scorer effectively does (it lower-cases
names); "F1 strict" compares names exactly. The upstream LLM medians are printed as baseline rows
so the numbers can be read against the paper (GROMACS 0.98, llama.cpp 0.76).

Run: ``python benchmarks/spec_discovery.py [--projects NAME ...] [--repeat 5] [--plot]``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from xaas_parsl.sources import (
    PROJECTS,
    FetchError,
    fetch_all,
    ground_truth_path,
)
from xaas_parsl.spec.score import flatten, score

Discover = Callable[[Path], dict[str, Any]]
RESULTS = Path(__file__).resolve().parent / "results"
#: Median F1 of the best LLM per application in the XaaS paper's extraction experiment.
BASELINES = {"gromacs-2022.5": ("LLM median (paper, GROMACS 2025)", 0.98),
             "llama.cpp": ("LLM median (paper, llama.cpp)", 0.76)}


def load_discover(console: Console) -> Discover | None:
    """``discover_spec`` if the analyser is importable yet; else None with a clear message."""
    try:  # imported by name: the analyser is written in parallel and may not exist yet
        discover_spec: Discover = importlib.import_module(
            "xaas_parsl.spec.discover"
        ).discover_spec
    except (ImportError, AttributeError) as exc:
        console.print(
            "[yellow]xaas_parsl.spec.discover.discover_spec is not importable yet "
            f"({exc}); projects are fetched and listed but not analysed.[/yellow]"
        )
        return None
    return discover_spec


def _items(spec: dict[str, Any]) -> int:
    """Number of scored, non-null items (the denominator scale of the F1)."""
    return sum(v is not None for v in flatten(spec).values())


def run_project(name: str, root: Path, discover: Discover | None, repeat: int) -> dict[str, Any]:
    """Analyse one project ``repeat`` times and score the last result against its GT."""
    project = PROJECTS[name]
    row: dict[str, Any] = {"project": name, "package": project.package,
                           "version": project.version, "origin": project.origin,
                           "root": str(root), "ground_truth": project.ground_truth}
    gt_path = ground_truth_path(name)
    gt = json.loads(gt_path.read_text(encoding="utf-8")) if gt_path else None
    row["gt_items"] = _items(gt) if gt else None
    if discover is None:
        row["status"] = "analyser missing"
        return row
    times: list[float] = []
    pred: dict[str, Any] = {}
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            pred = discover(root)
            times.append(time.perf_counter() - start)
    except Exception as exc:  # one broken project must not hide the others' numbers
        row["status"] = f"error: {type(exc).__name__}: {exc}"
        return row
    row.update(status="ok" if gt else "no GT", times_s=times,
               time_median_s=statistics.median(times), pred_items=_items(pred))
    if gt is not None:
        loose, strict = score(pred, gt, normalize_names=True), score(pred, gt)
        row.update({k: v for k, v in loose.as_dict().items()}, f1_strict=strict.f1)
    return row


def _fmt(value: Any, spec: str = ".3f") -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict[str, Any]], console: Console) -> None:
    table = Table(title="Specialization discovery vs ground truth (upstream F1)")
    for col in ("project", "entries GT/pred", "precision", "recall", "F1", "F1 strict",
                "time (median)", "status"):
        table.add_column(col, justify="left" if col in {"project", "status"} else "right")
    for row in rows:
        entries = f"{_fmt(row.get('gt_items'), 'd')}/{_fmt(row.get('pred_items'), 'd')}"
        seconds = row.get("time_median_s")
        table.add_row(row["project"], entries, _fmt(row.get("precision")),
                      _fmt(row.get("recall")), _fmt(row.get("f1")), _fmt(row.get("f1_strict")),
                      "-" if seconds is None else f"{seconds * 1000:.1f} ms", row["status"])
    for label, f1 in BASELINES.values():
        table.add_row(f"[dim]{label}[/dim]", "", "", "", f"[dim]{f1:.2f}[/dim]", "", "",
                      "[dim]baseline[/dim]")
    console.print(table)


def plot(rows: list[dict[str, Any]], path: Path, console: Console) -> None:
    """Bar chart of F1 per project, with the paper's LLM medians beside them."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        console.print("[yellow]matplotlib is not installed (pip install matplotlib)[/yellow]")
        return
    scored = [r for r in rows if r.get("f1") is not None]
    labels = [r["project"] for r in scored] + [label for label, _ in BASELINES.values()]
    values = [r["f1"] for r in scored] + [f1 for _, f1 in BASELINES.values()]
    colours = ["tab:blue"] * len(scored) + ["tab:gray"] * len(BASELINES)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(labels)), 4.0))
    ax.bar(range(len(labels)), values, color=colours)
    ax.axhline(0.95, color="tab:red", linestyle="--", linewidth=1, label="target 0.95")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("F1 (upstream metric)")
    ax.set_title("Static specialization discovery vs LLM extraction")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    console.print(f"plot written to {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", nargs="*", default=list(PROJECTS), metavar="NAME",
                        help=f"default: {' '.join(PROJECTS)}")
    parser.add_argument("--repeat", type=int, default=5, help="analyser runs per project")
    parser.add_argument("--plot", action="store_true", help="also write a bar chart PNG")
    parser.add_argument("--output", type=Path, default=RESULTS / "spec_discovery.json")
    args = parser.parse_args(argv)
    console = Console()
    try:
        roots = fetch_all(args.projects, console)
    except FetchError as exc:
        console.print(f"[red]fetch failed:[/red] {exc}")
        return 1
    discover = load_discover(console)
    rows = [run_project(name, root, discover, max(1, args.repeat))
            for name, root in roots.items()]
    print_table(rows, console)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    result = {"generated": datetime.now(UTC).isoformat(timespec="seconds"),
              "metric": "xaas_parsl.spec.score (upstream F1); f1 uses normalize_names=True",
              "repeat": args.repeat, "projects": rows,
              "baselines": {k: {"label": label, "f1": f1} for k, (label, f1) in BASELINES.items()}}
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    console.print(f"results written to {args.output}")
    if args.plot:
        plot(rows, args.output.with_suffix(".png"), console)
    return 0 if discover is not None else 2


if __name__ == "__main__":
    sys.exit(main())
