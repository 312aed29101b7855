"""The deployment pipeline's request and result: what every door (CLI, Parsl apps, Snakemake
rules, showcase, container job) hands to :func:`xaas_parsl.deploy.pipeline.drive`.

Why plain dataclasses of JSON-able values: a request crosses process and machine boundaries
(Parsl workers, Globus Compute endpoints, a Snakemake job reading files), so it must serialise
as a dict and come back the same (:meth:`DeployRequest.to_dict` / :meth:`from_dict`). The
stages a request names are the slice of the one pipeline a door runs: the CLI's ``xaas demo``
runs them all in one process, a Snakemake rule or a Parsl app runs one stage with the earlier
stages' records (system, intersection, artifact, deployment) as inputs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from xaas_parsl.errors import InputError


class Mode(StrEnum):
    """How the chosen configuration is made for the node."""

    SOURCE = "source"
    """Build the chosen configuration from source, natively on the node."""
    IR = "ir"
    """Build the app's LLVM-IR bundle once (deduplicated), lower the chosen configuration."""
    CONTAINER = "container"
    """Deploy from the app's IR (or source) container image in a container engine, test in the
    lean image it writes, and copy its install tree out."""


class Runtime(StrEnum):
    """Where the deployment runs: on this host, or in a container engine."""

    NATIVE = "native"
    DOCKER = "docker"


class Stage(StrEnum):
    """The pipeline's steps, in order; a request runs a subset of them."""

    DISCOVER = "discover"   # describe the node (skipped when the request carries a system)
    INTERSECT = "intersect"  # app spec ∩ node: the chosen configuration
    BUILD = "build"         # the mode's artifact: IR bundle or app image (source mode: none)
    DEPLOY = "deploy"       # install the chosen configuration (build, lower or deploy image)
    TEST = "test"           # the app's tests against the deployment
    EXPORT = "export"       # the deployed image in a site tool's format (EDF, Sarus, ...)


#: What ``xaas demo`` and ``deploy_and_run`` run: everything but the export.
PIPELINE: tuple[Stage, ...] = (Stage.DISCOVER, Stage.INTERSECT, Stage.BUILD, Stage.DEPLOY,
                               Stage.TEST)
#: Which app container a container deployment uses.
IMAGE_KINDS = ("ir", "source")


def mode_of(value: str | Mode) -> Mode:
    """``"ir"`` -> ``Mode.IR``; anything else is an ``InputError`` naming the modes."""
    try:
        return Mode(value)
    except ValueError:
        raise InputError(f"deploy mode must be one of {', '.join(m.value for m in Mode)}, "
                         f"got {value!r}") from None


@dataclass(frozen=True)
class DeployRequest:
    """One run of (part of) the pipeline for one app.

    ``app`` is the path of an ``app.yaml`` (a string, so the request pickles/serialises on
    any worker). ``system``/``intersection``/``artifact``/``deployment`` are the records of
    earlier stages when this request does not run them. ``configuration`` names a matrix
    configuration to deploy instead of the intersection's choice (IR and container modes);
    ``configs`` are the configurations the artifact must hold besides it (empty: the IR
    bundle holds the whole matrix, an IR image the chosen and the portable ``None``).
    ``export`` (``edf``, ``sarus``, ``apptainer``, ``enroot``) and ``site`` shape the
    EXPORT stage. ``copy_out``: a container deployment's install tree is copied to
    ``workdir`` so that host-side consumers (reports, kernel timings) find a prefix.
    ``arch``: the ISA family of the IR bundle / IR container (default: this host's; what
    ``deploy.plan`` names for the node). ``cpu``: lower for this CPU (``ir.node``: an archspec
    name, ``node`` or ``baseline``), with ``system`` as the node it is checked against; None
    lowers for the family's baseline and checks nothing, as before plans existed.
    """

    app: str
    workdir: str | None = None
    mode: Mode = Mode.SOURCE
    runtime: Runtime | None = None
    stages: tuple[Stage, ...] = PIPELINE
    image_kind: str = "ir"
    policy: dict[str, Any] | None = None
    system: dict[str, Any] | None = None
    intersection: dict[str, Any] | None = None
    artifact: dict[str, Any] | None = None
    deployment: dict[str, Any] | None = None
    configuration: str | None = None
    configs: tuple[str, ...] = ()
    export: str | None = None
    site: str | None = None
    copy_out: bool = True
    arch: str | None = None
    cpu: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", mode_of(self.mode))
        object.__setattr__(self, "stages", tuple(Stage(s) for s in self.stages))
        object.__setattr__(self, "configs", tuple(self.configs))
        runtime = Runtime(self.runtime) if self.runtime else (
            Runtime.DOCKER if self.mode is Mode.CONTAINER else Runtime.NATIVE)
        object.__setattr__(self, "runtime", runtime)
        if (self.mode is Mode.CONTAINER) != (runtime is Runtime.DOCKER):
            raise InputError(f"deploy mode {self.mode.value} cannot run on the "
                             f"{runtime.value} runtime (container mode needs docker, source "
                             "and ir run natively)")
        if self.image_kind not in IMAGE_KINDS:
            raise InputError(f"container image kind must be ir or source, got "
                             f"{self.image_kind!r}")
        needs_dir = {Stage.BUILD, Stage.DEPLOY, Stage.EXPORT} & set(self.stages)
        if needs_dir and self.workdir is None:
            raise InputError(f"stage {sorted(needs_dir)[0]} needs a workdir")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (enums as their values)."""
        data = asdict(self)
        data["mode"] = self.mode.value
        data["runtime"] = self.runtime.value if self.runtime else None
        data["stages"] = [s.value for s in self.stages]
        data["configs"] = list(self.configs)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeployRequest:
        """The request :meth:`to_dict` wrote; unknown keys are an ``InputError``."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"unknown deploy request key(s): {', '.join(unknown)}")
        return cls(**data)


@dataclass
class DeployResult:
    """The records the stages produced (``None`` for a stage that did not run) and their
    wall-clock seconds (``timings``: ``<stage>_s``)."""

    mode: Mode
    system: dict[str, Any] | None = None
    intersection: dict[str, Any] | None = None
    configuration: str | None = None
    artifact: dict[str, Any] | None = None
    deployment: dict[str, Any] | None = None
    tests: dict[str, Any] | None = None
    export: dict[str, Any] | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool | None:
        """Whether the tests passed (``None`` when they did not run)."""
        return None if self.tests is None else bool(self.tests["passed"])

    def record(self, stage_record: str) -> dict[str, Any]:
        """One stage's record (``"deployment"``, ``"artifact"``, ...) that must be there."""
        value = getattr(self, stage_record)
        if not isinstance(value, dict):
            raise InputError(f"the pipeline produced no {stage_record} record")
        return value

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the mode as its value)."""
        data = asdict(self)
        data["mode"] = self.mode.value
        return data
