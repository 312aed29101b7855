"""Derived figures of recorded runs (docs/flow-benchmarks.md §3), from ``calls.csv`` and the
definition.

Per run (one ``request_id``):

* runtime = max(end) − min(start);
* stages and critical path: :func:`xaas_parsl.flow.measure.stages`, the one definition that
  ``xaas flow run`` uses too (a task's attempts add up, a map or parallel counts its longest
  call, every call of a repeat or loop is a stage of its own); critical path = Σ stage times;
* overhead = runtime − critical path; per stage also its *transition* (stage's first start −
  previous stage's last end) and *internal overhead* (stage span − stage time);
* longest path through the executed DAG (networkx): one node per call, an edge A → B when the
  definition lets B's state directly follow A's (``next``/``failure``/switch targets, into a
  map/parallel body's roots, out of its terminal states, a repeat/loop to itself) and A ended
  before B started; the path maximising the sum of call durations. It sees chains inside
  parallel branches and map bodies that the stage rule reduces to one call;
* transition latency (``measure.transition_latencies``), cold share, distinct containers;
* cost under SeBS-Flow's price models (docs/flow-benchmarks.md §3), with the units each platform
  bills (``PRICES``): compute = Σ over calls of the billed duration (AWS Lambda rounds up to 1 ms,
  GCP Cloud Functions to 100 ms) x memory in GB; one request per call attempt; and the orchestration
  count of the definition as each platform runs it (``orchestration``).
"""

from __future__ import annotations

import csv
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx  # type: ignore[import-untyped, unused-ignore]

from xaas_parsl.errors import InputError
from xaas_parsl.flow.measure import duration, stages, transition_latencies
from xaas_parsl.flow.model import Loop, Map, Parallel, Repeat, Scope, State, Switch, Task, Workflow

PRICES: dict[str, dict[str, float]] = {
    # $ per GB-second, per request, per state transition (AWS) / executed step (GCP)
    "aws": {"gb_s": 0.0000166667, "request": 0.20 / 1e6, "orchestration": 0.000025,
            "billing_unit_s": 0.001},
    "gcp": {"gb_s": 0.0000025, "request": 0.40 / 1e6, "orchestration": 0.00001,
            "billing_unit_s": 0.1},
}
EPSILON = 1e-6  # clock slack when deciding "A ended before B started"

Record = dict[str, Any]


def _flag(text: str) -> bool | None:
    return None if text == "" else text.strip().lower() in ("true", "1", "yes")


def read_calls(path: str | Path) -> list[Record]:
    """Records of a ``calls.csv`` with their types restored."""
    where = Path(path)
    try:
        with where.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except FileNotFoundError:
        raise InputError("no such file", where) from None
    out = []
    for number, row in enumerate(rows, start=2):
        try:
            out.append({**row, "start": float(row["start"]), "end": float(row["end"]),
                        "is_cold": _flag(row.get("is_cold", "")),
                        "ok": _flag(row.get("ok", "")) is not False,
                        "attempt": int(row.get("attempt") or 1),
                        "blob.upload": int(row.get("blob.upload") or 0),
                        "blob.download": int(row.get("blob.download") or 0),
                        "state": row.get("state") or row["func"]})
        except (KeyError, ValueError) as exc:
            raise InputError(f"line {number}: bad measurement record ({exc})", where) from None
    return out


# ---- the definition as a graph of call states -------------------------------------------------

@dataclass
class CallGraph:
    """State paths that make calls, which may directly follow which, and the container states."""

    graph: nx.DiGraph
    containers: dict[str, tuple[State, bool, frozenset[str]]]  # path → (state, in a map, entries)
    map_entries: dict[str, frozenset[str]]  # map path → entry call paths of its body


def _path(where: tuple[str, ...], name: str) -> str:
    return "/".join((*where, name))


