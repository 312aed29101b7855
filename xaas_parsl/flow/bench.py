"""Experiments: a benchmark run R times in one of SeBS-Flow's invocation modes, measured.

Modes (how repetitions meet workers):

* ``cold``: fresh workers for every repetition (a new Parsl DFK, so new worker processes; every
  function's first call in them is cold, as after a serverless platform scaled to zero);
* ``warm``: one warm-up run whose records are kept apart (``warmup.csv``), then the repetitions
  one after another on the same workers;
* ``sequential``: the repetitions one after another on the same workers, no warm-up;
* ``burst``: all repetitions launched at once on the same workers.

``concurrency`` is the number of worker processes (the site's ``workers_per_node``): at most that
many function calls run at once, as a provider's concurrency limit caps containers.

Output directory: ``calls.csv`` (one row per call attempt, SeBS-Flow's columns first; every row
is appended and flushed the moment its call ends, so a run that fails or a process that dies
halfway keeps the rows of every call that finished), ``runs.json`` (per repetition: request id,
outcome, output check; rewritten atomically after each repetition), ``experiment.json`` (what
ran, with the definition and its memory setting, for ``metrics``) and ``definition.json``.
"""

from __future__ import annotations

import asyncio
import csv
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from xaas_parsl.errors import InputError, ToolError
from xaas_parsl.fileio import load_json, output_dir, write_json
from xaas_parsl.flow.benchmarks import Benchmark, Outcome, get
from xaas_parsl.flow.engine import Engine, RunResult, WorkflowFailed
from xaas_parsl.flow.functions import Source, check_functions
from xaas_parsl.flow.invokers import LocalInvoker, ParslInvoker
from xaas_parsl.flow.load import load_sebs_config, load_workflow
from xaas_parsl.flow.model import Workflow
from xaas_parsl.flow.runner import DEFAULT_TIMEOUT_S
from xaas_parsl.flow.storage import ObjectStore, storage_spec, store_from_spec
from xaas_parsl.flow.worker import COLUMNS

Mode = Literal["cold", "warm", "burst", "sequential"]
MODES: tuple[Mode, ...] = ("cold", "warm", "burst", "sequential")


@dataclass(frozen=True)
class Experiment:
    """What to run; ``executor`` ``None`` runs calls on threads of this process (no Parsl)."""

    benchmark: Benchmark
    out: Path
    size: str = "test"
    mode: Mode = "warm"
    reps: int = 3
    concurrency: int | None = None
    site: str = "local"
    executor: str | None = "compute"
    timeout_s: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"unknown mode {self.mode!r} (one of {', '.join(MODES)})")
        if self.reps < 1:
            raise InputError(f"--reps must be at least 1, got {self.reps}")
        if self.concurrency is not None and self.concurrency < 1:
            raise InputError(f"--concurrency must be at least 1, got {self.concurrency}")
        if self.mode == "cold" and self.executor in (None, "login"):
            raise InputError("mode cold needs worker processes (--executor compute): calls on "
                             "threads of this process can never be cold again")


@dataclass
class RunRecord:
    """One repetition as ``runs.json`` keeps it."""

    rep: int
    request_id: str
    start: float
    end: float
    ok: bool
    failed_state: list[str] | None
    error: str | None
    problems: list[str]
    warmup: bool = False


@dataclass
class ExperimentResult:
    out: Path
    runs: list[RunRecord] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return all(not r.problems for r in self.runs)


