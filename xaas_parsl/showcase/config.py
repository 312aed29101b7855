"""The showcase's settings: one YAML file (``config.yaml`` beside this module) plus overrides.

Both doors read the same file, so the Snakefile and the Parsl script cannot drift apart in
problem sizes. Unknown keys and bad values are ``InputError``s naming the file: a typo in
``flare_size`` must not silently run the default.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from xaas_parsl.errors import InputError
from xaas_parsl.fileio import load_yaml
from xaas_parsl.packaged import data_path

DEFAULT_CONFIG = data_path("showcase", "config.yaml")
DEPLOY_MODES = ("auto", "container", "native")


@dataclass(frozen=True)
class ShowcaseConfig:
    """Problem sizes and choices of one showcase run (all JSON-able)."""

    site: str = "local"
    app: str = "heat2d"
    deploy: str = "auto"           # auto: container when a Docker engine answers, else native
    grid: int = 256                # heat2d grid (grid x grid) for the kernel timings
    steps: int = 200
    rounds: int = 11               # interleaved timing rounds per configuration
    flare_size: int = 8
    flare_granularity: int = 4
    flare_grid: int = 128          # the heat2d grid each flare worker solves
    flare_steps: int = 20
    flow_benchmark: str = "620.func-invo"
    flow_size: str = "test"
    flow_mode: str = "warm"
    flow_reps: int = 2
    builds: str = ""               # IR bundles/deployments ("" = <output>/builds)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_INTS = {f.name for f in fields(ShowcaseConfig) if f.type == "int"}


def check(cfg: ShowcaseConfig, where: str | Path) -> ShowcaseConfig:
    """``cfg`` if every value makes sense, else the ``InputError`` naming the first problem."""
    from xaas_parsl.flow.bench import MODES
    from xaas_parsl.flow.benchmarks import SIZES
    from xaas_parsl.sites.facts import known_sites

    for name in _INTS:
        value = getattr(cfg, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name} must be a positive integer, got {value!r}", where)
    if cfg.deploy not in DEPLOY_MODES:
        raise InputError(f"deploy must be one of {', '.join(DEPLOY_MODES)}, got "
                         f"{cfg.deploy!r}", where)
    if cfg.flow_size not in SIZES:
        raise InputError(f"flow_size must be one of {', '.join(SIZES)}, got {cfg.flow_size!r}",
                         where)
    if cfg.flow_mode not in MODES:
        raise InputError(f"flow_mode must be one of {', '.join(MODES)}, got {cfg.flow_mode!r}",
                         where)
    sites = known_sites()
    if cfg.site not in sites and not cfg.site.endswith((".yaml", ".yml")):
        raise InputError(f"unknown site {cfg.site!r}: known sites are {', '.join(sites)}",
                         where)
    return cfg


def from_dict(data: dict[str, Any], where: str | Path) -> ShowcaseConfig:
    """A checked config from a mapping (unknown keys are errors)."""
    known = {f.name for f in fields(ShowcaseConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(f"unknown showcase setting {unknown[0]!r} (known: "
                         f"{', '.join(sorted(known))})", where)
    values = dict(data)
    for name in _INTS & set(values):  # Snakemake --config passes strings of digits
        if isinstance(values[name], str) and values[name].isdigit():
            values[name] = int(values[name])
    for name in known - _INTS:
        if name in values and values[name] is not None:
            values[name] = str(values[name])
    return check(ShowcaseConfig(**{k: v for k, v in values.items() if v is not None}), where)


def load_config(path: str | Path | None = None, **overrides: Any) -> ShowcaseConfig:
    """The settings in ``path`` (default: the workflow's config.yaml) with ``overrides``."""
    where = Path(path) if path else DEFAULT_CONFIG
    data = load_yaml(where) if where.is_file() or path else {}
    if not isinstance(data, dict):
        raise InputError("a showcase config must be a mapping of settings", where)
    data = {k: v for k, v in data.items() if k != "results"}
    data.update({k: v for k, v in overrides.items() if v is not None})
    return from_dict(data, where)
