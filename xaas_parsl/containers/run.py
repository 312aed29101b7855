"""``xaas run IMAGE -- CMD...``: option strings → ``RunSpec`` → a runtime → a JSON-able result.

Parsing is pure (``parse_bind``, ``parse_env``, ``make_spec``) so the CLI stays thin and the
same spec renders for every runtime (``argv_for``) or runs on the ones that run here.
"""

from __future__ import annotations

import os
from typing import Any

from xaas_parsl.containers.runtime.base import (
    Bind,
    ContainerRuntime,
    GpuRequest,
    MpiRequest,
    RunSpec,
)
from xaas_parsl.errors import InputError

RUNNABLE = ("docker", "native")


def parse_bind(text: str) -> Bind:
    """``SRC:DST[:ro|rw]`` (read-only unless ``rw``); SRC must be an existing absolute path."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts[:2]):
        raise InputError("a bind mount is SRC:DST[:ro|rw]", text)
    mode = parts[2] if len(parts) == 3 else "ro"
    if mode not in ("ro", "rw"):
        raise InputError(f"bind mode must be ro or rw, not {mode!r}", text)
    src = os.path.abspath(parts[0])
    if not os.path.exists(src):
        raise InputError("bind mount source does not exist", src)
    if not parts[1].startswith("/"):
        raise InputError("bind mount target must be an absolute path in the container", text)
    return Bind(src, parts[1], read_only=mode == "ro")


def parse_env(text: str) -> tuple[str, str]:
    """``KEY=VALUE``."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise InputError("an environment setting is KEY=VALUE", text)
    return key, value


def parse_gpus(text: str | None) -> GpuRequest | None:
    """``VENDOR[:COUNT]`` (``nvidia``, ``amd:2``) or ``None``."""
    if not text:
        return None
    vendor, _, count = text.partition(":")
    if vendor not in ("nvidia", "amd", "intel"):
        raise InputError("GPU vendor must be nvidia, amd or intel", text)
    if count and not count.isdigit():
        raise InputError("GPU count must be a number", text)
    return GpuRequest(vendor, int(count) if count else None)  # type: ignore[arg-type]


def make_spec(image: str, command: list[str], binds: list[str], env: list[str],
              network: str = "none", user: str | None = None, workdir: str | None = None,
              gpus: str | None = None, ranks: int = 1) -> RunSpec:
    """The ``RunSpec`` of a ``xaas run`` invocation."""
    if not command:
        raise InputError("no command to run: xaas run IMAGE -- CMD ...", image)
    if user is not None and not all(p.isdigit() for p in user.split(":", 1)):
        raise InputError("--user is UID[:GID] (numbers)", user)
    return RunSpec(image=image, command=tuple(command), user=user, network=network,
                   binds=tuple(parse_bind(b) for b in binds),
                   env=tuple(parse_env(e) for e in env), workdir=workdir,
                   gpus=parse_gpus(gpus), mpi=MpiRequest(ranks) if ranks > 1 else None)


def runtime(name: str) -> ContainerRuntime:
    """The runtime that runs here under ``name`` (docker or native)."""
    if name == "docker":
        from xaas_parsl.containers.runtime.docker import DockerRuntime

        return DockerRuntime()
    if name == "native":
        from xaas_parsl.containers.runtime.native import NativeRuntime

        return NativeRuntime()
    raise InputError(f"runtime {name!r} does not run on this machine (here: "
                     f"{', '.join(RUNNABLE)}; `xaas images export` prepares the others)", name)


def run(spec: RunSpec, runtime_name: str = "docker", timeout_s: float | None = None
        ) -> dict[str, Any]:
    """Run ``spec``; ``{exit_code, stdout, stderr, seconds, argv}`` (argv: the rendered line)."""
    rt = runtime(runtime_name)
    argv = rt.run_argv(spec)
    result = rt.run(spec, timeout_s)
    return {"runtime": rt.name, "image": spec.image, "argv": argv,
            "exit_code": result.exit_code, "stdout": result.stdout, "stderr": result.stderr,
            "seconds": round(result.seconds, 3)}
