"""Job-step launcher prefixes (``srun`` on Slurm sites, ``mpiexec`` on PBS/PALS sites).

On HPC sites a container is started *by* the site's launcher: the launcher places the ranks,
binds GPUs and provides the PMI wire-up, and each rank then enters the container. The runtimes
(Sarus, the CSCS Container Engine, Apptainer, Podman) only differ in what comes *after* the
prefix, so the prefix is rendered here once, from the site facts' ``launcher`` value.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from xaas_parsl.containers.runtime.base import RunResult, RunSpec
from xaas_parsl.errors import InputError, ToolError
from xaas_parsl.sites.facts import NodeType

#: Launchers this module can render (``simple``: the local machine, no job-step launcher).
LAUNCHERS = ("srun", "mpiexec", "simple")


@dataclass(frozen=True)
class Launch:
    """How many processes to start where, and with which GPUs per node."""

    ranks: int = 1
    ranks_per_node: int | None = None
    gpus_per_node: int | None = None
    nodelist: tuple[str, ...] = ()
    pmi: bool = False  # MPI ranks need the launcher's PMI (srun --mpi=pmi2)

    @property
    def nodes(self) -> int | None:
        """Nodes needed for ``ranks`` at ``ranks_per_node`` (None: leave it to the launcher)."""
        if self.ranks_per_node:
            return -(-self.ranks // self.ranks_per_node)
        return None


def launcher_argv(launcher: str, launch: Launch) -> list[str]:
    """The launcher prefix for ``launch``; the container command follows it.

    ``srun`` options follow Slurm's long forms (``--ntasks``, ``--ntasks-per-node``,
    ``--gpus-per-node``, ``--mpi=pmi2`` for PMI-2 wire-up of MPICH-ABI MPIs as CSCS documents
    for Sarus and the Container Engine); ``mpiexec`` follows the PALS/MPICH syntax used on
    Aurora (``mpiexec -n N --ppn P``), where GPUs are bound per rank by environment variables
    rather than by the launcher.
    """
    if launch.ranks < 1:
        raise InputError(f"an MPI launch needs at least one rank, got {launch.ranks}")
    if launcher == "srun":
        argv = ["srun", f"--ntasks={launch.ranks}"]
        if launch.nodes is not None:
            argv += [f"--nodes={launch.nodes}", f"--ntasks-per-node={launch.ranks_per_node}"]
        if launch.nodelist:
            argv.append(f"--nodelist={','.join(launch.nodelist)}")
        if launch.gpus_per_node:
            argv.append(f"--gpus-per-node={launch.gpus_per_node}")
        if launch.pmi:
            argv.append("--mpi=pmi2")
        return argv
    if launcher == "mpiexec":
        argv = ["mpiexec", "-n", str(launch.ranks)]
        if launch.ranks_per_node:
            argv += ["--ppn", str(launch.ranks_per_node)]
        return argv
    if launcher == "simple":
        if launch.ranks > 1:
            raise InputError(f"{launch.ranks} ranks requested but this site has no MPI "
                             "launcher (launcher: simple)")
        return []
    known = ", ".join(LAUNCHERS)
    raise InputError(f"unknown launcher {launcher!r} (known: {known})")


def visible_devices(count: int | None, ids: Sequence[str]) -> str | None:
    """The first ``count`` device ids as a ``*_VISIBLE_DEVICES``-style list (None: all)."""
    if count is None:
        return None
    if count < 1 or (ids and count > len(ids)):
        raise InputError(f"{count} GPU(s) requested; the node has {len(ids)}")
    chosen = list(ids[:count]) if ids else [str(i) for i in range(count)]
    return ",".join(chosen)


@dataclass(frozen=True)
class SiteShape:
    """The site facts a runtime needs to render a launch: launcher, node shape, GPU binding.

    Built from ``site_configs/<site>/site.yaml`` by ``registry.runtime_for_site``; a runtime
    made without it renders a bare container command (no launcher, no node-specific values).
    """

    launcher: str = "simple"
    node: NodeType | None = None
    gpu_binding: str = "none"

    def launch(self, spec: RunSpec, always: bool = False, gpus_by_launcher: bool = False
               ) -> list[str]:
        """The launcher prefix for ``spec`` (empty when nothing needs launching).

        ``always``: the runtime only runs as a job step (Sarus, the Container Engine), so a
        single process is launched too. ``gpus_by_launcher``: GPUs are bound by Slurm's
        ``--gpus-per-node`` (which sets ``CUDA_VISIBLE_DEVICES``) rather than by the runtime.
        """
        if spec.mpi is None and not always:
            return []
        if self.launcher == "simple" and spec.mpi is None:
            return []
        node = self.node
        ranks = spec.mpi.ranks if spec.mpi else 1
        per_node = spec.mpi.ranks_per_node if spec.mpi else None
        if per_node is None and spec.mpi and spec.gpus and node and node.gpus:
            # one rank per GPU (or GPU tile, on sites that bind tiles) is the site convention
            per_node = len(node.accelerators) if self.gpu_binding == "per-tile" else node.gpus
        gpus_per_node = None
        if spec.gpus and gpus_by_launcher:
            ids = [str(i) for i in range(node.gpus)] if node else []
            visible_devices(spec.gpus.count, ids)  # more GPUs than the node has: an error
            gpus_per_node = spec.gpus.count or (node.gpus if node else None)
        launch = Launch(ranks=ranks, ranks_per_node=per_node, gpus_per_node=gpus_per_node,
                        pmi=spec.mpi is not None)
        if node and node.nodelist:  # Ault: the node type is chosen by its hosts
            launch = replace(launch, nodelist=tuple(node.hosts_for(launch.nodes or 1)))
        return launcher_argv(self.launcher, launch)


def execute(tool: str, argv: list[str], timeout_s: float | None = None) -> RunResult:
    """Run ``argv`` (never through a shell) and time it; a missing ``tool`` is a ``ToolError``.

    Site runtimes (Apptainer, Sarus, the Container Engine) call this too: where their tool is
    installed (on the site itself) ``run`` really runs; here it fails with this clear error.
    """
    for exe in dict.fromkeys([tool, argv[0]]):
        if shutil.which(exe) is None:
            raise ToolError(f"{exe} is not installed on this machine (not on PATH); render the "
                            "command with run_argv() or `xaas images export` and run it on "
                            "the site")
    start = time.perf_counter()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s,
                              check=False)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{tool}: command did not finish within {timeout_s} s: "
                        f"{shlex.join(argv)}") from None
    return RunResult(exit_code=proc.returncode, stdout=proc.stdout, stderr=proc.stderr,
                     seconds=time.perf_counter() - start)
