"""Static specialization discovery on real CMake projects must match our ground truths.

Slow: fetches real sources (cached under ``~/.cache/xaas-parsl/sources``; first run downloads ~200
MB from Debian and PyPI). Thresholds: GROMACS 2022.5 and llama.cpp ≥ 0.95 (the design target, above
the paper's LLM medians 0.98 / 0.76), the other projects with a ground truth ≥ 0.9. Scored with
``normalize_names=True`` (upstream's scorer also compares entry names case-insensitively).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from xaas_parsl.sources import PROJECTS, FetchError, fetch, ground_truth_path
from xaas_parsl.spec.score import score

pytestmark = pytest.mark.slow

THRESHOLDS = {"gromacs-2022.5": 0.95, "llama.cpp": 0.95}
WITH_GT = [name for name in PROJECTS if PROJECTS[name].ground_truth]
WITHOUT_GT = [name for name in PROJECTS if not PROJECTS[name].ground_truth]


def _discover() -> Callable[[Path], dict[str, Any]]:
    try:
        discover_spec: Callable[[Path], dict[str, Any]] = importlib.import_module(
            "xaas_parsl.spec.discover"
        ).discover_spec
    except (ImportError, AttributeError) as exc:
        pytest.skip(f"xaas_parsl.spec.discover.discover_spec is not importable yet: {exc}")
    return discover_spec


def _root(name: str) -> Path:
    try:
        return fetch(name)
    except FetchError as exc:
        pytest.skip(f"cannot fetch {name}: {exc}")


@pytest.mark.parametrize("name", WITH_GT)
def test_discovered_spec_matches_ground_truth(name: str) -> None:
    discover = _discover()
    gt_path = ground_truth_path(name)
    assert gt_path is not None
    gt = json.loads(gt_path.read_text(encoding="utf-8"))
    result = score(discover(_root(name)), gt, normalize_names=True)
    threshold = THRESHOLDS.get(name, 0.9)
    detail = "\n".join(
        f"  {m.kind:9} {m.path}: predicted {m.predicted!r}, expected {m.expected!r}"
        for m in result.mismatches
    )
    assert result.f1 >= threshold, (
        f"{name}: F1 {result.f1:.3f} < {threshold} (P {result.precision:.3f}, "
        f"R {result.recall:.3f}, TP {result.tp} FP {result.fp} FN {result.fn})\n{detail}"
    )


@pytest.mark.parametrize("name", WITHOUT_GT)
def test_projects_without_ground_truth_still_analyse(name: str) -> None:
    spec = _discover()(_root(name))
    assert spec["build_system"]["type"] in {"cmake", "make", "undetermined"}