class CsvLog:
    """Measurement records appended to a CSV file, flushed after every record."""

    def __init__(self, path: Path) -> None:
        fresh = not path.exists() or path.stat().st_size == 0
        self._handle: IO[str] = path.open("a", newline="", encoding="utf-8")
        self._writer = csv.DictWriter(self._handle, fieldnames=list(COLUMNS),
                                      extrasaction="ignore", lineterminator="\n")
        if fresh:
            self._writer.writeheader()
            self._handle.flush()
        self.by_run: dict[str, list[dict[str, Any]]] = {}

    def add_many(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            self._writer.writerow({c: "" if record.get(c) is None else record[c]
                                   for c in COLUMNS})
            self._handle.flush()  # to the OS: survives this process dying (no fsync: it
            # would cost milliseconds on the driver's loop, i.e. in the measured transitions)
            self.by_run.setdefault(str(record["request_id"]), []).append(record)

    def close(self) -> None:
        self._handle.close()


@contextmanager
def _workers(exp: Experiment) -> Iterator[Any]:
    """A loaded Parsl DFK for the experiment's executor (None without Parsl)."""
    if exp.executor is None:
        yield None
        return
    from xaas_parsl.flow.runner import parsl_config
    from xaas_parsl.sites.session import loaded

    extra: dict[str, Any] = {"run_dir": exp.out / "runinfo"}
    if exp.concurrency is not None:
        extra["workers_per_node"] = exp.concurrency
    with loaded(parsl_config(exp.site, exp.executor, **extra)) as dfk:
        yield dfk


class _Runner:
    """Runs repetitions of one experiment and keeps their records and outcomes."""

    def __init__(self, exp: Experiment, workflow: Workflow, payload: Any,
                 store: ObjectStore, storage: dict[str, Any]) -> None:
        self.exp = exp
        self.workflow = workflow
        self.payload = payload
        self.store = store
        self.storage = storage
        self.sources: tuple[Source, ...] = (("package", exp.benchmark.package),)
        self.result = ExperimentResult(exp.out)
        self.calls = CsvLog(exp.out / "calls.csv")
        self.dfk: Any = None

    def _engine(self, sink: Callable[[list[dict[str, Any]]], None]) -> Engine:
        invoker: LocalInvoker | ParslInvoker
        if self.exp.executor is None:
            invoker = LocalInvoker(self.sources, self.storage)
        else:
            invoker = ParslInvoker(self.sources, self.storage, self.exp.executor)
        timeout = self.exp.timeout_s or load_sebs_config(self.exp.benchmark.definition).get(
            "timeout", DEFAULT_TIMEOUT_S)
        return Engine(invoker, sink=sink, default_timeout_s=float(timeout), flush_s=0)

    async def _one(self, engine: Engine, rep: int, log: CsvLog, warmup: bool) -> RunRecord:
        import uuid

        request_id = uuid.uuid4().hex
        start = time.time()
        outcome = Outcome()
        try:
            done: RunResult = await engine.run(self.workflow, self.payload, request_id)
            outcome.payload = done.payload
        except WorkflowFailed as exc:
            outcome.failed_state, outcome.error = exc.state_path, str(exc)
        end = time.time()
        outcome.records = log.by_run.get(request_id, [])
        problems = self.exp.benchmark.check(self.exp.size, self.payload, outcome, self.store)
        run = RunRecord(rep, request_id, start, end, outcome.ok,
                        list(outcome.failed_state) if outcome.failed_state else None,
                        outcome.error, problems, warmup)
        self.result.runs.append(run)
        self._save()
        self._check_executor()
        return run

    def _check_executor(self) -> None:
        """Stop at the first repetition after Parsl marked the executor bad (its worker pool
        died): every later call would fail at once (``xaas_parsl.sites.pools``)."""
        from xaas_parsl.sites.pools import executor_failure

        failure = None if self.dfk is None else executor_failure(self.dfk)
        if failure is not None:
            ran = sum(not r.warmup for r in self.result.runs)
            raise ToolError(f"{failure}; stopped after {ran} of {self.exp.reps} "
                            "repetitions", self.exp.out / "runs.json")

    def _save(self) -> None:
        write_json(self.exp.out / "runs.json", [asdict(r) for r in self.result.runs])

    def run(self, progress: Callable[[], None]) -> ExperimentResult:
        exp = self.exp
        try:
            if exp.mode == "cold":
                for rep in range(exp.reps):
                    with _workers(exp) as self.dfk:
                        asyncio.run(self._one(self._engine(self.calls.add_many), rep,
                                              self.calls, False))
                    progress()
                return self.result
            with _workers(exp) as self.dfk:
                engine = self._engine(self.calls.add_many)
                if exp.mode == "warm":
                    warm = CsvLog(exp.out / "warmup.csv")
                    try:
                        asyncio.run(self._one(self._engine(warm.add_many), -1, warm, True))
                    finally:
                        warm.close()
                if exp.mode == "burst":
                    asyncio.run(self._burst(engine, progress))
                else:
                    for rep in range(exp.reps):
                        asyncio.run(self._one(engine, rep, self.calls, False))
                        progress()
        finally:
            self.calls.close()
        return self.result

    async def _burst(self, engine: Engine, progress: Callable[[], None]) -> None:
        async def one(rep: int) -> None:
            await self._one(engine, rep, self.calls, False)
            progress()

        await asyncio.gather(*(one(rep) for rep in range(self.exp.reps)))


def prepare(exp: Experiment) -> tuple[Workflow, Any, ObjectStore, dict[str, Any]]:
    """Check the definition and functions, write the experiment files, generate the input."""
    bench = exp.benchmark
    workflow = load_workflow(bench.definition)
    check_functions(workflow.func_names(), (("package", bench.package),), bench.definition)
    output_dir(exp.out)
    for stale in ("calls.csv", "warmup.csv", "runs.json", "metrics.json"):
        (exp.out / stale).unlink(missing_ok=True)
    shutil.copyfile(bench.definition, exp.out / "definition.json")
    config = load_json(bench.config) if bench.config.is_file() else {}
    storage = storage_spec(exp.out / "storage")
    store = store_from_spec(storage)
    payload = bench.generate(exp.size, store)
    write_json(exp.out / "input.json", payload)
    write_json(exp.out / "experiment.json", {
        "benchmark": bench.name, "size": exp.size, "mode": exp.mode, "reps": exp.reps,
        "concurrency": exp.concurrency, "site": exp.site, "executor": exp.executor,
        "memory_mb": config.get("memory", 256), "timeout_s": config.get("timeout"),
        "definition": "definition.json", "started": time.time()})
    return workflow, payload, store, storage


def run_experiment(exp: Experiment,
                   progress: Callable[[], None] = lambda: None) -> ExperimentResult:
    """Run ``exp`` and verify every repetition's output; results in ``exp.out``."""
    workflow, payload, store, storage = prepare(exp)
    return _Runner(exp, workflow, payload, store, storage).run(progress)


def experiment(name: str, out: str | Path, **options: Any) -> Experiment:
    """An ``Experiment`` for the benchmark called ``name`` (id, number or short name)."""
    return Experiment(get(name), Path(out), **options)
