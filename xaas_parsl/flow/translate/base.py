"""The one interface of translators: emitters write the model in a dialect, parsers read it back.

Why a base (in the style of Parsl's ``providers/base.py``): ``translate`` should not know any
dialect. Each dialect is a small class with one method — ``Emitter.emit(model, endpoints) ->
Emitted(files, warnings)`` and ``Parser.parse(text) -> model`` — registered under its name, so
adding a target is one class and one registration, and every target is asked for the same
thing. The classes wrap the dialect modules (``asl_emit``, ``gcp_parse``, ...), which keep their
own functions; the registry is filled by ``xaas_parsl.flow.translate.dialects``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypeVar

from xaas_parsl.errors import InputError
from xaas_parsl.flow.model import Workflow
from xaas_parsl.flow.translate.endpoints import Endpoints, Key


@dataclass(frozen=True)
class Emitted:
    """What an emitter produced: file name (relative) → text, and warnings (one line each).

    Single-file targets give one file; a Durable Functions app gives several. Nothing is written
    by the emitter: the caller decides where (stdout, ``-o FILE``, ``-o DIR``).
    """

    files: dict[str, str]
    warnings: list[str] = field(default_factory=list)


class Emitter(ABC):
    """Writes a checked :class:`~xaas_parsl.flow.model.Workflow` in one target dialect."""

    #: The name users give to ``--to``.
    dialect: ClassVar[str]
    #: The mapping keys (any one of them) each function needs when a mapping file is given,
    #: checked before anything is emitted; ``required=False``: a mapping entry is enough.
    endpoint_keys: ClassVar[tuple[Key, ...]] = ()
    endpoint_required: ClassVar[bool] = True
    #: True when the files form a directory (the caller needs ``-o DIR``).
    directory: ClassVar[bool] = False

    @abstractmethod
    def emit(self, workflow: Workflow, endpoints: Endpoints) -> Emitted:
        """The target's files for ``workflow``, calling functions at ``endpoints``."""


class Parser(ABC):
    """Reads one source dialect into a checked :class:`~xaas_parsl.flow.model.Workflow`.

    ``endpoints`` gives the reverse lookup (an ARN or URL → the function's name); ``source``
    names the file in errors; warnings (one line each) are appended to ``warnings``.
    """

    #: The name users give to ``--from`` (and :func:`detect` returns).
    dialect: ClassVar[str]

    def __init__(self, endpoints: Endpoints, source: str | Path = "<definition>",
                 warnings: list[str] | None = None) -> None:
        self.endpoints = endpoints
        self.source = Path(source)
        self.warnings = warnings if warnings is not None else []

    @abstractmethod
    def parse(self, text: str) -> Workflow:
        """The workflow ``text`` defines; ``InputError`` (one line) when it cannot."""


EMITTERS: dict[str, type[Emitter]] = {}
PARSERS: dict[str, type[Parser]] = {}

E = TypeVar("E", bound=type[Emitter])
P = TypeVar("P", bound=type[Parser])


def register_emitter(cls: E) -> E:
    """Class decorator: make ``cls`` the emitter of ``cls.dialect``."""
    EMITTERS[cls.dialect] = cls
    return cls


def register_parser(cls: P) -> P:
    """Class decorator: make ``cls`` the parser of ``cls.dialect``."""
    PARSERS[cls.dialect] = cls
    return cls


def _pick(registry: Collection[str], dialect: str, what: str,
          where: str | Path | None) -> None:
    if dialect not in registry:
        raise InputError(f"unknown {what} dialect {dialect!r} (one of "
                         f"{', '.join(registry)})", where)


def emitter(dialect: str) -> Emitter:
    """The registered emitter of ``dialect``; ``InputError`` naming the known ones otherwise."""
    _pick(EMITTERS, dialect, "target", None)
    return EMITTERS[dialect]()


def parser(dialect: str, endpoints: Endpoints, source: str | Path,
           warnings: list[str] | None = None) -> Parser:
    """The registered parser of ``dialect``, reading for ``source``."""
    _pick(PARSERS, dialect, "source", source)
    return PARSERS[dialect](endpoints, source, warnings)
