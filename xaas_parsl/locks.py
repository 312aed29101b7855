"""An exclusive lock on a work directory, so two runs into one directory fail fast instead of
colliding (two ``ir build`` runs into one fresh directory race in CMake's configure step).

``flock`` on ``<dir>/.xaas.lock``: the kernel drops it when the holder exits, however it exits
(SIGKILL included), so a crashed run never leaves a stale lock behind; the file keeps the
holder's pid only for the error message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from xaas_parsl.errors import InputError
from xaas_parsl.fileio import output_dir

LOCK_NAME = ".xaas.lock"


@contextlib.contextmanager
def locked_dir(directory: str | Path, what: str) -> Iterator[Path]:
    """Hold the lock of ``directory`` (created if needed) for the ``with`` body; another
    holder makes it one ``InputError`` naming ``what`` and the other pid."""
    root = output_dir(directory)
    fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise InputError(f"another {what} is using this directory (pid {holder}); wait "
                             "for it or choose another directory", root) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield root
    finally:
        os.close(fd)
