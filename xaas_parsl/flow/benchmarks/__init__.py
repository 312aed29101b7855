"""The nine SeBS-Flow benchmarks: our functions, seeded input generators and output checks.

Each benchmark is a subpackage laid out as SeBS lays out a benchmark: one module per function
(``<func_name>.py`` defining ``handler(payload)``), found by the runner through the entry-point
group ``xaas_parsl.flow_functions`` under the benchmark's id (``620.func-invo``), plus a private
``_suite`` module with

* ``SIZES``: the parameters of the sizes ``test``, ``small`` and ``large``;
* ``generate(size, store, prefix)``: writes the input data into the object store (under
  ``prefix`` in the benchmark bucket) and returns the input payload; seeded, nothing downloaded;
* ``check(size, payload, outcome, store)``: the problems found in a run's outcome (empty: ok),
  recomputed independently of the functions where the output allows it.

The definitions are SeBS's own files, shipped in ``definitions/`` (BSD-3-Clause, see there).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from xaas_parsl.errors import InputError
from xaas_parsl.flow.storage import ObjectStore

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
BUCKET = "sebs-flow"  # the benchmark bucket every generated input names
SIZES = ("test", "small", "large")

# id → subpackage of this package
PACKAGES = {
    "620.func-invo": "func_invo",
    "630.parallel-sleep": "parallel_sleep",
    "631.parallel-download": "parallel_download",
    "640.selfish-detour": "selfish_detour",
    "650.vid": "vid",
    "660.map-reduce": "map_reduce",
    "6200.trip-booking": "trip_booking",
    "6100.1000-genome": "genome",
    "690.ml": "ml",
}


@dataclass
class Outcome:
    """How one run ended: the final payload, or the state path of an unhandled failure."""

    payload: Any = None
    failed_state: tuple[str, ...] | None = None
    error: str | None = None
    records: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed_state is None

    def funcs(self) -> list[str]:
        """Functions called, in start order."""
        return [str(r["func"]) for r in sorted(self.records, key=lambda r: r["start"])]


@dataclass(frozen=True)
class Benchmark:
    """One benchmark: its id, the function package and where ``<id>.json`` is."""

    name: str
    package: str
    definitions: Path = DEFINITIONS

    @property
    def definition(self) -> Path:
        return self.definitions / f"{self.name}.json"

    @property
    def config(self) -> Path:
        return self.definitions / f"{self.name}.config.json"

    def _suite(self) -> Any:
        return importlib.import_module(f"{self.package}._suite")

    def sizes(self) -> Mapping[str, Mapping[str, Any]]:
        return cast(Mapping[str, Mapping[str, Any]], self._suite().SIZES)

    def generate(self, size: str, store: ObjectStore, prefix: str | None = None) -> Any:
        """Write the input data for ``size`` and return the input payload."""
        if size not in SIZES:
            raise InputError(f"unknown size {size!r} (one of {', '.join(SIZES)})")
        generate: Callable[[str, ObjectStore, str], Any] = self._suite().generate
        return generate(size, store, prefix or f"{self.name}/{size}")

    def check(self, size: str, payload: Any, outcome: Outcome, store: ObjectStore) -> list[str]:
        """Problems with a run's outcome for the input ``payload`` of ``size``; [] when right."""
        check: Callable[[str, Any, Outcome, ObjectStore], list[str]] = self._suite().check
        return check(size, payload, outcome, store)


BENCHMARKS = {name: Benchmark(name, f"{__name__}.{sub}") for name, sub in PACKAGES.items()}


def get(name: str) -> Benchmark:
    """A benchmark by id (``620.func-invo``), number (``620``) or short name (``func-invo``)."""
    if name in BENCHMARKS:
        return BENCHMARKS[name]
    for full, bench in BENCHMARKS.items():
        number, _, short = full.partition(".")
        if name in (number, short):
            return bench
    raise InputError(f"unknown benchmark {name!r} (one of {', '.join(BENCHMARKS)})")