def call_graph(workflow: Workflow) -> CallGraph:
    """The definition flattened to call-state paths as the engine names them in records."""
    graph = nx.DiGraph()
    out = CallGraph(graph, {}, {})

    def scope_ends(scope: Scope, where: tuple[str, ...],
                   in_map: bool) -> tuple[frozenset[str], frozenset[str]]:
        memo: dict[str, tuple[frozenset[str], frozenset[str]]] = {}

        def ends(name: str, seen: frozenset[str] = frozenset()) -> \
                tuple[frozenset[str], frozenset[str]]:
            if name not in memo:
                memo[name] = state_ends(scope[name], where, in_map, seen | {name})
            return memo[name]

        def targets(state: State) -> list[str]:
            if isinstance(state, Switch):
                return [c.next for c in state.cases] + [state.default]
            found = [state.next] if state.next is not None else []
            if isinstance(state, Task) and state.failure is not None:
                found.append(state.failure)
            return found

        def entries(name: str, seen: frozenset[str]) -> frozenset[str]:
            state = scope[name]
            if isinstance(state, Switch):  # no calls of its own: its targets' entries
                return frozenset().union(*(entries(t, seen | {name}) for t in targets(state)
                                           if t not in seen))
            return ends(name)[0]

        for name, state in scope.states.items():
            if isinstance(state, Switch):
                continue
            for target in targets(state):
                for a in ends(name)[1]:
                    for b in entries(target, frozenset({name})):
                        graph.add_edge(a, b)
            if isinstance(state, Switch | Map | Parallel | Loop):
                out.containers[_path(where, name)] = (state, in_map, ends(name)[0])
        for name, state in scope.states.items():
            if isinstance(state, Switch):
                out.containers[_path(where, name)] = (state, in_map,
                                                      entries(name, frozenset()))
        terminal = [n for n, s in scope.states.items()
                    if not isinstance(s, Switch) and s.next is None]
        return entries(scope.root, frozenset()), \
            frozenset().union(*(ends(n)[1] for n in terminal))

    def state_ends(state: State, where: tuple[str, ...], in_map: bool,
                   seen: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
        here = _path(where, state.name)
        if isinstance(state, Task | Repeat | Loop):
            graph.add_node(here)
            if isinstance(state, Repeat | Loop):
                graph.add_edge(here, here)
            return frozenset({here}), frozenset({here})
        inner = (*where, state.name)
        if isinstance(state, Map):
            first, last = scope_ends(state.body, inner, True)
            out.map_entries[here] = first
            return first, last
        if isinstance(state, Parallel):
            pairs = [scope_ends(branch, inner, in_map) for branch in state.branches]
            return frozenset().union(*(p[0] for p in pairs)), \
                frozenset().union(*(p[1] for p in pairs))
        return frozenset(), frozenset()

    scope_ends(workflow.scope, (), False)
    return out


# ---- per-run figures ---------------------------------------------------------------------------

def longest_path(graph: CallGraph, records: Sequence[Record]) -> dict[str, Any]:
    """The heaviest path (Σ call durations) through the executed DAG of one run."""
    dag = nx.DiGraph()
    calls = sorted(records, key=lambda r: r["start"])
    dag.add_node("start")
    for i, a in enumerate(calls):
        dag.add_edge("start", i, weight=duration(a))
        for j in range(i + 1, len(calls)):
            b = calls[j]
            if graph.graph.has_edge(a["state"], b["state"]) and a["end"] <= b["start"] + EPSILON:
                dag.add_edge(i, j, weight=duration(b))
    nodes = [n for n in nx.dag_longest_path(dag, weight="weight") if n != "start"]
    path = [calls[int(n)] for n in nodes]
    return {"length_s": sum(map(duration, path)),
            "span_s": (path[-1]["end"] - path[0]["start"]) if path else 0.0,
            "states": [str(c["state"]) for c in path]}


def orchestration(graph: CallGraph, records: Sequence[Record]) -> dict[str, int]:
    """State transitions (AWS Step Functions) and executed steps (GCP Cloud Workflows).

    Counted from the definition as SeBS translates it and the calls the run made:
    AWS: 1 per call attempt (a task, every chained call of a repeat, every iteration of a loop;
    retries count) + 1 per execution of a map, parallel, loop or switch state.
    GCP: 2 per call attempt (SeBS emits ``call`` + ``assign`` per task) + 1 per execution of a
    map, parallel, loop or switch + 1 return per map item (each item is a child workflow) + 1
    final return. A container is executed once per run at the top level or in a parallel, and
    once per call at its entry states inside a map body.
    """
    attempts = len(records)
    first = [r for r in records if int(r.get("attempt", 1)) == 1]
    executions = 0
    for path, (_state, in_map, entries) in graph.containers.items():
        if in_map:
            executions += sum(1 for r in first if r["state"] in entries)
        elif any(str(r["state"]).startswith(path + "/") or r["state"] == path
                 or r["state"] in entries for r in records):
            executions += 1
    items = sum(1 for entries in graph.map_entries.values() for r in first
                if r["state"] in entries)
    return {"aws_transitions": attempts + executions,
            "gcp_steps": 2 * attempts + executions + items + 1}


def cost(records: Sequence[Record], counts: dict[str, int], memory_mb: float) -> dict[str, float]:
    """$ for one run per provider."""
    out = {}
    for provider, price in PRICES.items():
        unit = price["billing_unit_s"]
        billed = sum(math.ceil(round(duration(r) / unit, 9)) * unit for r in records)
        orchestration_count = counts["aws_transitions" if provider == "aws" else "gcp_steps"]
        out[provider] = (billed * memory_mb / 1024 * price["gb_s"] +
                         len(records) * price["request"] +
                         orchestration_count * price["orchestration"])
    return out


def run_metrics(workflow: Workflow, graph: CallGraph, records: Sequence[Record],
                memory_mb: float) -> dict[str, Any]:
    """Every figure of one run."""
    runtime = max(r["end"] for r in records) - min(r["start"] for r in records)
    staged = stages(workflow, records)
    critical = sum(s["time_s"] for s in staged)
    transitions = transition_latencies(records)
    counts = orchestration(graph, records)
    return {
        "request_id": records[0]["request_id"], "calls": len(records),
        "failed_calls": sum(1 for r in records if not r.get("ok", True)),
        "runtime_s": runtime, "critical_path_s": critical, "overhead_s": runtime - critical,
        "longest_path": longest_path(graph, records),
        "transition_median_s": statistics.median(transitions) if transitions else None,
        "transition_mean_s": statistics.fmean(transitions) if transitions else None,
        "cold_share": sum(1 for r in records if r.get("is_cold")) / len(records),
        "containers": len({r["container_id"] for r in records if r.get("container_id")}),
        **counts, "cost_usd": cost(records, counts, memory_mb), "stages": staged,
    }


def _summary(values: Iterable[float | None]) -> dict[str, float] | None:
    numbers = [v for v in values if v is not None]
    if not numbers:
        return None
    return {"median": statistics.median(numbers), "mean": statistics.fmean(numbers),
            "min": min(numbers), "max": max(numbers)}


def experiment_metrics(workflow: Workflow, records: Sequence[Record],
                       memory_mb: float) -> dict[str, Any]:
    """Per-run figures and their summary over runs; cost per 1000 runs from the mean run."""
    graph = call_graph(workflow)
    by_run: dict[str, list[Record]] = {}
    for r in records:
        by_run.setdefault(str(r["request_id"]), []).append(r)
    runs = [run_metrics(workflow, graph, calls, memory_mb) for calls in
            sorted(by_run.values(), key=lambda c: min(r["start"] for r in c))]
    keys = ("runtime_s", "critical_path_s", "overhead_s", "transition_median_s", "cold_share",
            "aws_transitions", "gcp_steps")
    summary: dict[str, Any] = {k: _summary(run[k] for run in runs) for k in keys}
    summary["longest_path_s"] = _summary(run["longest_path"]["length_s"] for run in runs)
    summary["runs"] = len(runs)
    summary["calls"] = len(records)
    summary["cold_share_all"] = (sum(1 for r in records if r.get("is_cold")) / len(records)
                                 if records else None)
    summary["containers"] = len({r["container_id"] for r in records if r.get("container_id")})
    summary["cost_per_1000_runs_usd"] = {
        p: 1000 * statistics.fmean(run["cost_usd"][p] for run in runs) for p in PRICES} \
        if runs else None
    summary["memory_mb"] = memory_mb
    return {"summary": summary, "runs": runs}


def analyse(directory: str | Path, *, plots: bool = True) -> dict[str, Any]:
    """``metrics.json`` (+ ``timeline.png`` of the median run, ``overhead.png``) for a result
    directory of ``xaas flow bench`` (``calls.csv``, ``definition.json``, ``experiment.json``).

    Warm-up runs are in ``warmup.csv`` and not counted.
    """
    from xaas_parsl.fileio import load_json, write_json
    from xaas_parsl.flow.load import load_workflow

    where = Path(directory)
    if not where.is_dir():
        raise InputError("not a result directory", where)
    meta_path = where / "experiment.json"
    meta: dict[str, Any] = load_json(meta_path) if meta_path.is_file() else {}
    workflow = load_workflow(where / str(meta.get("definition", "definition.json")))
    records = read_calls(where / "calls.csv")
    if not records:
        raise InputError("no measurement records", where / "calls.csv")
    result = experiment_metrics(workflow, records, float(meta.get("memory_mb", 256)))
    result["experiment"] = meta
    runs_path = where / "runs.json"
    if runs_path.is_file():  # the client's view: from submitting the run to its result
        client = {r["request_id"]: r["end"] - r["start"] for r in load_json(runs_path)}
        for run in result["runs"]:
            run["client_latency_s"] = client.get(run["request_id"])
        result["summary"]["client_latency_s"] = _summary(
            run["client_latency_s"] for run in result["runs"])
    if plots:
        from xaas_parsl.flow import plots as draw

        runs = result["runs"]
        median = sorted(runs, key=lambda r: r["runtime_s"])[(len(runs) - 1) // 2]
        label = f"{meta.get('benchmark', workflow.source)} {meta.get('size', '')} " \
            f"{meta.get('mode', '')}".strip()
        draw.timeline([r for r in records if r["request_id"] == median["request_id"]],
                      where / "timeline.png",
                      f"{label}: run {median['request_id'][:8]} (median runtime "
                      f"{median['runtime_s'] * 1e3:.1f} ms)")
        draw.overhead_breakdown(runs, where / "overhead.png", f"{label}: time per stage")
        result["plots"] = ["timeline.png", "overhead.png"]
    write_json(where / "metrics.json", result)
    return result


def suite_summary(metrics_files: Iterable[str | Path]) -> list[dict[str, Any]]:
    """One row per experiment (``metrics.json`` of each): medians and cost per 1000 runs."""
    from xaas_parsl.fileio import load_json

    rows = []
    for path in metrics_files:
        data = load_json(Path(path))
        s, meta = data["summary"], data.get("experiment", {})
        rows.append({
            "benchmark": meta.get("benchmark"), "size": meta.get("size"),
            "mode": meta.get("mode"), "runs": s["runs"],
            **{k: (s[k] or {}).get("median") for k in
               ("runtime_s", "critical_path_s", "longest_path_s", "overhead_s",
                "transition_median_s")},
            "cold_share": s["cold_share_all"], "containers": s["containers"],
            "cost_per_1000_runs_usd": s["cost_per_1000_runs_usd"]})
    return rows
