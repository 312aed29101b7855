"""``{"num_samples": N}`` → the detours seen while spinning on a clock.

Calibrate the shortest loop iteration (until it has not shrunk for 100 consecutive rounds), then
spin and record a ``(start, end)`` pair of clock readings every time one iteration took more than
9x that minimum, until N pairs are recorded or ``max_seconds`` (default 30) passed. Upstream
publishes the result through ``SEBS_FUNCTION_RESULT`` and returns ``"ok"``; our runtime has no
such side channel, so the result is the payload: ``{"min_diff", "num_iterations", "timestamps",
"tps", "complete"}``. ``tps`` (ticks per second) is exact for a nanosecond clock, so upstream's
ten 1-second sleeps estimating it are not needed.
"""

from __future__ import annotations

import time
from typing import Any

STABLE_ROUNDS = 100
THRESHOLD = 9


def calibrate() -> int:
    """The shortest time between two consecutive clock readings of the spin loop."""
    clock = time.perf_counter_ns
    best = 1 << 62
    stable = 0
    last = clock()
    while stable < STABLE_ROUNDS:
        now = clock()
        diff = now - last
        last = now
        if 0 < diff < best:
            best = diff
            stable = 0
        else:
            stable += 1
    return best


def detours(samples: int, threshold: int, max_seconds: float) -> tuple[list[list[int]], int]:
    """Up to ``samples`` ``[start, end]`` pairs of iterations longer than ``threshold`` ns."""
    clock = time.perf_counter_ns
    found: list[list[int]] = []
    deadline = clock() + int(max_seconds * 1e9)
    iterations = 0
    last = clock()
    while len(found) < samples:
        now = clock()
        iterations += 1
        if now - last > threshold:
            found.append([last, now])
            if now > deadline:
                break
        last = now
    return found, iterations


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    samples = int(payload["num_samples"])
    min_diff = calibrate()
    pairs, iterations = detours(samples, THRESHOLD * min_diff,
                                float(payload.get("max_seconds", 30)))
    return {"min_diff": min_diff, "num_iterations": iterations, "timestamps": pairs,
            "tps": 1_000_000_000, "complete": len(pairs) == samples}
