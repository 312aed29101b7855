"""The hostile-input contract, checked in-process through the CLI's ``main``: every malformed
file or value ends in exit 1 with exactly one ``xaas: error:`` line on stderr, no traceback, no
hang (each case runs under a SIGALRM deadline) and no partial or clobbered output file."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import FrameType

import pytest

from xaas_parsl.cli.main import main

DEADLINE_S = 20.0


class Hang(Exception):
    """A case ran past its deadline."""


@contextlib.contextmanager
def deadline(seconds: float = DEADLINE_S) -> Iterator[None]:
    """Raise ``Hang`` in the main thread after ``seconds`` (bounds every hostile case)."""
    def expire(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], argv: Sequence[str],
            seconds: float = DEADLINE_S) -> Outcome:
    """``main(argv)`` in this process, bounded by ``seconds``; stdout/stderr captured."""
    capsys.readouterr()
    with deadline(seconds):
        code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def assert_one_error(result: Outcome) -> str:
    """Exit 1 and exactly one ``xaas: error:`` line, never a traceback; returns the line."""
    lines = [ln for ln in result.err.splitlines() if ln.strip()]
    assert "Traceback" not in result.err + result.out, result.err
    assert result.code == 1, (result.code, result.err)
    errors = [ln for ln in lines if ln.startswith("xaas: error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.err
    assert len(lines) <= 2, result.err  # at most one warning before the error
    return errors[0]
