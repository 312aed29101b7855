"""Makes the data set (scikit-learn ``make_classification``, ``random_state=123`` as upstream),
uploads features and labels as ``.npy`` → ``{"schedules": [<classifier + data keys>, ...]}``."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from xaas_parsl.flow import runtime


def _npy(array: Any) -> bytes:
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


def handler(payload: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    from sklearn.datasets import make_classification

    features, labels = make_classification(
        int(payload["n_samples"]), int(payload["n_features"]), n_redundant=0,
        n_clusters_per_class=2, weights=[0.9, 0.1], flip_y=0.1, random_state=123)
    store = runtime.storage()
    bucket = payload["benchmark_bucket"]
    base = f"{payload['dataset_bucket']}/{runtime.current().request_id}"
    keys = {"features": store.upload_stream(bucket, f"{base}/features.npy", _npy(features)),
            "labels": store.upload_stream(bucket, f"{base}/labels.npy", _npy(labels))}
    return {"schedules": [{**clf, **keys, "bucket": payload["dataset_bucket"],
                           "benchmark_bucket": bucket} for clf in payload["classifiers"]]}
