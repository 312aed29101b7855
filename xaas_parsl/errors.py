"""Errors that the CLI turns into one line on stderr and a non-zero exit code.

Every user-facing failure (bad file, missing tool, impossible request) is raised as an
``XaasError`` carrying the offending path when there is one, so that the CLI can print
``xaas: error: <file>: <problem>`` without a traceback. Programming errors stay ordinary
exceptions and keep their tracebacks.
"""

from __future__ import annotations

from pathlib import Path


class XaasError(Exception):
    """A failure caused by input or environment, reported to users in one line."""

    def __init__(self, problem: str, path: str | Path | None = None) -> None:
        self.problem = " ".join(str(problem).split())
        self.path = str(path) if path is not None else None
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message as ``<path>: <problem>`` (or just the problem)."""
        return f"{self.path}: {self.problem}" if self.path else self.problem


class InputError(XaasError):
    """A file the user gave us is unreadable, malformed or of the wrong shape."""


class ToolError(XaasError):
    """An external tool is missing or failed."""


class PolicyError(XaasError):
    """A pin or preference cannot be satisfied on the given system."""
