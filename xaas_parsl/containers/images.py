"""Base images without a registry: debootstrap Debian, tar it, import it; prune deployed images.

No image registry is reachable, so the two base images are made from the configured Debian
mirror: ``toolchain`` (clang-19, LLVM, lld, libomp, CMake, Ninja, Python with the few libraries
``xaas_parsl`` needs inside containers) and ``runtime`` (the slim image deployed apps run in:
libomp and the C++ runtime only). Each is keyed by a hash of (suite, mirror, variant, package
list): the root file system is cached as a tarball named after the key, and the image tag
carries it (``xaas/toolchain:bookworm-<key>``), so a second bootstrap neither runs debootstrap
nor imports anything. Downloaded ``.deb`` files are cached too (``debootstrap --cache-dir``),
one cache per image because both debootstraps run concurrently.

``--arch aarch64`` makes the arm64 runtime image on an x86-64 host: ``mmdebstrap --arch=arm64``
runs the packages' maintainer scripts under qemu-aarch64 (``scripts/binfmt-qemu.sh`` registers
it with binfmt_misc), and the image is created with the builder's ``--platform linux/arm64``,
because ``docker import --platform`` of Docker 20.10 leaves the Architecture field ``amd64``.
The compiler of a foreign family is a *cross* toolchain image: this host's family (clang
runs natively, fast) plus Debian's arm64 cross packages (the sysroot ``/usr/aarch64-linux-gnu``,
binutils, libgcc) and the arm64 LLVM OpenMP runtime taken from the arm64 runtime image's own
root file system, so IR containers link against exactly the ``libomp`` they run with. Emulating
a whole arm64 toolchain under qemu would make every compile ~10x slower for the same IR.
Key, tag (``xaas/runtime:bookworm-aarch64-<key>``, ``xaas/toolchain:bookworm-cross-aarch64-
<key>``) and the ``org.xaas.arch`` / ``org.xaas.target.arch`` labels carry the architecture;
x86-64 keys and tags are those images had before architectures existed, so no existing image
is rebuilt.
"""

from __future__ import annotations

import os
import platform
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
from xaas_parsl.discovery.cpu import normalise_arch
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
#: Debian's cross packages a toolchain image needs to build and link for another family.
CROSS_PACKAGES = {"aarch64": ("libc6-dev-arm64-cross", "libstdc++-12-dev-arm64-cross",
                              "libgcc-12-dev-arm64-cross", "binutils-aarch64-linux-gnu")}
#: The LLVM OpenMP runtime in a Debian root file system (libomp5-19), and where a cross
#: toolchain puts the target's copy (what ``scripts/arm64-openmp.sh`` does on the host).
LIBOMP = "usr/lib/llvm-19/lib/libomp.so.5"
TOOLCHAIN_NAME = "clang-19 19.1.7 (Debian bookworm)"
# Trimmed from the root file system before it is tarred: documentation and translations only.
TRIM = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale",
        "var/cache/apt/archives", "var/lib/apt/lists", "var/log")
PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/llvm-19/bin"
#: ISA family -> Debian/OCI architecture name.
OCI_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
BINFMT = Path("/proc/sys/fs/binfmt_misc")


@dataclass(frozen=True)
class BaseImage:
    """One base image: its kind, package list and the mirror it comes from."""

    kind: str  # "toolchain" | "runtime"
    packages: tuple[str, ...]
    mirror: str
    suite: str = SUITE
    arch: str = "x86_64"  # ISA family of the image's programs (normalised name)
    target: str | None = None  # a cross toolchain's target family (None: its own)

    @property
    def key(self) -> str:
        """12 hex digits identifying the content (suite, mirror, variant, packages, arch)."""
        parts: dict[str, Any] = {"suite": self.suite, "mirror": self.mirror, "variant": VARIANT,
                                 "packages": sorted(self.packages), "v": KEY_VERSION}
        if self.arch != "x86_64":  # x86-64 keys predate the field: existing images stay valid
            parts["arch"] = self.arch
        if self.target:
            parts["target"] = self.target
        return L.content_hash(parts)[:12]

    @property
    def ref(self) -> str:
        """The image tag: ``xaas/<kind>:<suite>-<key>`` (x86-64), else
        ``xaas/<kind>:<suite>-<arch>-<key>``; a cross toolchain
        ``xaas/toolchain:<suite>-cross-<target>-<key>``."""
        arch = "" if self.arch == "x86_64" else f"{self.arch}-"
        if self.target:
            arch = f"{arch}cross-{self.target}-"
        return f"xaas/{self.kind}:{self.suite}-{arch}{self.key}"

    @property
    def platform(self) -> str:
        """The OCI platform (``linux/arm64``): what the image's Architecture field says."""
        return f"linux/{OCI_ARCH.get(self.arch, self.arch)}"


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


