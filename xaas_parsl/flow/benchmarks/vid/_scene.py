"""The synthetic scenes: which objects frame i shows, and how a frame is drawn (numpy only)."""

from __future__ import annotations

from typing import Any

import numpy as np

WIDTH, HEIGHT = 160, 120
# COCO labels and the colour our "model" knows them by.
PALETTE: dict[str, tuple[int, int, int]] = {"person": (220, 40, 40), "car": (40, 200, 40),
                                            "dog": (40, 60, 230), "bicycle": (235, 215, 30)}
TOLERANCE = 45
SEED = 650


def objects(index: int, seed: int = SEED) -> list[dict[str, Any]]:
    """1–4 non-touching rectangles of known classes for frame ``index`` (deterministic)."""
    rng = np.random.default_rng([seed, index])
    placed: list[dict[str, Any]] = []
    names = sorted(PALETTE)
    for _ in range(int(rng.integers(1, 5))):
        for _attempt in range(50):
            w, h = (int(v) for v in rng.integers(10, 36, size=2))
            x, y = int(rng.integers(0, WIDTH - w)), int(rng.integers(0, HEIGHT - h))
            if all(x + w + 2 < o["x"] or o["x"] + o["w"] + 2 < x or y + h + 2 < o["y"]
                   or o["y"] + o["h"] + 2 < y for o in placed):
                placed.append({"class": names[int(rng.integers(len(names)))],
                               "x": x, "y": y, "w": w, "h": h})
                break
    return placed


def frame(index: int, seed: int = SEED) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Frame ``index``: a grey gradient with noise and the objects of ``objects(index)``."""
    rng = np.random.default_rng([seed, index, 1])
    gradient = np.linspace(90, 150, WIDTH)[None, :, None]
    image = gradient + rng.integers(-12, 13, size=(HEIGHT, WIDTH, 3))
    for obj in objects(index, seed):
        patch = image[obj["y"]:obj["y"] + obj["h"], obj["x"]:obj["x"] + obj["w"]]
        patch[...] = np.array(PALETTE[obj["class"]]) + rng.integers(-10, 11, size=patch.shape)
    return np.clip(image, 0, 255).astype(np.uint8)
