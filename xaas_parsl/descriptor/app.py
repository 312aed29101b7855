"""The application descriptor: one ``app.yaml`` used by the demo, IR builds and containers.

It names the CMake source tree, the specialization-points file, the options varied by IR
builds and containers (the *matrix*: booleans × selects, in order), options fixed for every
configuration, and the tests that check an installed build. Configuration names are the selected
values joined with ``+`` in matrix order (a boolean contributes its name when on):
``AVX_512``, ``OPENMP+AVX_512``.

``source`` is relative to the descriptor, absolute, or ``{sources}/<project>/...``: a tree that
:mod:`xaas_parsl.sources` fetches from a package registry into its cache, so a descriptor shipped
inside the package (``gromacs``, ``llama.cpp``) does not depend on where the package is installed.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from xaas_parsl.budget import MAX_CONFIGS, check_count
from xaas_parsl.errors import InputError
from xaas_parsl.fileio import load_yaml, validate
from xaas_parsl.intersection.simd import normalise_arch
from xaas_parsl.packaged import BUNDLED_APPS as BUNDLED_APPS  # re-exported
from xaas_parsl.safety import config_name
from xaas_parsl.spec import SpecPoints, load_spec


@dataclass(frozen=True)
class MatrixOption:
    """One varied option: ``bool`` (off/on) or ``select`` (one of ``values``).

    A select value either sets ``option`` to itself (``GMX_SIMD=AVX_512``) or, when the
    project spreads one choice over several switches, is a *preset* with its own CMake
    options (llama.cpp's ``AVX512`` = ``GGML_AVX512=ON`` + ``GGML_AVX2=ON`` + ...); ``presets``
    maps such values to their options.
    """

    name: str
    kind: str
    option: str
    values: tuple[str, ...] = ()
    arch: tuple[tuple[str, str], ...] = ()
    presets: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    def options_for(self, value: str) -> tuple[tuple[str, str], ...]:
        """The CMake options that select ``value`` (a preset's, else ``option=value``)."""
        return dict(self.presets).get(value, ((self.option, value),))

    def cmake_options(self) -> set[str]:
        """Every CMake option this matrix entry sets."""
        names = {self.option} if self.option else set()
        return names | {k for _, opts in self.presets for k, _ in opts}

    def value_of(self, given: dict[str, str]) -> str | None:
        """The select value whose options all appear in ``given`` (``-D`` name → value)."""
        for value in self.values:
            opts = self.options_for(value)
            if all(k in given and _same(given[k], v) for k, v in opts):
                return value
        return None

    def values_for(self, arch: str) -> tuple[str, ...]:
        """Select values usable on ``arch`` (values without an arch entry are portable)."""
        archs = dict(self.arch)
        return tuple(v for v in self.values if normalise_arch(archs.get(v, arch)) == arch)


def _same(a: str, b: str) -> bool:
    """CMake values equal, booleans compared by meaning (``ON`` = ``TRUE`` = ``1``)."""
    truthy, falsy = {"ON", "TRUE", "1", "YES"}, {"OFF", "FALSE", "0", "NO"}
    ua, ub = a.upper(), b.upper()
    return a == b or (ua in truthy and ub in truthy) or (ua in falsy and ub in falsy)


@dataclass(frozen=True)
class Test:
    """A check run from the install prefix's ``bin/`` after a build."""

    name: str
    command: tuple[str, ...]
    expect: str | None = None
    mpi_ranks: int | None = None


@dataclass(frozen=True)
class Configuration:
    """One point of the matrix (or an opt-in configuration): its name and CMake options.

    ``opt_in`` configurations (the GPU ones) are built only when named; ``toolchain`` names
    the extra toolchain they need (``cuda``: clang-19's CUDA with the wheel-installed CUDA 12).
    """

    name: str
    options: tuple[tuple[str, str], ...]
    opt_in: bool = False
    toolchain: str | None = None

    def cmake_args(self) -> list[str]:
        """``-DOPTION=value`` for every option of this configuration."""
        return [f"-D{k}={v}" for k, v in self.options]


@dataclass(frozen=True)
class AppDescriptor:
    """A loaded, validated ``app.yaml`` with paths resolved."""

    name: str
    version: str
    description: str
    path: Path
    source: Path
    spec_path: Path
    cmake_args: tuple[str, ...]
    targets: tuple[str, ...]
    matrix: tuple[MatrixOption, ...]
    fixed: tuple[tuple[str, str], ...]
    tests: tuple[Test, ...]
    opt_in: tuple[Configuration, ...] = ()

    def spec(self) -> SpecPoints:
        """The app's specialization points."""
        return load_spec(self.spec_path)

    def configurations(self, arch: str) -> list[Configuration]:
        """All matrix configurations buildable on ``arch``, in matrix order."""
        arch = normalise_arch(arch)
        axes: list[list[tuple[str | None, tuple[tuple[str, str], ...]]]] = []
        for opt in self.matrix:
            if opt.kind == "bool":
                axes.append([(None, ((opt.option, "OFF"),)), (opt.name, ((opt.option, "ON"),))])
            else:
                axes.append([(v, opt.options_for(v)) for v in opt.values_for(arch)])
        # 24 bool flags are 16.7 M configurations: refused before itertools.product runs
        check_count(math.prod(len(axis) for axis in axes), "matrix of configurations",
                    self.path, MAX_CONFIGS)
        configs = []
        for combo in itertools.product(*axes):
            label = config_name("+".join(part for part, _ in combo if part) or "default",
                                self.path)
            options = tuple(o for _, opts in combo for o in opts) + self.fixed
            configs.append(Configuration(label, options))
        return configs

    def opt_in_configurations(self, arch: str) -> list[Configuration]:
        """Opt-in configurations (GPU builds): never in ``configurations``, built when named.

        Their options override the fixed ones (``HEAT2D_GPU=CUDA`` over ``OFF``); ``arch``
        is accepted for symmetry: they use only portable matrix values.
        """
        del arch
        out = []
        for config in self.opt_in:
            options = dict(self.fixed)
            options.update(config.options)
            out.append(Configuration(config.name, tuple(options.items()), True,
                                     config.toolchain))
        return out

    def config_name(self, cmake_args: list[str]) -> str:
        """Name of the matrix configuration that ``cmake_args`` select (matrix order).

        Options the arguments do not set count as off (bool) or are left out (select), so the
        chosen configuration of an intersection can be matched with prebuilt IR bundles.
        """
        given: dict[str, str] = {}
        for arg in cmake_args:
            if arg.startswith("-D") and "=" in arg:
                name, val = arg[2:].split("=", 1)
                given[name.split(":", 1)[0]] = val
        parts = []
        for opt in self.matrix:
            if opt.kind == "select" and opt.presets:
                chosen = opt.value_of(given)
                if chosen is not None:
                    parts.append(chosen)
                continue
            value = given.get(opt.option)
            if value is None:
                continue
            if opt.kind == "bool" and value.upper() in {"ON", "TRUE", "1"}:
                parts.append(opt.name)
            elif opt.kind == "select":
                parts.append(value)
        return "+".join(parts) or "default"


@cache
def app_schema() -> dict[str, Any]:
    """JSON Schema of ``app.yaml``."""
    text = resources.files("xaas_parsl.schemas").joinpath("app.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


#: Prefix of a ``source`` inside the fetched-sources cache (:func:`xaas_parsl.sources.cache_dir`).
SOURCES_PREFIX = "{sources}/"


def source_path(source: str, base: Path) -> Path:
    """The CMake source tree a descriptor's ``source`` names (see the module docstring)."""
    if source.startswith(SOURCES_PREFIX):
        from xaas_parsl.sources import cache_dir

        return (cache_dir() / source.removeprefix(SOURCES_PREFIX)).resolve()
    return (base / source).resolve()


def load_app(path: str | Path) -> AppDescriptor:
    """Load and validate an ``app.yaml`` (a directory means ``<dir>/app.yaml``)."""
    p = Path(path)
    if p.is_dir():
        p = p / "app.yaml"
    data = load_yaml(p)
    if not isinstance(data, dict):
        raise InputError("an app descriptor must be a mapping", p)
    validate(data, app_schema(), p, "app descriptor")
    base = p.resolve().parent
    source = source_path(data["source"], base)
    spec_path = (base / data["specialization_points"]).resolve()
    if not (source / "CMakeLists.txt").is_file():
        raise InputError(f"source {data['source']!r} has no CMakeLists.txt", p)
    if not spec_path.is_file():
        raise InputError(f"specialization points {data['specialization_points']!r} not found", p)
    build = data.get("build", {})
    return AppDescriptor(
        name=data["name"],
        version=data["version"],
        description=data.get("description", ""),
        path=p.resolve(),
        source=source,
        spec_path=spec_path,
        cmake_args=tuple(build.get("cmake_args", ())),
        targets=tuple(build.get("targets", ())),
        matrix=tuple(_matrix_option(m, p) for m in data.get("matrix", ())),
        fixed=tuple((k, str(v)) for k, v in data.get("fixed", {}).items()),
        tests=tuple(
            Test(t["name"], tuple(t["command"]), t.get("expect"), t.get("mpi_ranks"))
            for t in data.get("tests", ())
        ),
        opt_in=tuple(Configuration(c["name"], tuple((k, str(v)) for k, v in
                                                    c["options"].items()),
                                   True, c.get("toolchain"))
                     for c in data.get("opt_in", ())),
    )


def _matrix_option(m: dict[str, Any], path: Path) -> MatrixOption:
    """A validated matrix entry; select values may be names or ``{name, options}`` presets."""
    names: list[str] = []
    presets: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    if m["kind"] == "bool":  # an "on" bool names configurations
        config_name(m["name"], path, f"matrix entry name {m['name']!r}")
    for v in m.get("values", ()):
        if isinstance(v, dict):
            names.append(config_name(v["name"], path, f"matrix {m['name']!r} value"))
            presets.append((v["name"], tuple((k, str(x)) for k, x in v["options"].items())))
        elif not m.get("option"):
            raise InputError(f"matrix entry {m['name']!r}: value {v!r} needs 'option' "
                             "(or give the value as {name, options})", path)
        else:
            names.append(config_name(v, path, f"matrix {m['name']!r} value"))
    return MatrixOption(m["name"], m["kind"], m.get("option", ""), tuple(names),
                        tuple(sorted(m.get("arch", {}).items())), tuple(presets))


def bundled_app(name: str = "heat2d") -> AppDescriptor:
    """A bundled example application by name (``xaas_parsl/bundled_apps/<name>/app.yaml``)."""
    path = BUNDLED_APPS / name / "app.yaml"
    if not path.is_file():
        known = sorted(d.name for d in BUNDLED_APPS.iterdir()) if BUNDLED_APPS.is_dir() else []
        raise InputError(f"no bundled app {name!r} (known: {', '.join(known) or 'none'})", path)
    return load_app(path)
