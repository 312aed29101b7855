"""Sizes, input and check of 690.ml ((classifiers, samples, features) as SeBS's ``input.py``).

The data set is seeded; the forests and AdaBoost get no ``random_state`` (as upstream), so the
check asks for a score range: at least the share of the majority class minus 0.1 (the labels
are ~90/10 with 10 % flipped, so a classifier that learnt nothing still scores ~0.85).
"""

from __future__ import annotations

from typing import Any

from xaas_parsl.flow.benchmarks import BUCKET, Outcome
from xaas_parsl.flow.storage import ObjectStore

CLASSIFIERS: list[dict[str, Any]] = [
    {"name": "SVC", "kernel": "linear", "C": 0.025},
    {"name": "RandomForestClassifier", "max_depth": 5, "n_estimators": 10},
    {"name": "RandomForestClassifier", "max_depth": 5, "n_estimators": 15},
    {"name": "AdaBoostClassifier"},
]
SIZES: dict[str, dict[str, Any]] = {"test": {"classifiers": 1, "n_samples": 100, "n_features": 5},
                                    "small": {"classifiers": 2, "n_samples": 500,
                                              "n_features": 1024},
                                    "large": {"classifiers": 3, "n_samples": 1000,
                                              "n_features": 1024}}


def generate(size: str, store: ObjectStore, prefix: str) -> dict[str, Any]:
    params = SIZES[size]
    return {"classifiers": CLASSIFIERS[:params["classifiers"]], "benchmark_bucket": BUCKET,
            "dataset_bucket": f"{prefix}/output", "n_samples": params["n_samples"],
            "n_features": params["n_features"]}


def check(size: str, payload: dict[str, Any], outcome: Outcome, store: ObjectStore) -> list[str]:
    if not outcome.ok:
        return [f"run failed: {outcome.error}"]
    got = outcome.payload.get("schedules") if isinstance(outcome.payload, dict) else None
    names = [c["name"] for c in payload["classifiers"]]
    if not isinstance(got, list) or [g.get("name") for g in got] != names:
        return [f"expected one score per classifier {names}, got {got!r}"]
    return [f"{g['name']}: accuracy {g['score']:.3f} outside [0.75, 1]" for g in got
            if not 0.75 <= g["score"] <= 1.0]
