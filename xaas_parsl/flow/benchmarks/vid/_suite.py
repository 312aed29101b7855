"""Sizes, input and check of 650.vid ((frames, batch) as SeBS's ``input.py``)."""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any

from PIL import Image

from xaas_parsl.flow.benchmarks import BUCKET, Outcome
from xaas_parsl.flow.benchmarks.vid._scene import PALETTE, TOLERANCE, frame, objects
from xaas_parsl.flow.storage import ObjectStore

SIZES: dict[str, dict[str, Any]] = {"test": {"n_frames": 3, "batch_size": 10},
                                    "small": {"n_frames": 10, "batch_size": 5},
                                    "large": {"n_frames": 1000, "batch_size": 3}}


def video_bytes(count: int) -> bytes:
    """``count`` frames as one animated PNG (lossless, so colours survive decoding)."""
    images = [Image.fromarray(frame(i)) for i in range(count)]
    out = io.BytesIO()
    images[0].save(out, format="PNG", save_all=True, append_images=images[1:], duration=40)
    return out.getvalue()


def generate(size: str, store: ObjectStore, prefix: str) -> dict[str, Any]:
    params = SIZES[size]
    store.put(BUCKET, f"{prefix}/input/video_{size}.png", video_bytes(params["n_frames"]))
    model = {"palette": PALETTE, "tolerance": TOLERANCE, "min_area": 40}
    store.put(BUCKET, f"{prefix}/input/palette.json", json.dumps(model).encode())
    return {"video": f"video_{size}.png", "n_frames": params["n_frames"],
            "batch_size": params["batch_size"], "frames_bucket": f"{prefix}/frames",
            "benchmark_bucket": BUCKET, "input_bucket": f"{prefix}/input",
            "model_weights": "palette.json", "model_config": "palette.json"}


def check(size: str, payload: dict[str, Any], outcome: Outcome, store: ObjectStore) -> list[str]:
    if not outcome.ok:
        return [f"run failed: {outcome.error}"]
    out = outcome.payload
    expected = [f"frame-{i:05d}" for i in range(payload["n_frames"])]
    if not isinstance(out, dict) or sorted(out) != expected:
        return [f"expected detections for {len(expected)} frames, got "
                f"{sorted(out) if isinstance(out, dict) else out!r}"]
    problems = []
    for i, name in enumerate(expected):
        want = Counter(o["class"] for o in objects(i))
        got = Counter(d["class"] for d in out[name])
        if want != got:
            problems.append(f"{name}: drew {dict(want)}, detected {dict(got)}")
    batches = -(-payload["n_frames"] // payload["batch_size"])
    if outcome.funcs().count("analyse") != batches:
        problems.append(f"expected {batches} analyse calls, got {outcome.funcs().count('analyse')}")
    return problems
