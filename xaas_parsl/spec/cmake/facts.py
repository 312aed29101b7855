"""What the evaluation of a CMake project learns: options, comparisons, packages, version checks.

Every fact carries its provenance (``where``: ``file:line`` of the project-level statement that
produced it — for an option created inside a helper such as ``gmx_option_multichoice`` that is
the helper's *call*, not the ``set(... CACHE ...)`` inside the helper), whether it lies on the path
a native x86-64 Linux configure takes (``native``), and the ``if()`` conditions it sits under
(``conditions``, source text, ``NOT (...)`` for ``else`` branches). Classification
(:mod:`xaas_parsl.spec.discover`) only reads facts; it never re-evaluates CMake.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Cond:
    """One enclosing ``if()`` branch: its source text, whether negated, the comparisons in it."""

    text: str
    negated: bool
    comparisons: tuple[Comparison, ...] = ()

    def flipped(self) -> Cond:
        """The same condition, negated (the ``else`` side)."""
        return Cond(self.text, not self.negated, self.comparisons)

    def render(self) -> str:
        return f"NOT ({self.text})" if self.negated else self.text


@dataclass(frozen=True)
class Comparison:
    """``if(<var> <op> <value>)`` seen in a condition (``not_before``: directly after ``NOT``)."""

    var: str
    op: str
    value: str
    where: str
    native: bool
    not_before: bool = False
    condition: str = ""
    context: tuple[Cond, ...] = field(default=(), compare=False, repr=False)
    site: str | None = None


@dataclass(frozen=True)
class OptionFact:
    """A user-settable cache variable (``option``, ``set(CACHE)``, ``cmake_dependent_option``)."""

    name: str
    type: str
    default: str
    doc: str
    where: str
    native: bool
    conditions: tuple[Cond, ...] = ()
    strings: tuple[str, ...] = ()
    call_values: tuple[str, ...] = ()
    depends: str | None = None
    defined_at: str | None = None

    @property
    def is_bool(self) -> bool:
        return self.type == "BOOL"


@dataclass(frozen=True)
class PackageFact:
    """``find_package(<name> [version])`` or ``pkg_check_modules(... <module>>=<version>)``."""

    name: str
    version: str | None
    required: bool
    where: str
    native: bool
    conditions: tuple[Cond, ...] = ()
    components: tuple[str, ...] = ()


@dataclass(frozen=True)
class VersionCheck:
    """``if(<var> VERSION_LESS <v>) message(FATAL_ERROR ...)``: a minimum version of ``var``."""

    var: str
    minimum: str
    where: str
    native: bool
    conditions: tuple[Cond, ...] = ()
    condition: Cond | None = None


@dataclass
class Facts:
    """Everything learnt about one project, plus warnings (include loops, runaway loops, ...)."""

    options: dict[str, OptionFact] = field(default_factory=dict)
    comparisons: list[Comparison] = field(default_factory=list)
    packages: list[PackageFact] = field(default_factory=list)
    version_checks: list[VersionCheck] = field(default_factory=list)
    minimum_required: tuple[str, str] | None = None
    projects: list[tuple[str, str | None, str]] = field(default_factory=list)
    compile_flags: list[tuple[str, str, bool]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    assigned: set[str] = field(default_factory=set)
    deprecated: set[str] = field(default_factory=set)
    forced: set[str] = field(default_factory=set)
    files: int = 0
    _seen: set[object] = field(default_factory=set, repr=False)

    def add_option(self, fact: OptionFact) -> None:
        """Merge: the native definition gives the default; STRINGS and call values accumulate."""
        old = self.options.get(fact.name)
        if old is None:
            self.options[fact.name] = fact
            return
        base, other = (fact, old) if fact.native and not old.native else (old, fact)
        self.options[fact.name] = replace(
            base,
            strings=base.strings or other.strings,
            call_values=base.call_values or other.call_values,
            depends=base.depends or other.depends,
            doc=base.doc or other.doc,
        )

    def set_strings(
        self, name: str, strings: tuple[str, ...], native: bool, call_values: tuple[str, ...]
    ) -> None:
        """``set_property(CACHE <name> PROPERTY STRINGS ...)``: native lists win."""
        old = self.options.get(name)
        if old is not None and (native or not old.strings):
            self.options[name] = replace(
                old, strings=strings, call_values=call_values or old.call_values
            )

    def _once(self, key: object) -> bool:
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def add_comparison(self, fact: Comparison) -> None:
        if self._once(("cmp", fact.var, fact.op, fact.value, fact.where)):
            self.comparisons.append(fact)

    def add_package(self, fact: PackageFact) -> None:
        key = ("pkg", fact.name, fact.version, fact.where, fact.conditions)
        if self._once(key):
            self.packages.append(fact)

    def add_version_check(self, fact: VersionCheck) -> None:
        if self._once(("ver", fact.var, fact.minimum, fact.where)):
            self.version_checks.append(fact)

    def warn(self, message: str) -> None:
        if self._once(("warn", message)):
            self.warnings.append(message)
