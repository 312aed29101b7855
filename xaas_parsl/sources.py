"""Fetch real CMake projects from package registries into a local cache.

Why: specialization discovery must be measured on real build systems, not on fixtures we wrote
ourselves, and this machine reaches only package registries (PyPI, Debian). Each project is
therefore taken from a registry package that ships its full CMake tree — a Debian source package
(``apt-get source --download-only``) or a PyPI sdist that vendors the C/C++ code — and unpacked
once into ``<cache>/<name>/`` (``$XAAS_SOURCES_CACHE``, else ``~/.cache/xaas-parsl/sources``). Later
calls find it there and only return the CMake project root, so tests, benchmarks and the
Snakemake rules (``xaas_fetch_source``) can call :func:`fetch` freely. App descriptors name a
fetched tree as ``source: "{sources}/<name>/..."`` (see :mod:`xaas_parsl.descriptor.app`).

Run: ``python -m xaas_parsl.sources fetch [NAME...]`` (all projects without names),
``python -m xaas_parsl.sources list``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from xaas_parsl.discovery.runner import default_cache_dir
from xaas_parsl.packaged import BUNDLED_APPS, GROUND_TRUTH

#: Environment variable naming the cache directory (default ``~/.cache/xaas-parsl/sources``).
CACHE_ENV = "XAAS_SOURCES_CACHE"

META_NAME = ".xaas-source.json"
DEB_SRC_FILE = Path("/etc/apt/sources.list.d/xaas-deb-src.sources")
APT_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))

Kind = Literal["debian", "pypi", "local"]


class FetchError(RuntimeError):
    """A project could not be fetched; the message says what to do about it."""


@dataclass(frozen=True)
class Project:
    """One real CMake project and where it comes from.

    ``root`` is the CMake project root relative to the unpacked archive's top directory (the
    directory holding the top ``CMakeLists.txt``), or, for a ``local`` project, the bundled
    app's directory name; a specialization-points file describes that root, not a wrapper
    (llama-cpp-python's sdist is a Python package whose real CMake tree is ``vendor/llama.cpp``).
    ``ground_truth`` is a file name under ``xaas_parsl/spec/ground_truth/`` (a path for a
    ``local`` project: relative to its bundled app directory).
    """

    name: str
    kind: Kind
    package: str
    version: str
    root: str
    licence: str
    description: str
    ground_truth: str | None = None
    no_binary: str = ":all:"

    @property
    def origin(self) -> str:
        """The exact command that obtains the archive (recorded for provenance)."""
        if self.kind == "debian":
            return f"apt-get source --download-only {self.package}={self.version}"
        if self.kind == "pypi":
            return (
                f"pip download --no-deps --no-binary {self.no_binary} "
                f"{self.package}=={self.version}"
            )
        return f"bundled with xaas-parsl: {self.root}"


PROJECTS: dict[str, Project] = {
    p.name: p
    for p in (
        Project(
            "gromacs-2022.5", "debian", "gromacs", "2022.5-2", "",
            "LGPL-2.1-or-later", "molecular dynamics (SIMD, CUDA/OpenCL/SYCL, MPI, FFT, BLAS)",
            ground_truth="gromacs-2022.5.json",
        ),
        Project(
            "llama.cpp", "pypi", "llama-cpp-python", "0.3.36", "vendor/llama.cpp",
            "MIT", "LLM inference (ggml: per-instruction SIMD, many GPU backends, BLAS)",
            ground_truth="llama.cpp.json",
        ),
        Project(
            "whisper.cpp", "pypi", "pywhispercpp", "1.5.1", "whisper.cpp",
            "MIT", "whisper.cpp 1.8.5 vendored by the sdist (ggml: SIMD, GPU backends, BLAS)",
            ground_truth="whisper.cpp.json",
            # ':all:' would also build pywhispercpp's build requirements (cmake!) from source
            no_binary="pywhispercpp",
        ),
        Project(
            "sundials-6.4.1", "debian", "sundials", "6.4.1+dfsg1-3", "",
            "BSD-3-Clause", "ODE/DAE solvers (CUDA/HIP/SYCL/RAJA, MPI, OpenMP, LAPACK, ...)",
            ground_truth="sundials-6.4.1.json",
        ),
        Project(
            "lammps", "debian", "lammps", "20220106.git7586adbb6a+ds1-2", "cmake",
            "GPL-2.0-only", "molecular dynamics (GPU package, MPI, OpenMP, FFT); no GT",
        ),
        Project(
            "heat2d", "local", "heat2d", "bundled", "heat2d",
            "BSD-3-Clause", "bundled example app (its specialization-points.json is the GT)",
            ground_truth="heat2d/specialization-points.json",
        ),
    )
}


def cache_dir() -> Path:
    """Where unpacked projects live (``$XAAS_SOURCES_CACHE``, else
    ``~/.cache/xaas-parsl/sources`` beside the other caches of the project)."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else default_cache_dir() / "sources"


def _run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command (argument list, never a shell) and capture its output."""
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def _check(proc: subprocess.CompletedProcess[str], what: str) -> None:
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        raise FetchError(f"{what} failed (exit {proc.returncode}):\n" + "\n".join(tail))


def _apt_source_files() -> Iterator[Path]:
    for entry in APT_SOURCES:
        if entry.is_file():
            yield entry
        elif entry.is_dir():
            yield from sorted(p for p in entry.iterdir() if p.suffix in {".list", ".sources"})


def has_bookworm_deb_src() -> bool:
    """Whether any apt source (one-line or deb822) already offers ``deb-src`` for bookworm."""
    for path in _apt_source_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".list":
            for line in text.splitlines():
                words = line.split()
                if words[:1] == ["deb-src"] and "bookworm" in words:
                    return True
            continue
        for stanza in text.split("\n\n"):
            fields = _deb822_fields(stanza)
            if "deb-src" in fields.get("types", "").split() and "bookworm" in fields.get(
                "suites", ""
            ).split() and fields.get("enabled", "yes").lower() != "no":
                return True
    return False


def _deb822_fields(stanza: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in stanza.splitlines():
        if line.startswith("#") or ":" not in line or line[:1].isspace():
            continue
        key, _, value = line.partition(":")
        fields[key.strip().lower()] = value.strip()
    return fields


def _debian_entry() -> dict[str, str]:
    """URIs and Signed-By of the existing Debian (non-security) binary entry, to mirror them."""
    for path in _apt_source_files():
        if path.suffix != ".sources":
            continue
        for stanza in path.read_text(encoding="utf-8").split("\n\n"):
            fields = _deb822_fields(stanza)
            if "bookworm" in fields.get("suites", "").split() and "uris" in fields:
                return fields
    return {"uris": "http://deb.debian.org/debian",
            "signed-by": "/usr/share/keyrings/debian-archive-keyring.gpg"}


def ensure_deb_src() -> None:
    """Add a bookworm ``deb-src`` entry and refresh apt's lists if none exists (needs root)."""
    if has_bookworm_deb_src():
        return
    if os.geteuid() != 0:
        raise FetchError(
            "no deb-src entry for bookworm and not root. As root, write "
            f"{DEB_SRC_FILE} with 'Types: deb-src', 'URIs: http://deb.debian.org/debian', "
            "'Suites: bookworm', 'Components: main', 'Signed-By: "
            "/usr/share/keyrings/debian-archive-keyring.gpg', then run 'apt-get update'."
        )
    entry = _debian_entry()
    DEB_SRC_FILE.write_text(
        "Types: deb-src\n"
        f"URIs: {entry['uris']}\n"
        "Suites: bookworm\n"
        "Components: main\n"
        f"Signed-By: {entry.get('signed-by', '/usr/share/keyrings/debian-archive-keyring.gpg')}\n",
        encoding="utf-8",
    )
    _check(_run(["apt-get", "update"]), "apt-get update")


def _download_debian(project: Project, into: Path) -> list[Path]:
    """``apt-get source --download-only``; returns the upstream tarball(s), main first."""
    ensure_deb_src()
    spec = f"{project.package}={project.version}"
    proc = _run(["apt-get", "source", "--download-only", spec], cwd=into)
    if proc.returncode != 0 and os.geteuid() == 0:
        _check(_run(["apt-get", "update"]), "apt-get update")  # stale lists: retry once
        proc = _run(["apt-get", "source", "--download-only", spec], cwd=into)
    _check(proc, f"apt-get source --download-only {spec}")
    upstream = project.version.rsplit("-", 1)[0].split(":")[-1]
    main = sorted(into.glob(f"{project.package}_{upstream}.orig.tar.*"))
    if not main:
        found = sorted(p.name for p in into.iterdir())
        raise FetchError(f"no {project.package}_{upstream}.orig.tar.* among {found}")
    return main


def _download_pypi(project: Project, into: Path) -> list[Path]:
    """``pip download`` of the sdist only (the vendored C/C++ tree is what we want)."""
    args = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", project.no_binary,
            "--disable-pip-version-check", "-d", str(into), f"{project.package}=={project.version}"]
    _check(_run(args), " ".join(args[2:]))
    archives = sorted(p for p in into.iterdir() if p.name.endswith((".tar.gz", ".tar.bz2", ".tgz")))
    if not archives:
        raise FetchError(f"pip download left no sdist tarball in {into}")
    return archives


