"""A content-addressed store of IR files: ``store/<sha256>.bc``.

The name *is* the content hash, so identical IR from two units or two runs is stored once, a
finished file never changes, and corruption (a truncated copy, an edited file) is detected on
read by re-hashing. Files enter the store by rename from a temporary file in the same
directory, so a crash never leaves a half-written ``<hash>.bc``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from xaas_parsl.errors import InputError
from xaas_parsl.safety import bundle_digest


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Store:
    """The ``store/`` directory of a bundle."""

    def __init__(self, root: Path, suffix: str = ".bc") -> None:
        self.root = root
        self.suffix = suffix

    def path(self, digest: str) -> Path:
        """Where the IR with this hash lives (the hash is checked: it comes from manifests)."""
        return self.root / f"{bundle_digest(digest, self.root)}{self.suffix}"

    def temp_path(self, tag: str) -> Path:
        """A fresh temporary path inside the store (same filesystem, so renames are atomic)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root / f".tmp-{os.getpid()}-{tag}{self.suffix}"

    def sweep(self) -> list[Path]:
        """Remove the temporary files a killed run left (zero-byte or partial ``.tmp-*``);
        call it only while holding the bundle's lock (:mod:`xaas_parsl.locks`), when no
        other writer can own them. Returns what was removed."""
        stale = sorted(self.root.glob(".tmp-*")) if self.root.is_dir() else []
        for path in stale:
            path.unlink(missing_ok=True)
        return stale

    def add(self, temp: Path) -> str:
        """Move a finished temporary IR file into the store; returns its hash."""
        digest = sha256_file(temp)
        os.replace(temp, self.path(digest))
        return digest

    def has(self, digest: str) -> bool:
        """Whether an IR with this hash is stored (not verified: see ``get``)."""
        return self.path(digest).is_file()

    def intact(self, digest: str) -> bool:
        """Whether the IR with this hash is stored *and* its bytes still hash to its name. On
        ``False`` the caller emits it again; ``add`` then replaces a corrupted file atomically
        (it is not deleted here: another thread may be replacing it already)."""
        path = self.path(digest)
        return path.is_file() and sha256_file(path) == digest

    def get(self, digest: str, unit: str = "") -> Path:
        """The stored IR, verified; a missing or corrupted file is an ``InputError``."""
        path = self.path(digest)
        if not path.is_file():
            raise InputError(f"IR of unit {unit or digest} is missing from the store", path)
        actual = sha256_file(path)
        if actual != digest:
            raise InputError(f"IR of unit {unit or digest} is corrupted (content hash "
                             f"{actual[:12]} != name): rebuild the bundle", path)
        return path
