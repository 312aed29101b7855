"""What the rule file ``smk/xaas.smk`` computes in Python: paths, descriptors, resources, checks.

Why a module and not inline rule-file code: everything here is decided when the Snakefile is
parsed (which site, which node type, where results go, how long each step may run), so it can be
typed, unit-tested and shared with the profile generator, while the rule file stays a readable
list of steps with files in and out.

Resources come from the site facts, never from constants in the rules: the node type gives the
GPU count and cores, the partition (or PBS queue) caps every step's runtime, and the scheduler
decides the resource names (``slurm_partition`` for Slurm, ``queue``/``walltime`` for the
PBS submit command of the Aurora profile). Bad input is a ``WorkflowError`` with one line that
says what to do, which is how Snakemake reports errors without a traceback.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snakemake_interface_common.exceptions import WorkflowError

from xaas_parsl.descriptor.app import BUNDLED_APPS, SOURCES_PREFIX
from xaas_parsl.errors import InputError, XaasError
from xaas_parsl.fileio import load_yaml
from xaas_parsl.safety import setting
from xaas_parsl.sites.facts import ACCOUNT_ENV, Limits, NodeType, SiteFacts, load_site

# Fetches a real application's source into the sources cache (``python -m``; see its docstring).
SOURCES_MODULE = "xaas_parsl.sources"

# Resource that carries the account, per executor plugin (the profiles set these).
ACCOUNT_RESOURCE = {"slurm": "slurm_account", "cluster-generic": "account"}


@dataclass(frozen=True)
class Step:
    """How one compute step is scheduled: its runtime wish and whether it needs the GPUs."""

    minutes: int
    gpus: bool


# Discovery and tests must see the node's GPUs (NVML/Level Zero only report devices in the job's
# allocation); a build does not. Runtimes are wishes, capped by the partition's limit.
STEPS: dict[str, Step] = {
    "discover": Step(minutes=10, gpus=True),
    "deploy": Step(minutes=120, gpus=False),
    "tests": Step(minutes=60, gpus=True),
    "export": Step(minutes=30, gpus=False),
}

#: Which rule makes ``deployment.json`` for each ``config["deploy"]`` (the others rank below it
#: in the rule order, so Snakemake never has two candidates).
DEPLOY_RULES = {"source": "xaas_deploy_source", "ir": "xaas_deploy_ir",
                "container": "xaas_container_deploy"}


def hhmmss(minutes: int) -> str:
    """``90`` -> ``"01:30:00"`` (PBS walltime syntax)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


@dataclass(frozen=True)
class AppEntry:
    """An application the workflow can deploy: its descriptor and, optionally, the
    :mod:`xaas_parsl.sources` project that must be fetched before its source exists."""

    name: str
    descriptor: Path
    fetch: str | None = None


def _fail(problem: str) -> WorkflowError:
    return WorkflowError(" ".join(problem.split()))


def _fetch_project(descriptor: Path) -> str | None:
    """The sources project a descriptor's ``source: "{sources}/<project>/..."`` needs fetched
    (None for a source beside the descriptor, or a descriptor that does not read)."""
    try:
        data = load_yaml(descriptor)
    except XaasError:
        return None          # reported with the file's name when a rule reads the descriptor
    source = data.get("source") if isinstance(data, Mapping) else None
    if isinstance(source, str) and source.startswith(SOURCES_PREFIX):
        return source.removeprefix(SOURCES_PREFIX).split("/", 1)[0] or None
    return None


def _apps(config: Mapping[str, Any], base: Path) -> dict[str, AppEntry]:
    apps: dict[str, AppEntry] = {}
    for name, entry in (config.get("apps") or {}).items():
        if not isinstance(entry, Mapping) or "descriptor" not in entry:
            raise _fail(f"config apps.{name} needs a 'descriptor' (path to an app.yaml)")
        path = Path(str(entry["descriptor"]))
        path = path if path.is_absolute() else base / path
        apps[str(name)] = AppEntry(str(name), path, entry.get("fetch") or _fetch_project(path))
    return apps


def _app_from_path(value: str) -> AppEntry:
    """``--config app=path/to/app.yaml``: the app's name is read from the descriptor."""
    path = Path(value).resolve()
    try:
        data = load_yaml(path)
    except XaasError as exc:
        raise _fail(f"app descriptor {exc.one_line()}") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("name"), str):
        raise _fail(f"{path}: an app descriptor needs a 'name'")
    return AppEntry(data["name"], path, _fetch_project(path))