def _unpack(archive: Path, dest: Path) -> Path:
    """Extract safely (tarfile ``filter='data'``: no absolute paths, links out, devices)."""
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    tops = [p for p in dest.iterdir() if p.is_dir()]
    return tops[0] if len(tops) == 1 else dest


def _find_cmake_root(top: Path, hint: str) -> Path:
    root = top / hint if hint else top
    if (root / "CMakeLists.txt").is_file():
        return root
    found = sorted(top.rglob("CMakeLists.txt"), key=lambda p: len(p.parts))
    if not found:
        raise FetchError(f"no CMakeLists.txt under {top}")
    return found[0].parent


def _meta(project: Project, root: Path, archives: Iterable[Path]) -> dict[str, object]:
    data: dict[str, object] = asdict(project)
    data.update(origin=project.origin, root_path=str(root),
                archives={a.name: a.stat().st_size for a in archives})
    return data


def ground_truth_path(name: str) -> Path | None:
    """The project's ground-truth specialization-points file, or None (run-only project)."""
    project = PROJECTS[name]
    if project.ground_truth is None:
        return None
    base = BUNDLED_APPS if project.kind == "local" else GROUND_TRUTH
    return base / project.ground_truth


def cached_root(name: str) -> Path | None:
    """The project root if ``name`` is already unpacked in the cache, else None."""
    project = PROJECTS[name]
    if project.kind == "local":
        return BUNDLED_APPS / project.root
    meta = cache_dir() / name / META_NAME
    if not meta.is_file():
        return None
    root = Path(json.loads(meta.read_text(encoding="utf-8"))["root_path"])
    return root if root.is_dir() else None


