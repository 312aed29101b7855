"""Trains one classifier: the schedule's remaining keys are its constructor arguments; data
standardised, split 60/40 (``random_state=123``), accuracy on the test split → ``{"name",
"score"}``. Only the three classifier classes upstream uses are accepted."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from xaas_parsl.flow import runtime

DATA_KEYS = {"name", "features", "labels", "bucket", "benchmark_bucket", "request-id"}


def _classifier(name: str) -> Any:
    from sklearn.ensemble import AdaBoostClassifier, RandomForestClassifier
    from sklearn.svm import SVC

    known = {"SVC": SVC, "RandomForestClassifier": RandomForestClassifier,
             "AdaBoostClassifier": AdaBoostClassifier}
    if name not in known:
        raise ValueError(f"unknown classifier {name!r} (one of {', '.join(known)})")
    return known[name]


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    store = runtime.storage()
    bucket = payload["benchmark_bucket"]
    features = np.load(io.BytesIO(store.download_stream(bucket, payload["features"])))
    labels = np.load(io.BytesIO(store.download_stream(bucket, payload["labels"])))
    params = {k: v for k, v in payload.items() if k not in DATA_KEYS}
    model = _classifier(payload["name"])(**params)
    features = StandardScaler().fit_transform(features)
    x_train, x_test, y_train, y_test = train_test_split(features, labels, test_size=0.4,
                                                        random_state=123)
    model.fit(x_train, y_train)
    return {"name": payload["name"], "score": float(model.score(x_test, y_test))}
