"""Snakemake profiles generated from ``site.yaml``, and their installation.

Why generated: ``site.yaml`` is the one source of truth for a site (partitions, node types, uenv,
file systems); a hand-written profile would drift from it. :func:`profiles` builds every profile's
files from the facts, ``xaas profiles generate`` writes them to
``xaas_parsl/site_configs/<site>/snakemake/<profile>/`` (committed; a test checks they equal the
generator's output) and ``xaas profiles install`` copies them where Snakemake looks for ``--profile
NAME``: ``./NAME``, then the user config directory (``$XDG_CONFIG_HOME/snakemake``, by default
``~/.config/snakemake``), then ``/etc/xdg/snakemake``.

Per scheduler:

* Slurm (Alps, Ault): the Slurm executor plugin; partition, account (``$XAAS_ACCOUNT``,
  expanded by Snakemake when a job's resources are evaluated) and software environment
  (``--uenv/--view`` on Alps, the node type's ``--nodelist`` on Ault) as default resources.
  A site with several node types gets one profile per type (``ault``, ``ault-v100``, ...).
* PBS Pro (Aurora): there is no PBS executor plugin, so the cluster-generic plugin runs ``qsub``
  with queue, account, ``select``, walltime and ``filesystems`` from resources, and asks PBS for
  job states through ``pbs-status.py`` (a copy of :mod:`xaas_parsl.snakemake.pbs_status`).
* local: no executor plugin; jobs are local processes.

Each profile also ships ``xaas.yaml`` (site and node type), passed as ``--configfile``: unlike
``config:`` in a profile, it survives a ``--config app=...`` on the command line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from xaas_parsl.errors import InputError, XaasError
from xaas_parsl.sites.facts import (
    ACCOUNT_ENV,
    SITE_CONFIGS,
    NodeType,
    SiteFacts,
    known_sites,
    load_site,
)
from xaas_parsl.snakemake import pbs_status
from xaas_parsl.snakemake.rules import hhmmss

PROFILE_DIR = "snakemake"
SITE_CONFIG_FILE = "xaas.yaml"
STATUS_SCRIPT = "pbs-status.py"
DEFAULT_JOBS = 16
DEFAULT_RUNTIME = 60      # minutes, for rules that set none (capped by the partition)
EXECUTABLE = 0o755


@dataclass(frozen=True)
class Profile:
    """One Snakemake profile: its name (``--profile NAME``), site, plugin and files."""

    name: str
    site: str
    executor: str | None
    files: dict[str, str] = field(default_factory=dict)

    @property
    def plugin_package(self) -> str | None:
        """The pip package of its executor plugin (None: Snakemake's built-in local one)."""
        return f"snakemake-executor-plugin-{self.executor}" if self.executor else None


def _header(site: SiteFacts, name: str, what: str) -> str:
    return (f"# Snakemake profile {name!r}: {site.description}.\n"
            f"# Generated from site_configs/{site.name}/site.yaml by `xaas profiles generate`:\n"
            "# edit site.yaml and regenerate instead of editing this file.\n"
            f"# {what}\n")


def _quoted(value: str) -> str:
    """A default-resource value Snakemake evaluates to this string (its values are Python
    expressions; quoting keeps ``normal`` or ``--uenv=...`` from being evaluated)."""
    return repr(value)


class _Dumper(yaml.SafeDumper):
    """Strings that contain a single quote (default-resource values) are written in double
    quotes, which reads as what Snakemake gets: ``"'normal'"``."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else ('"' if "'" in value else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _yaml(data: dict[str, object]) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     width=10_000)


def plugin_guard(name: str, executor: str) -> dict[str, object]:
    """Profile keys that stop ``snakemake --profile NAME`` with the fix when the executor
    plugin is missing (Snakemake itself only says "invalid choice" for ``--executor``).

    Snakemake processes a profile with yte when it starts with ``__use_yte__: true``; the
    ``__definitions__`` statements run before any option is parsed.
    """
    module = f"snakemake_executor_plugin_{executor.replace('-', '_')}"
    package = f"snakemake-executor-plugin-{executor}"
    code = ("import importlib.util\n"
            f"if importlib.util.find_spec({module!r}) is None:\n"
            f"    raise SystemExit('snakemake --profile {name} needs {package}, which is not "
            f"installed: pip install {package}')\n")
    return {"__use_yte__": True, "__definitions__": [code]}


def _default_runtime(site: SiteFacts) -> int:
    cap = site.partition()[1].max_minutes
    return min(DEFAULT_RUNTIME, cap) if cap else DEFAULT_RUNTIME


def _slurm(site: SiteFacts, node: NodeType, name: str) -> dict[str, object]:
    partition, _ = site.partition()
    resources: dict[str, object] = {"slurm_partition": _quoted(str(partition))}
    if site.account_required:
        resources["slurm_account"] = _quoted(f"${ACCOUNT_ENV}")
    # No --mem: Snakemake's default (1000 MB) would cap whole-node builds; 0 makes the plugin
    # leave memory to the partition's default (the whole node on exclusive nodes).
    resources["mem_mb"] = 0
    resources["runtime"] = _default_runtime(site)
    # One-node jobs: a node type's --nodelist gets its first host (NodeType.hosts_for).
    extra = site.slurm_options(node, 1)
    if extra:
        resources["slurm_extra"] = _quoted(" ".join(extra))
    return {"executor": "slurm", "jobs": DEFAULT_JOBS, "latency-wait": 60,
            "configfile": SITE_CONFIG_FILE, "default-resources": resources}


def qsub_command(site: SiteFacts) -> str:
    """The cluster-generic submit command: every PBS option from a job resource."""
    parts = ["mkdir -p .snakemake/pbs-logs &&", "qsub", "-q {resources.queue}",
             "-A {resources.account}", "-l select={resources.nodes}", "-l place=scatter",
             "-l walltime={resources.walltime}"]
    if site.filesystems:
        parts.append(f"-l filesystems={site.filesystems}")
    parts += ["-N {rule}", "-j oe", "-o .snakemake/pbs-logs/{rule}-{jobid}.log"]
    return " ".join(parts)


def _pbs(site: SiteFacts) -> dict[str, object]:
    queue, _ = site.partition()
    runtime = _default_runtime(site)
    resources: dict[str, object] = {"queue": _quoted(str(queue))}
    if site.account_required:
        resources["account"] = _quoted(f"${ACCOUNT_ENV}")
    resources.update(nodes=1, runtime=runtime, walltime=_quoted(hhmmss(runtime)))
    return {"executor": "cluster-generic", "jobs": DEFAULT_JOBS, "latency-wait": 60,
            "cluster-generic-submit-cmd": qsub_command(site),
            "cluster-generic-status-cmd": STATUS_SCRIPT,
            "cluster-generic-cancel-cmd": "qdel",
            "configfile": SITE_CONFIG_FILE, "default-resources": resources}


def _site_config(site: SiteFacts, node: NodeType) -> str:
    data: dict[str, object] = {"site": site.name}
    if node.name not in (site.default_node_type, "default"):
        data["node_type"] = node.name
    return ("# Workflow config this profile passes with --configfile (see config.yaml).\n"
            + _yaml(data))


def site_profiles(site: SiteFacts) -> list[Profile]:
    """The profiles of one site: one per node type, the default type's named after the site."""
    nodes = [site.node_type()] + [n for k, n in sorted(site.node_types.items())
                                  if k != site.default_node_type]
    result = []
    for node in nodes:
        name = site.name if node.name == site.node_type().name else f"{site.name}-{node.name}"
        body: dict[str, object]
        if site.scheduler == "local":
            body = {"cores": "all", "configfile": SITE_CONFIG_FILE}
            what, executor = "Jobs run as local processes; nothing is submitted.", None
        elif site.scheduler == "slurm":
            where = f" on {node.name} nodes ({node.nodelist})" if node.nodelist else ""
            body = _slurm(site, node, name)
            what, executor = f"Jobs are submitted with sbatch (Slurm executor plugin){where}.", \
                "slurm"
        elif site.scheduler == "pbspro":
            body = _pbs(site)
            what, executor = "Jobs are submitted with qsub (cluster-generic plugin).", \
                "cluster-generic"
        else:
            raise InputError(f"site {site.name}: no Snakemake profile for scheduler "
                             f"{site.scheduler!r}", site.path)
        if executor:
            body = {**plugin_guard(name, executor), **body}
        files = {"config.yaml": _header(site, name, what) + _yaml(body),
                 SITE_CONFIG_FILE: _site_config(site, node)}
        if executor == "cluster-generic":
            files[STATUS_SCRIPT] = Path(pbs_status.__file__).read_text(encoding="utf-8")
        result.append(Profile(name, site.name, executor, files))
    return result


def profiles(sites: Iterable[str] = (), root: Path = SITE_CONFIGS) -> list[Profile]:
    """Profiles of the given sites (all known sites when none are given)."""
    names = list(sites) or known_sites(root)
    return [p for s in names for p in site_profiles(load_site(s, root))]


def file_mode(name: str) -> int:
    """Mode of a generated file: the status script must be executable."""
    return EXECUTABLE if name.endswith(".py") else 0o644


def committed_dir(profile: Profile, root: Path = SITE_CONFIGS) -> Path:
    """Where the committed copy lives: ``xaas_parsl/site_configs/<site>/snakemake/<profile>/``."""
    return root / profile.site / PROFILE_DIR / profile.name


def _write(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        path.chmod(file_mode(name))


def stale_files(profile: Profile, directory: Path) -> list[Path]:
    """Files of ``profile`` that are missing in ``directory``, differ, or lack their mode."""
    stale = []
    for name, text in profile.files.items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text or \
                (file_mode(name) == EXECUTABLE and not os.access(path, os.X_OK)):
            stale.append(path)
    return stale


def generate(sites: Iterable[str] = (), root: Path = SITE_CONFIGS,
             check: bool = False) -> list[Path]:
    """Write the committed profiles (or, with ``check``, list the stale files only)."""
    changed: list[Path] = []
    for profile in profiles(sites, root):
        directory = committed_dir(profile, root)
        stale = stale_files(profile, directory)
        changed += stale
        if stale and not check:
            _write(directory, profile.files)
    return changed


def user_profile_dir() -> Path:
    """Snakemake's per-user profile directory, computed as Snakemake computes it
    (``platformdirs.AppDirs("snakemake", "snakemake").user_config_dir``: honours
    ``XDG_CONFIG_HOME``)."""
    from platformdirs import AppDirs

    return Path(AppDirs("snakemake", "snakemake").user_config_dir)


def plugin_installed(executor: str) -> bool:
    """Whether Snakemake's own plugin registry knows the executor (the check ``--profile``
    will make, so an install never promises a profile Snakemake then refuses)."""
    from snakemake_interface_executor_plugins.registry import (  # type: ignore[import-untyped]
        ExecutorPluginRegistry,
    )

    return bool(ExecutorPluginRegistry().is_installed(executor))


def missing_plugins(chosen: Iterable[Profile],
                    is_installed: Callable[[str], bool] | None = None) -> list[Profile]:
    """Profiles whose executor plugin is not installed."""
    check = is_installed or plugin_installed
    return [p for p in chosen if p.executor and not check(p.executor)]


@dataclass(frozen=True)
class Installed:
    """What ``install`` did with one profile."""

    profile: Profile
    path: Path
    action: str          # "installed", "updated" or "unchanged"


def install(sites: Iterable[str] = (), dest: Path | None = None, force: bool = False,
            is_installed: Callable[[str], bool] | None = None) -> list[Installed]:
    """Copy the profiles of ``sites`` (default: all) into ``dest`` (default: Snakemake's user
    profile directory). Nothing is written when a plugin is missing or when a file would
    replace one the user changed (unless ``force``): either is a one-line error naming the
    fix."""
    chosen = profiles(sites)
    missing = missing_plugins(chosen, is_installed)
    if missing:
        packages = sorted({str(p.plugin_package) for p in missing})
        raise XaasError(
            f"profile {', '.join(p.name for p in missing)} needs {', '.join(packages)}, which "
            f"is not installed: pip install {' '.join(packages)} (both are dependencies of "
            "xaas-parsl: pip install -e . installs them), or install other sites with --site")
    target = dest or user_profile_dir()
    plan = []
    for profile in chosen:
        directory = target / profile.name
        stale = stale_files(profile, directory)
        existing = [p for p in stale if p.exists()]
        if existing and not force:
            raise XaasError(f"{existing[0]} exists and differs from the {profile.name} profile: "
                            "pass --force to replace it, or --dest DIR to install elsewhere")
        action = "unchanged" if not stale else ("updated" if existing else "installed")
        plan.append(Installed(profile, directory, action))
    for item in plan:
        if item.action != "unchanged":
            _write(item.path, item.profile.files)
    return plan
