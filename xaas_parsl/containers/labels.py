"""Image names, content hashes and the documented ``org.xaas.*`` labels (pure functions).

A deployed image is tagged ``<app>:<version>-<config>-<hash>`` where ``<hash>`` is the first
12 hex digits of a SHA-256 over everything that determines the deployed bytes: the image it
was deployed from (its engine ID, which is itself a content hash), the deployment kind, the
configuration and its exact CMake arguments, and the runtime base image. Two deployments of the
same configuration therefore compute the same tag, and the second one finds the image and builds
nothing. The labels carry what a site needs to pick an image without running it; they never
carry host paths, user names or environment values (tested).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

PREFIX = "org.xaas."

# The documented labels (docs/containers.md lists them with examples).
KIND = PREFIX + "kind"                    # toolchain | runtime | source | ir | deployed
APP = PREFIX + "app"                      # app name
APP_VERSION = PREFIX + "app.version"      # app version
CONFIG = PREFIX + "config"                # matrix configuration name, e.g. OPENMP+AVX_512
SPEC_CHOICE = PREFIX + "spec.choice"      # JSON: the intersection's choice (simd, fft, ...)
FLAGS = PREFIX + "flags"                  # JSON list: the CMake arguments of the build
TOOLCHAIN = PREFIX + "toolchain"          # e.g. "clang-19 19.1.7 (Debian bookworm)"
TARGET = PREFIX + "target.system"         # JSON: arch, CPU model, SIMD of the target node
DEPLOY_MODE = PREFIX + "deploy.mode"      # source | ir
FROM_IMAGE = PREFIX + "from.image"        # ID (sha256:...) of the source/IR image deployed
CONTENT_HASH = PREFIX + "content.hash"    # the full hash whose prefix is in the tag
BASE_KEY = PREFIX + "base.key"            # bootstrap key of a toolchain/runtime base image
CONFIGS = PREFIX + "configs"              # JSON list: configurations in an IR bundle
TESTS = PREFIX + "tests"                  # JSON list: the app's tests {name, command, expect}
BUNDLE = PREFIX + "ir.bundle"             # JSON: compile jobs, unique IRs, reduction
XAAS_VERSION = PREFIX + "xaas.version"    # xaas-parsl version that wrote the image
ARCH = PREFIX + "arch"                    # ISA family of the image's programs (aarch64, x86_64)
TARGET_ARCH = PREFIX + "target.arch"      # family a cross toolchain image compiles for
# on throw-away build containers only (a commit replaces the labels): host:pid of the xaas
# process that made it, so a test or an operator finds what an interrupted run left
OWNER = PREFIX + "owner"

_TAG_BAD = re.compile(r"[^A-Za-z0-9_.-]")
_REPO_BAD = re.compile(r"[^a-z0-9._-]")


def content_hash(parts: dict[str, Any]) -> str:
    """SHA-256 of a canonical JSON rendering of ``parts`` (key order does not matter)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def repo_name(app: str) -> str:
    """A valid repository name for ``app`` (Docker wants lower case, no ``+``)."""
    name = _REPO_BAD.sub("-", app.lower()).strip("-._")
    return name or "app"


def tag_part(text: str) -> str:
    """``text`` made valid inside a Docker tag: ``OPENMP+AVX_512`` → ``OPENMP-AVX_512``."""
    return _TAG_BAD.sub("-", text)


def arch_part(arch: str | None) -> str:
    """The tag infix of an ISA family: empty for x86-64 (tags from before architectures
    stay valid), ``aarch64-`` for aarch64."""
    return "" if arch in (None, "", "x86_64") else f"{tag_part(str(arch))}-"


def deployed_ref(app: str, version: str, config: str, digest: str,
                 arch: str | None = None) -> str:
    """``<app>:<version>-[<arch>-]<config>-<short hash>``; Docker tags are at most 128
    characters."""
    tag = f"{tag_part(version)}-{arch_part(arch)}{tag_part(config)}-{digest[:12]}"
    if len(tag) > 128:
        tag = f"{tag_part(version)[:40]}-{arch_part(arch)}{tag_part(config)[:60]}-{digest[:12]}"
    return f"{repo_name(app)}:{tag}"


def source_ref(app: str, version: str) -> str:
    """Tag of a source container: ``<app>-source:<version>``."""
    return f"{repo_name(app)}-source:{tag_part(version)}"


def ir_ref(app: str, version: str, arch: str | None = None) -> str:
    """Tag of an IR container: ``<app>-ir:<version>`` (x86-64), ``<app>-ir:<version>-aarch64``
    for another ISA family's bundle."""
    suffix = f"-{tag_part(arch)}" if arch not in (None, "", "x86_64") else ""
    return f"{repo_name(app)}-ir:{tag_part(version)}{suffix}"


def target_summary(system: dict[str, Any]) -> dict[str, Any]:
    """The target-system facts worth a label (no host name, no paths): arch, CPU, SIMD."""
    keys = ("architecture", "model_name", "microarchitecture", "vendor")
    out = {k: system[k] for k in keys if system.get(k)}
    gpus = system.get("gpus") or []
    out["gpus"] = len(gpus)
    return out


def deployed_labels(*, app: str, version: str, config: str, mode: str, flags: list[str],
                    choice: dict[str, Any], toolchain: str, target: dict[str, Any],
                    from_image: str, digest: str, xaas_version: str) -> dict[str, str]:
    """The ``org.xaas.*`` labels of a deployed image (all values are strings)."""
    keep = ("simd", "gpu_backend", "cuda_architectures", "parallel", "fft", "gpu_fft",
            "blas", "compiler", "cmake_args")
    return {
        KIND: "deployed",
        APP: app,
        APP_VERSION: version,
        CONFIG: config,
        DEPLOY_MODE: mode,
        SPEC_CHOICE: _compact({k: choice[k] for k in keep if k in choice}),
        FLAGS: _compact(flags),
        TOOLCHAIN: toolchain,
        TARGET: _compact(target),
        FROM_IMAGE: from_image,
        CONTENT_HASH: digest,
        XAAS_VERSION: xaas_version,
    }


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def labels_of(image_attrs: dict[str, Any]) -> dict[str, str]:
    """The ``org.xaas.*`` labels of an image's ``attrs`` (``docker inspect``)."""
    labels = (image_attrs.get("Config") or {}).get("Labels") or {}
    return {k: v for k, v in labels.items() if k.startswith(PREFIX)}