@contextmanager
def _progress(console: Console | None) -> Iterator[Progress]:
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console or Console(stderr=True), transient=False) as bar:
        yield bar


def fetch(name: str, progress: Progress | None = None) -> Path:
    """Fetch (or find cached) project ``name`` and return its CMake project root."""
    if name not in PROJECTS:
        raise FetchError(f"unknown project {name!r}; known: {', '.join(PROJECTS)}")
    root = cached_root(name)
    if root is not None:
        return root
    project = PROJECTS[name]
    target = cache_dir() / name
    cache_dir().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".tmp-{name}-", dir=cache_dir()) as tmp:
        work = Path(tmp)
        downloads = work / "download"
        downloads.mkdir()
        task = progress.add_task(f"{name}: {project.origin}", total=None) if progress else None
        if project.kind == "debian":
            archives = _download_debian(project, downloads)
        else:
            archives = _download_pypi(project, downloads)
        if progress is not None and task is not None:
            progress.update(task, description=f"{name}: unpacking {archives[0].name}")
        staged = work / "unpacked"
        staged.mkdir()
        top = _unpack(archives[0], staged)
        if target.exists():
            shutil.rmtree(target)
        staged.rename(target)
        _keep_components(project, downloads, target)
        root = _find_cmake_root(target / top.relative_to(staged), project.root)
        (target / META_NAME).write_text(
            json.dumps(_meta(project, root, archives), indent=2) + "\n", encoding="utf-8"
        )
        (cache_dir() / f"READY-{name}").write_text(f"{root}\n", encoding="utf-8")
        if progress is not None and task is not None:
            progress.update(task, description=f"{name}: ready at {root}", total=1, completed=1)
    return root


def _components(project: Project, where: Path) -> list[Path]:
    upstream = project.version.rsplit("-", 1)[0].split(":")[-1]
    return sorted(where.glob(f"{project.package}_{upstream}.orig-*.tar.*"))


def _keep_components(project: Project, downloads: Path, target: Path) -> None:
    """Keep a Debian source package's extra upstream tarballs (``orig-<component>``, e.g.
    GROMACS' regression tests) next to the unpacked tree: they are data its checks need."""
    for extra in _components(project, downloads):
        shutil.move(extra, target / extra.name)


def component_archive(name: str, component: str) -> Path:
    """The ``<package>_<version>.orig-<component>.tar.*`` tarball of a fetched Debian project
    (GROMACS' ``regressiontests``), downloaded again when the cache predates keeping them."""
    project = PROJECTS[name]
    if project.kind != "debian":
        raise FetchError(f"{name} is not a Debian source package: no component tarballs")
    fetch(name)
    target = cache_dir() / name
    found = [p for p in _components(project, target) if f".orig-{component}.tar." in p.name]
    if not found:
        with tempfile.TemporaryDirectory(prefix=f".tmp-{name}-", dir=cache_dir()) as tmp:
            _download_debian(project, Path(tmp))
            _keep_components(project, Path(tmp), target)
        found = [p for p in _components(project, target) if f".orig-{component}.tar." in p.name]
    if not found:
        raise FetchError(f"{project.origin} has no orig-{component} tarball")
    return found[0]


def fetch_all(names: Iterable[str], console: Console | None = None) -> dict[str, Path]:
    """Fetch several projects under one rich progress display."""
    roots: dict[str, Path] = {}
    with _progress(console) as bar:
        for name in names:
            roots[name] = fetch(name, bar)
    return roots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    get = sub.add_parser("fetch", help="download and unpack (cached)")
    get.add_argument("names", nargs="*", help=f"default: all of {', '.join(PROJECTS)}")
    sub.add_parser("list", help="projects, origins, cache state")
    args = parser.parse_args(argv)
    console = Console()
    if args.command == "list":
        table = Table("project", "origin", "licence", "ground truth", "cached root")
        for p in PROJECTS.values():
            table.add_row(p.name, p.origin, p.licence, p.ground_truth or "-",
                          str(cached_root(p.name) or "-"))
        console.print(table)
        return 0
    try:
        roots = fetch_all(args.names or list(PROJECTS), console)
    except FetchError as exc:
        console.print(f"[red]error:[/red] {exc}")
        return 1
    for name, root in roots.items():
        console.print(f"{name}: {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
