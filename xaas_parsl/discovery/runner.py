"""Running external tools for discovery: the only place that starts subprocesses.

Discovery asks many tools for their version. Any of them may be missing, hang (a compiler
wrapper waiting for a license server), or fail; all of those mean "absent" to discovery, never an
error. So every call here takes an argument list (no shell), a timeout, and returns ``None``
instead of raising. Outputs of ``--version`` calls are cached by the executable's identity
(resolved path, mtime, size) because a compiler's banner changes only when the binary does.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xaas_parsl.fileio import write_json

LOG = logging.getLogger("xaas_parsl.discovery")

CACHE_FORMAT = "xaas-parsl-discovery-cache"
CACHE_VERSION = 1
DEFAULT_TIMEOUT = 5.0

# English, unlocalised banners: parsers match "version", "release".
_ENV = {**os.environ, "LC_ALL": "C", "LANG": "C"}


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/xaas-parsl`` (``~/.cache/xaas-parsl`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "xaas-parsl"


def which(name: str) -> str | None:
    """The executable ``name`` on ``PATH``, or ``None``."""
    return shutil.which(name)


def run(argv: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT) -> str | None:
    """Run ``argv``; return stdout followed by stderr when it exits 0, else ``None``."""
    try:
        proc = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=_ENV,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        LOG.warning("%s timed out after %.0f s; treated as absent", argv[0], timeout)
        return None
    except OSError as exc:  # FileNotFoundError, PermissionError, exec format errors
        LOG.debug("%s could not run: %s", argv[0], exc)
        return None
    if proc.returncode != 0:
        LOG.debug("%s exited %d", " ".join(argv), proc.returncode)
        return None
    return proc.stdout + proc.stderr


class ToolCache:
    """A small JSON file mapping an executable's identity + arguments to its output.

    Thread-safe (discovery runs tools in parallel). Only entries used by the latest run are
    written back, so the file does not grow with every upgrade. A missing, corrupt or
    unwritable cache file only costs time, never correctness.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._old: dict[str, Any] = {}
        self._new: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.hits = 0
        if path is not None:
            self._old = _read_cache(path)

    @property
    def enabled(self) -> bool:
        """Whether this cache reads and writes a file."""
        return self.path is not None

    def get(self, key: str) -> Any:
        """The cached value for ``key`` (``None`` when absent); marks the key as still used."""
        with self._lock:
            if key in self._new:
                return self._new[key]
            if key in self._old:
                self._new[key] = self._old[key]
                self.hits += 1
                return self._old[key]
        return None

    def put(self, key: str, value: Any) -> None:
        """Remember ``value`` (JSON-serialisable) for ``key``."""
        with self._lock:
            self._new[key] = value

    def save(self) -> None:
        """Write the entries used in this run; failures are logged, not raised."""
        if self.path is None:
            return
        with self._lock:
            if self._new == self._old:
                return
            payload = {"format": CACHE_FORMAT, "version": CACHE_VERSION, "entries": self._new}
        try:
            write_json(self.path, payload)
        except OSError as exc:
            LOG.warning("cannot write discovery cache %s: %s", self.path, exc)


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if (
        isinstance(data, dict)
        and data.get("format") == CACHE_FORMAT
        and data.get("version") == CACHE_VERSION
        and isinstance(data.get("entries"), dict)
    ):
        return dict(data["entries"])
    return {}


def executable_key(path: str, args: Sequence[str]) -> str | None:
    """Identity of an executable call: resolved path, mtime, size and the arguments."""
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except OSError:
        return None
    return f"exe:{real}|{st.st_mtime_ns}|{st.st_size}|{' '.join(args)}"


def run_cached(
    cache: ToolCache, path: str, args: Sequence[str], *, timeout: float = DEFAULT_TIMEOUT
) -> str | None:
    """``run([path, *args])`` through ``cache``; only successful outputs are cached.

    A wrapper script (``/usr/local/bin/nvcc`` -> ``exec .../cuda-13.0/bin/nvcc``) is keyed by
    the script itself; replacing its target without touching it keeps a stale banner until
    the cache is bypassed (``use_cache=False``).
    """
    key = executable_key(path, args) if cache.enabled else None
    if key is not None:
        hit = cache.get(key)
        if isinstance(hit, str):
            return hit
    output = run([path, *args], timeout=timeout)
    if output is not None and key is not None:
        cache.put(key, output)
    return output
