"""A read-only view of the evaluated facts that the rules query.

Two questions every rule asks are answered here once:

* **What values can a string option take?** Its ``STRINGS`` property when it has one (spelled as
  the project's call site spells them: GROMACS's helper strips ``[built-in]`` from
  ``fftpack[built-in]`` before setting ``STRINGS``, the call keeps it and so do we). Without
  ``STRINGS``, the literals the option is compared with (``if(${GGML_BLAS_VENDOR} MATCHES
  "OpenBLAS")``, simple alternations ``^(A|B)$`` included) plus its default.
* **Is a boolean option on by default?** Its evaluated default on native x86-64 Linux, with
  CMake's truthiness.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from xaas_parsl.spec.cmake.expand import is_true
from xaas_parsl.spec.cmake.facts import Comparison, Facts, OptionFact, PackageFact, VersionCheck

_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+\-]*")
_ALTERNATION = re.compile(r"\^?\(?([A-Za-z0-9_.+\-|]+)\)?\$?")
_ANNOTATION = re.compile(r"\[[^\[\]]+\]")
_IDENT = re.compile(r"[A-Z][A-Z0-9_]*")


@dataclass(frozen=True)
class Choice:
    """One value of a multichoice option and where it was found."""

    value: str
    where: str


def _regex_literals(pattern: str) -> list[str]:
    """Literal alternatives of a simple ``MATCHES`` pattern (``OpenBLAS``, ``^(A|B)$``)."""
    if _PLAIN.fullmatch(pattern) and not re.search(r"[.+]", pattern.replace("_", "")):
        return [pattern]
    m = _ALTERNATION.fullmatch(pattern)
    if m and "|" in m.group(1):
        parts = m.group(1).split("|")
        if all(_PLAIN.fullmatch(p) for p in parts):
            return parts
    return []


#: Name tokens of options about building extras (examples, tests, docs), never a
#: specialization of the application itself (``EXAMPLES_ENABLE_CUDA``).
_EXTRAS = {"EXAMPLE", "EXAMPLES", "TEST", "TESTS", "TESTING", "BENCHMARK", "BENCHMARKS", "DOC",
           "DOCS", "DOCUMENTATION"}


def _wanted(opt: OptionFact) -> bool:
    return not _EXTRAS & set(opt.name.upper().split("_"))


class Project:
    """Facts indexed for the rules."""

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.options = facts.options
        self._by_var: dict[str, list[Comparison]] = {}
        for cmp in facts.comparisons:
            self._by_var.setdefault(cmp.var, []).append(cmp)

    def bool_options(self) -> Iterator[OptionFact]:
        """Declared boolean options, then the implicit switches (see :meth:`implicit`)."""
        for opt in (*self.options.values(), *self.implicit):
            if opt.type == "BOOL" and opt.name not in self.facts.deprecated and _wanted(opt):
                yield opt

    @cached_property
    def implicit(self) -> list[OptionFact]:
        """Undeclared switches: ``if(<NS>_X)`` on a variable in an option namespace ``NS``.

        A variable tested for truth through a computed name (``if(${backend_id})``), named in
        the namespace of the project's options (``GGML_`` when ggml declares many ``GGML_*``
        options), yet neither declared nor set on the native path can only come from the
        command line: ``-DGGML_CANN=ON`` (ggml's backend loop tests ``GGML_<backend>`` for
        every backend, declared or not). It is a boolean switch, off by default. Literal
        tests of undeclared variables (``if(GGML_INTERNAL_SVE)``) are internal state set by
        the build itself in other branches, not switches.
        """
        counts: dict[str, int] = {}
        for name in self.options:
            head = name.split("_", 1)[0]
            counts[head] = counts.get(head, 0) + 1
        spaces = {head for head, n in counts.items() if n >= 3 and head.isupper()}
        out: dict[str, OptionFact] = {}
        for cmp in self.facts.comparisons:
            name = cmp.var
            if (cmp.op != "TRUTH" or cmp.value != "computed" or name in self.options
                    or name in self.facts.assigned or name in out or not _IDENT.fullmatch(name)
                    or name.split("_", 1)[0] not in spaces or "_" not in name):
                continue
            out[name] = OptionFact(name, "BOOL", "OFF", "", cmp.site or cmp.where, cmp.native,
                                   defined_at=cmp.where)
        return list(out.values())

    def string_options(self) -> Iterator[OptionFact]:
        return (o for o in self.options.values() if o.type == "STRING" and _wanted(o))

    def comparisons(self, var: str) -> list[Comparison]:
        return self._by_var.get(var, [])

    def values(self, opt: OptionFact) -> list[Choice]:
        """The values of a string option (see module docstring), first-seen order, no repeats."""
        out: list[Choice] = []
        seen: set[str] = set()

        def add(value: str, where: str) -> None:
            key = value.upper()
            if value and key not in seen and "${" not in value:
                seen.add(key)
                out.append(Choice(value, where))

        if opt.strings:
            for value in opt.strings:
                add(self.call_spelling(opt, value), opt.where)
            return out
        for cmp in self.comparisons(opt.name):
            if cmp.op == "STREQUAL" and _PLAIN.fullmatch(cmp.value):
                add(cmp.value, cmp.where)
            elif cmp.op == "MATCHES":
                for literal in _regex_literals(cmp.value):
                    add(literal, cmp.where)
        if out and _PLAIN.fullmatch(opt.default):
            add(opt.default, opt.where)
        return out

    @staticmethod
    def call_spelling(opt: OptionFact, value: str) -> str:
        """``value`` as the helper's call site wrote it, if it only added an annotation."""
        for written in opt.call_values:
            rest = written[len(value):]
            if written.startswith(value) and rest and _ANNOTATION.fullmatch(rest):
                return written
        return value

    @staticmethod
    def default_on(opt: OptionFact) -> bool:
        """On by default: declared on the native path with a true default."""
        return opt.native and is_true(opt.default)

    @staticmethod
    def is_default(opt: OptionFact, value: str) -> bool:
        """``value`` is the default choice of ``opt`` (which is declared on the native path)."""
        return opt.native and value.upper() in {
            opt.default.upper(), Project.call_spelling(opt, opt.default).upper()}

    def enabling_switch(self, opt: OptionFact) -> OptionFact | None:
        """The boolean option ``opt`` is declared under (``if(PKG_GPU)`` → ``GPU_API``).

        A choice that exists only when a switch is on is selected together with it, written
        like the BLAS vendor convention: ``-DPKG_GPU=ON -DGPU_API=cuda``.
        """
        for cond in reversed(opt.conditions):
            switch = self.options.get(cond.text)
            if not cond.negated and switch is not None and switch.type == "BOOL":
                return switch
        return None

    def choice_flag(self, opt: OptionFact, value: str) -> str:
        """``-D<OPT>=<value>``, prefixed by ``-D<SWITCH>=ON`` when declared under a switch."""
        switch = self.enabling_switch(opt)
        prefix = f"-D{switch.name}=ON " if switch is not None else ""
        return f"{prefix}-D{opt.name}={value}"

    def packages(self) -> list[PackageFact]:
        return self.facts.packages

    def version_checks(self) -> list[VersionCheck]:
        return self.facts.version_checks


@dataclass(frozen=True)
class Entry:
    """One classified entry: its section, name, JSON fields and provenance (``file:line``)."""

    section: str
    name: str
    data: dict[str, object]
    where: str
    rule: str


def flag(option: str, value: str | None = None) -> str:
    """Upstream flag convention: ``-DOPT`` for a switch, ``-DOPT=value`` for a choice."""
    return f"-D{option}" if value is None else f"-D{option}={value}"


def add_unique(entries: list[Entry], entry: Entry) -> None:
    """Append unless the section already has an entry of that name (first rule wins)."""
    if not any(e.section == entry.section and e.name == entry.name for e in entries):
        entries.append(entry)
