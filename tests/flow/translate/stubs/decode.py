"""650 ``decode``: frame names for a video."""

from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    return {"video": payload["video"],
            "frames": [f"{payload['video']}-frame{i}" for i in range(int(payload["n_frames"]))]}
