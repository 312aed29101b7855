"""Rendering a site's batch script through the Parsl provider's own ``submit`` code.

The provider writes the script and builds the ``sbatch``/``qsub`` command exactly as it would
for a real block; only the final step, running that command, is answered here instead of by a
scheduler. What users inspect is therefore what Parsl would submit, not a copy we assemble.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parsl.executors import HighThroughputExecutor

from xaas_parsl.sites.parsl_config import config

WORKER_COMMAND = "process_worker_pool.py --placeholder-for-the-htex-worker-command"


@dataclass(frozen=True)
class Submission:
    """A batch script and the command that would submit it."""

    script: str
    command: str


def render_submission(site: str | Path, **config_kwargs: Any) -> Submission:
    """Build ``config(site, **config_kwargs)`` and let its compute provider write a block's
    submission; raises ``MissingAccountError`` like a real submission would."""
    cfg = config(site, **config_kwargs)
    executor = next(e for e in cfg.executors if e.label == "compute")
    assert isinstance(executor, HighThroughputExecutor)
    provider: Any = executor.provider
    commands: list[str] = []

    def answer(cmd: str, timeout: int | None = None) -> tuple[int, str, str]:
        commands.append(cmd)
        return 0, "Submitted batch job 1\n" if cmd.startswith("sbatch") else "1.pbs\n", ""

    with tempfile.TemporaryDirectory(prefix="xaas-script-") as tmp:
        provider.script_dir = tmp
        provider.execute_wait = answer
        provider.submit(WORKER_COMMAND, 1, "xaas")
        scripts = sorted(p for p in Path(tmp).iterdir() if p.name.startswith("xaas")
                         and p.suffix not in {".stdout", ".stderr"})
        text = scripts[0].read_text(encoding="utf-8") if scripts else ""
    command = commands[0] if commands else ""
    return Submission(script=text, command=command.replace(tmp, "<script_dir>"))