@dataclass(frozen=True)
class XaasRules:
    """Everything the rule file needs, resolved from ``config`` when the Snakefile is parsed."""

    site: SiteFacts
    node: NodeType
    partition: str | None
    limits: Limits
    results: str
    builds: str
    apps: dict[str, AppEntry]
    config: Mapping[str, Any]

    @classmethod
    def from_config(cls, config: Mapping[str, Any], base: str | Path) -> XaasRules:
        """Read ``site``, ``node_type``, ``partition``, ``results``, ``builds`` and ``apps``
        from a workflow config; relative descriptor paths are taken from ``base`` (the
        directory of the main Snakefile)."""
        site_name = str(config.get("site") or "local")
        try:
            site = load_site(site_name)
            node = site.node_type(config.get("node_type"))
            partition, limits = site.partition(config.get("partition"))
        except XaasError as exc:
            raise _fail(exc.one_line()) from None
        target = site.name if node.name in (site.default_node_type, "default") \
            else f"{site.name}-{node.name}"
        results = f"{str(config.get('results') or 'results').rstrip('/')}/{target}"
        builds = str(config.get("builds") or f"{results}/builds")
        explicit = partition if config.get("partition") else None
        return cls(site, node, explicit, limits, results, builds,
                   _apps(config, Path(base)), config)

    # --- applications ---------------------------------------------------------------------

    def app(self, name: str) -> AppEntry:
        """The entry for ``name``: from ``config['apps']``, a path to an ``app.yaml``, or a
        bundled example (``xaas_parsl/bundled_apps/<name>/app.yaml``)."""
        if name in self.apps:
            return self.apps[name]
        if name.endswith((".yaml", ".yml")):
            return _app_from_path(name)
        bundled = BUNDLED_APPS / name / "app.yaml"
        if bundled.is_file():
            return AppEntry(name, bundled, _fetch_project(bundled))
        known = sorted(set(self.apps) | {p.parent.name for p in BUNDLED_APPS.glob("*/app.yaml")})
        raise _fail(f"unknown app {name!r}: known apps are {', '.join(known)}; or pass "
                    "--config app=path/to/app.yaml")

    def default_app(self) -> AppEntry:
        """The app named by ``config['app']`` (``heat2d`` when unset)."""
        entry = self.app(str(self.config.get("app") or "heat2d"))
        self.apps.setdefault(entry.name, entry)
        return entry

    def result(self, name: str, what: str = "tests") -> str:
        """Path of one of an app's step files: spec, intersection, deployment or tests."""
        return f"{self.results}/{name}/{what}.json"

    @property
    def deploy(self) -> str:
        """``config["deploy"]``: source (default), ir or container. Read when the rule file
        asks (the showcase's workflow gives the same key its own meaning)."""
        deploy = str(self.config.get("deploy") or "source")
        if deploy not in DEPLOY_RULES:
            raise _fail(f"config deploy must be one of {', '.join(DEPLOY_RULES)}, got "
                        f"{deploy!r}")
        return deploy

    def ruleorder(self) -> list[str]:
        """The deployment rules, the one ``config["deploy"]`` names first: the rule order that
        makes it the producer of ``deployment.json``."""
        chosen = DEPLOY_RULES[self.deploy]
        return [chosen, *(r for r in DEPLOY_RULES.values() if r != chosen)]

    def site_arg(self) -> str:
        """The site as the workflow named it (a bundled name or a ``site.yaml`` path), for
        commands that load the site facts again."""
        return str(self.config.get("site") or "local")

    def export_target(self) -> str | None:
        """The format the site's container tool imports (EDF on Alps, Sarus on Ault,
        Apptainer on Aurora); ``None`` where the engine's images run as they are (local)."""
        from xaas_parsl.deploy.pipeline import SITE_EXPORT

        return SITE_EXPORT.get(self.site.container_runtime)

    def targets(self, name: str) -> list[str]:
        """What ``rule all`` asks for: the tests, and for a container deployment on a site
        with its own container tool, the export for that tool."""
        wanted = [self.result(name, "tests")]
        if self.deploy == "container" and self.export_target():
            wanted.append(self.result(name, "export"))
        return wanted

    def descriptor(self, name: str) -> str:
        """Path of the app's descriptor (as a string, for rule inputs)."""
        return str(self.app(name).descriptor)

    def spec_file(self, name: str) -> str:
        """The specialization-points file a descriptor names, found without validating the
        descriptor: its source may not be fetched yet, and a dry run must not need it."""
        path = self.app(name).descriptor
        try:
            data = load_yaml(path)
        except XaasError as exc:
            raise _fail(f"app {name}: {exc.one_line()}") from None
        spec = data.get("specialization_points") if isinstance(data, Mapping) else None
        if not isinstance(spec, str):
            raise _fail(f"{path}: an app descriptor needs 'specialization_points'")
        return str((path.parent / spec).resolve())

    def fetched_marker(self, name: str) -> list[str]:
        """``[marker]`` when the app's source must be fetched first, else ``[]``."""
        return [f"{self.results}/sources/{name}.ready"] if self.app(name).fetch else []

    # --- scheduling -----------------------------------------------------------------------

    def runtime(self, step: str) -> int:
        """The step's runtime wish in minutes, capped by the partition's walltime limit."""
        cap = self.limits.max_minutes
        minutes = STEPS[step].minutes
        return min(minutes, cap) if cap else minutes

    def resources(self, step: str) -> dict[str, int | str]:
        """Snakemake resources of a compute step on this site (names its plugin reads)."""
        minutes = self.runtime(step)
        res: dict[str, int | str] = {"nodes": 1, "runtime": minutes}
        if STEPS[step].gpus and self.node.gpus:
            res["gpu"] = self.node.gpus
        if self.site.scheduler == "pbspro":
            res["walltime"] = hhmmss(minutes)
            if self.partition:
                res["queue"] = self.partition
        elif self.site.scheduler == "slurm" and self.partition:
            res["slurm_partition"] = self.partition
        return res

    def threads(self) -> int:
        """Cores of one node (all of this machine's on ``local``; Snakemake scales them down
        to ``--cores`` when it runs the job itself)."""
        return self.node.cores or os.cpu_count() or 1

    def intersect_args(self) -> str:
        """Policy flags for ``xaas intersect`` from ``config`` (policy, pin, prefer, gpu, mpi),
        shell-quoted."""
        args: list[str] = []
        if self.config.get("policy"):
            args += ["--policy", str(self.config["policy"])]
        for key in ("pin", "prefer"):
            values = self.config.get(key) or []
            for value in [values] if isinstance(values, str) else values:
                args += [f"--{key}", str(value)]
        for key in ("gpu", "mpi"):
            if self.config.get(key) is not None:
                args.append(f"--{key}" if self.config[key] else f"--no-{key}")
        return shlex.join(args)


