"""Which OCI runtime Podman can use on this host, decided by probing the cgroup layout.

crun (Podman's default on Debian 12) refuses to start a container on a *hybrid* host: cgroup v1
controllers mounted under ``/sys/fs/cgroup`` and a cgroup v2 hierarchy at
``/sys/fs/cgroup/unified`` that still holds controllers ("cgroups in hybrid mode not
supported"); ``--cgroups=disabled`` does not help, crun checks the layout first. runc (installed
with docker.io) runs there. So the choice is made from what the host shows, not assumed: on a
pure v1 or pure v2 host the default runtime is kept; on a hybrid host with crun as the default,
runc is chosen when it is installed, and otherwise the error says what to install.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from xaas_parsl.errors import ToolError

CGROUP2_SUPER_MAGIC = "cgroup2fs"


@dataclass(frozen=True)
class CgroupLayout:
    """What ``/sys/fs/cgroup`` looks like: ``unified`` (v2 only), ``legacy`` (v1 only) or
    ``hybrid`` (v1 controllers plus a v2 hierarchy with controllers of its own)."""

    mode: str
    v2_controllers: tuple[str, ...] = ()


def read_layout(root: str | Path = "/sys/fs/cgroup") -> CgroupLayout:
    """Read the cgroup layout of this host from the file system (no privileges needed)."""
    base = Path(root)
    if (base / "cgroup.controllers").is_file():
        return CgroupLayout("unified", _controllers(base / "cgroup.controllers"))
    unified = base / "unified" / "cgroup.controllers"
    if unified.is_file():
        controllers = _controllers(unified)
        return CgroupLayout("hybrid" if controllers else "legacy", controllers)
    return CgroupLayout("legacy")


def _controllers(path: Path) -> tuple[str, ...]:
    try:
        return tuple(path.read_text().split())
    except OSError:
        return ()


def runtime_options(layout: CgroupLayout, default_runtime: str,
                    runc: str | None) -> list[str]:
    """``podman run`` options that make ``default_runtime`` work on ``layout`` (pure)."""
    if layout.mode != "hybrid" or default_runtime != "crun":
        return []
    if runc is None:
        raise ToolError("podman's default OCI runtime crun refuses this cgroup-hybrid host "
                        f"(cgroup v2 controllers: {', '.join(layout.v2_controllers)}) and runc "
                        "is not installed (apt-get install runc)")
    return [f"--runtime={runc}"]


def probe_runtime_options(default_runtime: str) -> list[str]:
    """:func:`runtime_options` for this host."""
    return runtime_options(read_layout(), default_runtime, shutil.which("runc"))
