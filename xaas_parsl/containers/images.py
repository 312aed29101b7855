"""Base images without a registry: debootstrap Debian, tar it, import it; prune deployed images.

No image registry is reachable, so the two base images are made from the configured Debian
mirror: ``toolchain`` (clang-19, LLVM, lld, libomp, CMake, Ninja, Python with the few libraries
``xaas_parsl`` needs inside containers) and ``runtime`` (the slim image deployed apps run in:
libomp and the C++ runtime only). Each is keyed by a hash of (suite, mirror, variant, package
list): the root file system is cached as a tarball named after the key, and the image tag
carries it (``xaas/toolchain:bookworm-<key>``), so a second bootstrap neither runs debootstrap
nor imports anything. Downloaded ``.deb`` files are cached too (``debootstrap --cache-dir``),
one cache per image because both debootstraps run concurrently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xaas_parsl.containers import labels as L
from xaas_parsl.containers.engine import connect, has_image
from xaas_parsl.discovery.runner import default_cache_dir
from xaas_parsl.errors import InputError, ToolError

if TYPE_CHECKING:
    import docker

SOURCES_DIR = Path("/etc/apt/sources.list.d")
SUITE = "bookworm"
VARIANT = "minbase"
KEY_VERSION = 1  # bump when the rootfs post-processing changes

TOOLCHAIN_PACKAGES = (
    "clang-19", "llvm-19", "lld-19", "libomp-19-dev", "cmake", "ninja-build",
    "python3", "python3-yaml", "python3-jsonschema", "python3-rich", "python3-packaging",
)
RUNTIME_PACKAGES = ("libomp5-19",)
TOOLCHAIN_NAME = "clang-19 19.1.7 (Debian bookworm)"
# Trimmed from the root file system before it is tarred: documentation and translations only.
TRIM = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale",
        "var/cache/apt/archives", "var/lib/apt/lists", "var/log")
PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/llvm-19/bin"


@dataclass(frozen=True)
class BaseImage:
    """One base image: its kind, package list and the mirror it comes from."""

    kind: str  # "toolchain" | "runtime"
    packages: tuple[str, ...]
    mirror: str
    suite: str = SUITE

    @property
    def key(self) -> str:
        """12 hex digits identifying the content (suite, mirror, variant, packages)."""
        return L.content_hash({"suite": self.suite, "mirror": self.mirror, "variant": VARIANT,
                               "packages": sorted(self.packages), "v": KEY_VERSION})[:12]

    @property
    def ref(self) -> str:
        """The image tag: ``xaas/<kind>:<suite>-<key>``."""
        return f"xaas/{self.kind}:{self.suite}-{self.key}"


def debian_mirror(sources_dir: Path = SOURCES_DIR) -> str:
    """The Debian mirror of this machine's apt configuration (deb822 ``.sources`` files or
    one-line ``.list`` files), so images come from the same place the host's packages do."""
    env = os.environ.get("XAAS_DEBIAN_MIRROR")
    if env:
        return env.rstrip("/")
    files = sorted(sources_dir.glob("*.sources")) + sorted(sources_dir.glob("*.list"))
    legacy = sources_dir.parent / "sources.list"
    if legacy.is_file():
        files.append(legacy)
    for path in files:
        mirror = mirror_from_text(path.read_text("utf-8", "replace"), path.suffix == ".sources")
        if mirror:
            return mirror
    raise InputError("no Debian mirror with the 'bookworm' suite found in the apt sources "
                     "(set XAAS_DEBIAN_MIRROR)", sources_dir)


def mirror_from_text(text: str, deb822: bool) -> str | None:
    """The first ``deb`` URI serving suite ``bookworm`` in an apt sources text."""
    if deb822:
        for stanza in text.split("\n\n"):
            fields: dict[str, str] = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line or line[:1].isspace():
                    continue
                name, _, value = line.partition(":")
                fields[name.strip().lower()] = value.strip()
            if ("deb" in fields.get("types", "").split()
                    and SUITE in fields.get("suites", "").split() and fields.get("uris")):
                return fields["uris"].split()[0].rstrip("/")
        return None
    for line in text.splitlines():
        words = [w for w in line.split() if not w.startswith("[")] if "[" not in line else \
            line.split("]", 1)[-1].split()
        if line.strip().startswith("deb ") and len(words) >= 2:
            words = words if words[0] != "deb" else words[1:]
            if len(words) >= 2 and words[1] == SUITE:
                return words[0].rstrip("/")
    return None


def base_images(mirror: str | None = None) -> dict[str, BaseImage]:
    """The toolchain and runtime base images for ``mirror`` (default: this machine's)."""
    mirror = mirror or debian_mirror()
    return {"toolchain": BaseImage("toolchain", TOOLCHAIN_PACKAGES, mirror),
            "runtime": BaseImage("runtime", RUNTIME_PACKAGES, mirror)}


def cache_dir() -> Path:
    """Where rootfs tarballs and ``.deb`` files are cached (``XAAS_IMAGE_CACHE`` overrides)."""
    env = os.environ.get("XAAS_IMAGE_CACHE")
    return Path(env) if env else default_cache_dir() / "images"