def base_images(mirror: str | None = None, arch: str | None = None) -> dict[str, BaseImage]:
    """The toolchain and runtime base images for ``mirror`` (default: this machine's) and ISA
    family ``arch`` (default: this machine's; for another family the toolchain is this
    host's, cross-compiling for it)."""
    mirror = mirror or debian_mirror()
    host = normalise_arch(platform.machine())
    family = normalise_arch(arch) if arch else host
    if family not in OCI_ARCH:
        raise InputError(f"unknown architecture {arch!r} (known: {', '.join(OCI_ARCH)}; "
                         "arm64 = aarch64)")
    runtime = BaseImage("runtime", RUNTIME_PACKAGES, mirror, arch=family)
    if family != host:
        if family not in CROSS_PACKAGES:
            raise InputError(f"no cross toolchain for {family} on a {host} host")
        return {"toolchain": BaseImage("toolchain", TOOLCHAIN_PACKAGES + CROSS_PACKAGES[family],
                                       mirror, arch=host, target=family),
                "runtime": runtime}
    return {"toolchain": BaseImage("toolchain", TOOLCHAIN_PACKAGES, mirror, arch=family),
            "runtime": runtime}


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


def mmdebstrap_argv(image: BaseImage, root: Path) -> list[str]:
    """The mmdebstrap command line of a foreign-architecture image (qemu via binfmt_misc)."""
    exe = shutil.which("mmdebstrap")
    if exe is None:
        raise ToolError("mmdebstrap not found: apt-get install mmdebstrap arch-test "
                        "qemu-user-static")
    return [exe, f"--variant={VARIANT}", f"--arch={OCI_ARCH[image.arch]}",
            f"--include={','.join(image.packages)}", image.suite, str(root), image.mirror]


def require_binfmt(arch: str) -> None:
    """A ``ToolError`` unless the kernel runs ``arch`` executables through qemu-user."""
    if not (BINFMT / f"qemu-{arch}").is_file():
        raise ToolError(f"binfmt_misc has no qemu-{arch} handler: run scripts/binfmt-qemu.sh "
                        "as root (it mounts binfmt_misc and registers qemu-user-static)")


def bootstrap_argv(image: BaseImage, root: Path, debs: Path) -> list[str]:
    """debootstrap for this host's family, mmdebstrap (emulated) for another."""
    if image.arch == normalise_arch(platform.machine()):
        return debootstrap_argv(image, root, debs)
    require_binfmt(image.arch)
    return mmdebstrap_argv(image, root)


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
        run_logged(bootstrap_argv(image, root, debs), log,
                   f"debootstrap of the {image.kind} image")
        for rel in TRIM:
            target = root / rel
            if target.is_dir():
                shutil.rmtree(target)
                target.mkdir()
        if image.target:
            add_target_libomp(image, root)
        partial = out.with_suffix(".tar.part")
        subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(partial), "."],
                       check=True)
        os.replace(partial, out)
    return out, time.perf_counter() - start


def add_target_libomp(image: BaseImage, root: Path) -> None:
    """Put the target family's ``libomp.so.5`` into a cross toolchain's sysroot, taken from
    that family's runtime image root file system (its tarball must exist: ``bootstrap`` makes
    the runtime first). clang's ``-fopenmp`` links ``-lomp``; Debian has no cross package."""
    import tarfile

    assert image.target is not None
    runtime = BaseImage("runtime", RUNTIME_PACKAGES, image.mirror, image.suite,
                        arch=image.target)
    source = tarball(runtime)
    if not source.is_file():
        raise ToolError(f"the {image.target} runtime root file system is not cached: run "
                        f"`xaas images bootstrap --arch {image.target}`", source)
    lib = root / "usr" / f"{image.target}-linux-gnu" / "lib"
    with tarfile.open(source) as tar:
        member = tar.getmember(f"./{LIBOMP}")
        handle = tar.extractfile(member) if member.isfile() else None
        if handle is None:
            raise ToolError(f"{LIBOMP} is not a file in {source.name}", source)
        (lib / "libomp.so.5").write_bytes(handle.read())
    (lib / "libomp.so").symlink_to("libomp.so.5")


