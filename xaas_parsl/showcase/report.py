"""``report.json``, its plots and ``summary.md`` from the step files of one showcase run.

The report keeps each node's raw output (minus nothing) and adds ``figures``, computed from
that raw data by ``figures.figures``; the plots and the Markdown are drawn from the same
figures. Both doors end in ``write_report``, so their reports have the same shape.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from xaas_parsl import __version__
from xaas_parsl.fileio import load_json, write_atomic, write_json
from xaas_parsl.showcase.config import ShowcaseConfig
from xaas_parsl.showcase.figures import figures

STEPS = ("discover", "choose", "deploy", "measure", "flare", "flow")
PLOTS = ("speedup.png", "flare_cdf.png", "timeline.png", "flow_timeline.png")


def assemble(step_files: dict[str, str | Path], cfg: ShowcaseConfig, door: str
             ) -> dict[str, Any]:
    """The report dict (raw sections + figures) from the steps' JSON files."""
    raw = {name: load_json(Path(step_files[name])) for name in STEPS}
    nodes = {name: raw[name].pop("node") for name in STEPS}
    for record in raw.values():
        record.pop("step", None)
    report: dict[str, Any] = {
        "showcase": {"xaas_parsl_version": __version__, "door": door, "site": cfg.site,
                     "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                     "config": cfg.to_dict()},
        "system": raw["discover"]["system"],
        "configuration": raw["choose"],
        "deployment": raw["deploy"],
        "kernel": raw["measure"],
        "flare": raw["flare"],
        "flow": raw["flow"],
        "nodes": nodes,
    }
    report["figures"] = figures(report)
    report["plots"] = list(PLOTS)
    return report


def _plots(report: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from xaas_parsl.burst.timing import plot_cdf
    from xaas_parsl.flow import plots as flow_plots

    fig = report["figures"]
    times = report["kernel"]["kernel_seconds"]
    conf = report["kernel"]["configurations"]
    figure, axes = plt.subplots(figsize=(6, 3.5))
    labels = [f"portable\n{conf['portable']}", f"chosen\n{conf['chosen']}"]
    axes.boxplot([times["portable"], times["chosen"]], tick_labels=labels)
    axes.set_ylabel(f"kernel time (s), n={report['kernel']['n']}, "
                    f"{report['kernel']['steps']} steps, 1 thread")
    axes.set_title(f"{report['configuration']['app']['name']}: speedup "
                   f"{fig['speedup']['speedup']:.2f}x over the portable build")
    figure.tight_layout()
    figure.savefig(out / "speedup.png", dpi=110)
    plt.close(figure)
    flare = report["flare"]
    plot_cdf({f"N={flare['size']}, {flare['packs']} packs": fig["flare"]["relative_starts_s"]},
             out / "flare_cdf.png", f"Flare start times ({flare['where']})")
    spans = fig["timeline"]["nodes"]
    figure, axes = plt.subplots(figsize=(7, 3))
    for row, span in enumerate(spans.values()):
        axes.barh(row, span["seconds"], left=span["start_s"], color=f"C{row % 10}")
    axes.set_yticks(range(len(spans)), list(spans))
    axes.invert_yaxis()
    axes.set_xlabel("seconds since the first node started")
    axes.set_title(f"showcase DAG ({report['showcase']['door']}), makespan "
                   f"{fig['timeline']['makespan_s']:.1f} s")
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    figure.savefig(out / "timeline.png", dpi=110)
    plt.close(figure)
    flow = report["flow"]
    median = fig["flow"]["median_run"]
    flow_plots.timeline([c for c in flow["calls"] if c["request_id"] == median],
                        out / "flow_timeline.png",
                        f"{flow['benchmark']} {flow['size']} {flow['mode']}: median run "
                        f"{fig['flow']['runtime_median_s'] * 1e3:.1f} ms")


def summary_markdown(report: dict[str, Any]) -> str:
    """The short page a user reads: what was chosen and why, and the figures."""
    fig = report["figures"]
    conf = report["configuration"]
    dep = report["deployment"]
    chosen = dep["deployments"]["chosen"]
    where = chosen.get("image") or chosen["prefix"]
    cost = fig["flow"]["cost_per_1000_runs_usd"] or {}
    lines = [
        f"# XaaS showcase on `{report['showcase']['site']}` ({report['showcase']['door']})", "",
        f"## Chosen configuration: `{conf['configuration']}`", "",
        f"{conf['app']['name']} {conf['app']['version']}, CMake arguments "
        f"`{' '.join(conf['cmake_args'])}`. Why:", "",
        *[f"- {reason}" for reason in conf["choice"]["reasons"]], "",
        f"## Deployment: {dep['mode']}", "",
        f"{dep['why'][:1].upper()}{dep['why'][1:]}. Chosen build: `{where}`; the app's own "
        f"test {'passed' if dep['tests']['passed'] else 'FAILED'}"
        + (" inside the deployed image. The timings and the flare ran the install trees copied "
           "out of the deployed images, on the host." if dep["mode"] == "container" else "."),
        "",
        "## Speedup over the portable build", "",
        f"**{fig['speedup']['speedup']:.2f}x**: median kernel time "
        f"{fig['speedup']['portable_median_s'] * 1e3:.2f} ms (portable "
        f"`{conf['portable']}`) vs {fig['speedup']['chosen_median_s'] * 1e3:.2f} ms (chosen), "
        f"{fig['speedup']['rounds']} interleaved rounds, one thread, grid "
        f"{report['kernel']['n']}², {report['kernel']['steps']} steps (`speedup.png`).", "",
        "## Flare", "",
        f"{fig['flare']['size']} workers ({report['flare']['packs']} packs, "
        f"{report['flare']['where']}) each solved a {report['flare']['n']}² heat2d problem: "
        f"all started {fig['flare']['time_to_all_started_s']:.3f} s after launch, spread "
        f"{fig['flare']['start_spread_s']:.3f} s, results after "
        f"{fig['flare']['run_time_s']:.3f} s (`flare_cdf.png`).", "",
        f"## SeBS-Flow: {report['flow']['benchmark']} ({report['flow']['size']}, "
        f"{report['flow']['mode']}, {fig['flow']['runs']} runs)", "",
        f"Median runtime {fig['flow']['runtime_median_s'] * 1e3:.1f} ms, critical path "
        f"{fig['flow']['critical_path_median_s'] * 1e3:.1f} ms; estimated cost per 1000 runs: "
        + ", ".join(f"{p} ${v:.4f}" for p, v in cost.items()) + " (`flow_timeline.png`).", "",
        "## Workflow timeline", "",
        f"Makespan {fig['timeline']['makespan_s']:.1f} s (`timeline.png`): " + ", ".join(
            f"{n} {s['seconds']:.1f} s" for n, s in fig["timeline"]["nodes"].items()) + ".", "",
        "Every figure above is recomputed from the raw data in `report.json` "
        "(`xaas_parsl.showcase.figures`).", "",
    ]
    return "\n".join(lines)


def write_report(step_files: dict[str, str | Path], cfg: ShowcaseConfig, out_dir: str | Path,
                 door: str) -> dict[str, Any]:
    """Write plots, ``summary.md`` and (last, atomically) ``report.json`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = assemble(step_files, cfg, door)
    _plots(report, out)
    write_atomic(out / "summary.md", summary_markdown(report))
    write_json(out / "report.json", report)
    return report