def tarball(image: BaseImage) -> Path:
    """The cached root file system tarball of ``image``."""
    return cache_dir() / f"{image.kind}-{image.suite}-{image.key}.tar"


def debootstrap_argv(image: BaseImage, root: Path, debs: Path) -> list[str]:
    """The debootstrap command line (minbase + the image's packages, Depends only)."""
    exe = shutil.which("debootstrap") or shutil.which("debootstrap", path="/usr/sbin:/sbin")
    if exe is None:
        raise ToolError("debootstrap not found: apt-get install debootstrap")
    return [exe, f"--variant={VARIANT}", f"--cache-dir={debs}",
            f"--include={','.join(image.packages)}", image.suite, str(root), image.mirror]


def make_tarball(image: BaseImage) -> tuple[Path, float]:
    """Debootstrap ``image`` into a temporary root, trim it, tar it into the cache.

    Written to a temporary name and renamed, so an interrupted run leaves no tarball that a
    later run would trust. Returns the tarball and the seconds it took.
    """
    if os.geteuid() != 0:
        raise ToolError("debootstrap needs root: run `xaas images bootstrap` as root")
    out = tarball(image)
    out.parent.mkdir(parents=True, exist_ok=True)
    # one .deb cache per kind: the two debootstraps run at the same time (see bootstrap)
    debs = out.parent / f"debs-{image.kind}"
    debs.mkdir(exist_ok=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"xaas-{image.kind}-", dir=out.parent) as tmp:
        root = Path(tmp) / "root"
        log = out.parent / f"{image.kind}-{image.key}.debootstrap.log"
        with log.open("w", encoding="utf-8") as handle:
            proc = subprocess.run(["nice", "-n", "10", *debootstrap_argv(image, root, debs)],
                                  stdout=handle, stderr=subprocess.STDOUT, check=False)
        if proc.returncode != 0:
            tail = log.read_text("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            raise ToolError(f"debootstrap of the {image.kind} image failed "
                            f"(exit {proc.returncode}): {tail[0][:300]}", log)
        for rel in TRIM:
            target = root / rel
            if target.is_dir():
                shutil.rmtree(target)
                target.mkdir()
        partial = out.with_suffix(".tar.part")
        subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(partial), "."],
                       check=True)
        os.replace(partial, out)
    return out, time.perf_counter() - start


def import_tarball(client: docker.DockerClient, image: BaseImage, path: Path) -> None:
    """Import a rootfs tarball as ``image.ref`` with its labels and ``PATH``."""
    repo, _, tag = image.ref.rpartition(":")
    changes = [f"ENV PATH={PATH_ENV}", "ENV LANG=C.UTF-8", 'CMD ["/bin/sh"]',
               f"LABEL {L.KIND}={image.kind} {L.BASE_KEY}={image.key}"]
    if image.kind == "toolchain":
        changes.append(f'LABEL {L.TOOLCHAIN}="{TOOLCHAIN_NAME}"')
    client.api.import_image_from_file(str(path), repository=repo, tag=tag, changes=changes)
    if not has_image(client, image.ref):
        raise ToolError(f"importing {path.name} did not produce {image.ref}")


def bootstrap(mirror: str | None = None, force: bool = False) -> list[dict[str, Any]]:
    """Make sure both base images are in the engine; per image what was done and how long.

    ``action`` is ``present`` (tag already in the engine), ``imported`` (cached tarball) or
    ``built`` (debootstrap ran). ``force`` rebuilds the tarball and re-imports.
    """
    client = connect()
    images = list(base_images(mirror).values())
    start = time.perf_counter()
    missing = [i for i in images if force or not has_image(client, i.ref)]
    to_make = [i for i in missing if force or not tarball(i).is_file()]
    # Both debootstraps at once: much of their time is waiting (downloads, dpkg's fsyncs),
    # so on 2 cores the pair takes little longer than the toolchain alone.
    with ThreadPoolExecutor(max_workers=2) as pool:
        made = dict(zip((i.kind for i in to_make), pool.map(make_tarball, to_make),
                        strict=True))
    done = []
    for image in images:
        action, deboot = "present", 0.0
        if image in missing:
            action = "built" if image.kind in made else "imported"
            deboot = made[image.kind][1] if image.kind in made else 0.0
            import_tarball(client, image, tarball(image))
        done.append({"image": image.ref, "kind": image.kind, "action": action,
                     "packages": list(image.packages), "tarball": str(tarball(image)),
                     "debootstrap_s": round(deboot, 1),
                     "seconds": round(time.perf_counter() - start, 1)})
    return done


def require_base(client: docker.DockerClient, kind: str) -> str:
    """The ref of base image ``kind``, or a ``ToolError`` saying to bootstrap it."""
    ref = base_images()[kind].ref
    if not has_image(client, ref):
        raise ToolError(f"base image {ref} is not in the engine: run `xaas images bootstrap`")
    return ref
