"""Kills its own worker process on the first call (marker file ``marker``), then passes.

Only for process executors: on a thread executor it would kill the driver.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any


def handler(payload: dict[str, Any]) -> dict[str, Any]:
    marker = Path(payload["marker"])
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return {**payload, "survived": True}