def import_tarball(client: docker.DockerClient, image: BaseImage, path: Path) -> None:
    """Import a rootfs tarball as ``image.ref`` with its labels and ``PATH``."""
    repo, _, tag = image.ref.rpartition(":")
    changes = [f"ENV PATH={PATH_ENV}", "ENV LANG=C.UTF-8", 'CMD ["/bin/sh"]',
               f"LABEL {L.KIND}={image.kind} {L.BASE_KEY}={image.key} {L.ARCH}={image.arch}"]
    if image.target:
        changes.append(f"LABEL {L.TARGET_ARCH}={image.target}")
    if image.kind == "toolchain":
        changes.append(f'LABEL {L.TOOLCHAIN}="{TOOLCHAIN_NAME}"')
    if image.arch == normalise_arch(platform.machine()):
        client.api.import_image_from_file(str(path), repository=repo, tag=tag, changes=changes)
    else:
        build_foreign(client, image, path, changes)
    if not has_image(client, image.ref):
        raise ToolError(f"importing {path.name} did not produce {image.ref}")


def build_foreign(client: docker.DockerClient, image: BaseImage, path: Path,
                  changes: list[str]) -> None:
    """Create ``image.ref`` from a rootfs tarball with the classic builder's ``--platform``
    (``FROM scratch`` + ``ADD``), which sets the Architecture field; the context holds a hard
    link of the cached tarball, not a copy."""
    with tempfile.TemporaryDirectory(prefix="xaas-ctx-", dir=path.parent) as tmp:
        ctx = Path(tmp)
        os.link(path, ctx / "rootfs.tar")
        (ctx / "Dockerfile").write_text("\n".join(["FROM scratch", "ADD rootfs.tar /",
                                                   *changes]) + "\n", encoding="utf-8")
        try:
            client.images.build(path=str(ctx), tag=image.ref, platform=image.platform,
                                rm=True, forcerm=True)
        except Exception as exc:  # docker.errors.BuildError / APIError: one line
            raise ToolError(f"creating {image.ref} ({image.platform}) failed: "
                            f"{str(exc).splitlines()[0][:300]}") from None


def bootstrap(mirror: str | None = None, force: bool = False,
              arch: str | None = None) -> list[dict[str, Any]]:
    """Make sure both base images are in the engine; per image what was done and how long.

    ``action`` is ``present`` (tag already in the engine), ``imported`` (cached tarball) or
    ``built`` (debootstrap ran). ``force`` rebuilds the tarball and re-imports.
    """
    client = connect()
    images = list(base_images(mirror, arch).values())
    start = time.perf_counter()
    missing = [i for i in images if force or not has_image(client, i.ref)]
    to_make = [i for i in missing if force or not tarball(i).is_file()]
    # Both debootstraps at once: much of their time is waiting (downloads, dpkg's fsyncs),
    # so on 2 cores the pair takes little longer than the toolchain alone.
    # A cross toolchain takes libomp from its target's runtime root file system: after it.
    made: dict[str, tuple[Path, float]] = {}
    for batch in ([i for i in to_make if not i.target], [i for i in to_make if i.target]):
        with ThreadPoolExecutor(max_workers=2) as pool:
            made.update(zip((i.kind for i in batch), pool.map(make_tarball, batch),
                            strict=True))
    done = []
    for image in images:
        action, deboot = "present", 0.0
        if image in missing:
            action = "built" if image.kind in made else "imported"
            deboot = made[image.kind][1] if image.kind in made else 0.0
            import_tarball(client, image, tarball(image))
        done.append({"image": image.ref, "kind": image.kind, "arch": image.arch,
                     "platform": image.platform, "action": action,
                     "packages": list(image.packages), "tarball": str(tarball(image)),
                     "debootstrap_s": round(deboot, 1),
                     "seconds": round(time.perf_counter() - start, 1)})
    return done


def run_logged(argv: list[str], log: Path, what: str) -> None:
    """Run a long image-making tool at ``nice 10`` with its output in ``log``; a failure is one
    ``ToolError`` line with the log's last line (the log keeps the rest)."""
    with log.open("w", encoding="utf-8") as handle:
        proc = subprocess.run(["nice", "-n", "10", *argv], stdout=handle,
                              stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = log.read_text("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise ToolError(f"{what} failed (exit {proc.returncode}): {tail[0][:300]}", log)


def require_base(client: docker.DockerClient, kind: str, arch: str | None = None) -> str:
    """The ref of base image ``kind`` for family ``arch`` (default: this host's), or a
    ``ToolError`` saying to bootstrap it."""
    ref = base_images(arch=arch)[kind].ref
    if not has_image(client, ref):
        flag = f" --arch {normalise_arch(arch)}" if arch else ""
        raise ToolError(f"base image {ref} is not in the engine: run "
                        f"`xaas images bootstrap{flag}`")
    return ref
