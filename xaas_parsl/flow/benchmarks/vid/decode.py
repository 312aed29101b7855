"""Downloads the video, decodes its first ``n_frames`` frames, uploads each as PNG and splits the
keys into batches of ``batch_size`` (upstream writes JPEG; PNG keeps colours exact)."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageSequence

from xaas_parsl.flow import runtime


def handler(payload: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    store = runtime.storage()
    bucket = payload["benchmark_bucket"]
    video = store.download_stream(bucket, f"{payload['input_bucket']}/{payload['video']}")
    run = runtime.current().request_id
    keys: list[str] = []
    with Image.open(io.BytesIO(video)) as movie:
        for index, image in enumerate(ImageSequence.Iterator(movie)):
            if index >= int(payload["n_frames"]):
                break
            out = io.BytesIO()
            image.convert("RGB").save(out, format="PNG")
            key = f"{payload['frames_bucket']}/{run}/frame-{index:05d}.png"
            keys.append(store.upload_stream(bucket, key, out.getvalue()))
    size = int(payload["batch_size"])
    return {"frames": [{"frames_bucket": payload["frames_bucket"], "frames": keys[i:i + size],
                        "benchmark_bucket": bucket, "model_bucket": payload["input_bucket"],
                        "model_config": payload["model_config"],
                        "model_weights": payload["model_weights"]}
                       for i in range(0, len(keys), size)]}