def missing_account_message(site: str, resource: str) -> str:
    """The one line a user sees when a job would be submitted without an account."""
    return (f"site {site} needs an account to submit jobs: export {ACCOUNT_ENV}=<project> before "
            f"running snakemake (the {site} profile passes it as the {resource} resource)")


def check_submission(workflow: Any, site: SiteFacts) -> None:
    """Refuse to submit to a site that charges an account when a job has none.

    Called from ``onstart`` (after the dry-run boundary, before the first submission). The
    profiles pass ``$XAAS_ACCOUNT`` through a resource; when the variable is unset the value
    arrives unexpanded, which this catches instead of letting ``sbatch``/``qsub`` fail with a
    scheduler message that does not say what to do. The xaas executor plugin checks its own
    ``--xaas-account`` instead, so it is not handled here.
    """
    if not site.account_required or workflow.dryrun or not workflow.is_main_process:
        return
    plugin = getattr(workflow.executor_plugin, "name", None)
    key = ACCOUNT_RESOURCE.get(str(plugin))
    if key is None:
        return
    for job in workflow.dag.needrun_jobs():
        if job.is_local:
            continue
        value = job.resources.get(key)
        if value is None or str(value).strip() in {"", "None"} or "$" in str(value):
            raise WorkflowError(missing_account_message(site.name, key))
        try:  # the plugins paste the account into a shell command line
            setting("account", str(value), f"${ACCOUNT_ENV}")
        except InputError as exc:
            raise WorkflowError(exc.one_line()) from None
