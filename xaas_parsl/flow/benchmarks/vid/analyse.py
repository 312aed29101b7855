"""Detects objects in one batch of frames → ``{<frame name>: [{"class", "score"}, ...]}``.

The "model" (downloaded like upstream's weights) is a palette: class → colour and a tolerance.
A class's pixels are those within the tolerance of its colour in every channel; each connected
component (``scipy.ndimage.label``) of at least ``min_area`` pixels is a candidate whose score is
how much of its bounding box it fills; candidates scoring over 0.5 are kept, as upstream keeps
detections over 0.5.
"""

from __future__ import annotations

import io
import json
from pathlib import PurePosixPath
from typing import Any

import numpy as np
from PIL import Image
from scipy import ndimage

from xaas_parsl.flow import runtime


def detect(image: np.ndarray[Any, Any], model: dict[str, Any]) -> list[dict[str, Any]]:
    pixels = image.astype(np.int16)
    found = []
    for name, colour in sorted(model["palette"].items()):
        mask = (np.abs(pixels - np.array(colour)) <= model["tolerance"]).all(axis=2)
        labels, _count = ndimage.label(mask)
        for index, box in enumerate(ndimage.find_objects(labels), start=1):
            if box is None:
                continue
            area = int((labels[box] == index).sum())
            if area < model["min_area"]:
                continue
            score = area / float(labels[box].size)
            if score > 0.5:
                found.append({"class": name, "score": round(score, 4)})
    return found


def handler(payload: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    store = runtime.storage()
    bucket = payload["benchmark_bucket"]
    model = json.loads(store.download_stream(
        bucket, f"{payload['model_bucket']}/{payload['model_weights']}"))
    out = {}
    for key in payload["frames"]:
        with Image.open(io.BytesIO(store.download_stream(bucket, key))) as image:
            out[PurePosixPath(key).stem] = detect(np.asarray(image.convert("RGB")), model)
    return out
