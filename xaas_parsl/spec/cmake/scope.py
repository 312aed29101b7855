"""Variable scopes, the cache and the global state, all layered for cheap "what if" forks.

CMake gives every directory and every function call a *copy* of the enclosing scope; writes stay
local unless ``PARENT_SCOPE`` is used. Copying dictionaries of thousands of variables at each of
GROMACS's many calls would be slow, so a scope here is an overlay over its parent (``Vars``): a
lookup walks down the chain, a write lands in the top layer. Because a child scope always finishes
before its parent continues, an overlay behaves exactly like a copy; the one exception,
``set(... PARENT_SCOPE)``, first pins the child's current value (``set_parent``).

The same overlays make *shadow* evaluation cheap: discovery visits the branches of ``if()`` that a
native x86-64 Linux configure would not take (an option defined only on ARM is still a
specialization point), and does so in a fork whose writes (variables, cache entries, function
definitions) land in throw-away layers, so the native evaluation never sees them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from xaas_parsl.spec.cmake.blocks import Node

T = TypeVar("T")


class Vars:
    """One variable scope layered over ``base``; ``None`` in ``local`` means "unset here"."""

    __slots__ = ("base", "local")

    def __init__(self, base: Vars | None = None) -> None:
        self.local: dict[str, str | None] = {}
        self.base = base

    def get(self, name: str) -> str | None:
        """The value, or ``None`` when the variable is not defined in this scope."""
        scope: Vars | None = self
        while scope is not None:
            local = scope.local
            if name in local:
                return local[name]
            scope = scope.base
        return None

    def set(self, name: str, value: str) -> None:
        self.local[name] = value

    def unset(self, name: str) -> None:
        self.local[name] = None

    def set_parent(self, parent: Vars, name: str, value: str | None) -> None:
        """``set(name value PARENT_SCOPE)``: change ``parent`` but not this scope's view."""
        if name not in self.local:
            self.local[name] = self.get(name)
        parent.local[name] = value


class Layered(Generic[T]):
    """A dictionary layered over ``base`` (global state: cache, commands, properties)."""

    __slots__ = ("base", "local")

    def __init__(self, base: Layered[T] | None = None) -> None:
        self.local: dict[str, T] = {}
        self.base = base

    def get(self, key: str) -> T | None:
        layer: Layered[T] | None = self
        while layer is not None:
            if key in layer.local:
                return layer.local[key]
            layer = layer.base
        return None

    def set(self, key: str, value: T) -> None:
        self.local[key] = value

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None


@dataclass(frozen=True)
class CacheEntry:
    """A cache variable: value, type (BOOL, STRING, PATH, FILEPATH, INTERNAL), doc, STRINGS."""

    value: str
    type: str
    doc: str
    where: str
    strings: tuple[str, ...] = ()
    strings_where: str | None = None


@dataclass(frozen=True)
class Definition:
    """A ``function()`` or ``macro()``: parameters and body (compiled nodes)."""

    name: str
    params: tuple[str, ...]
    body: tuple[Node, ...]
    is_macro: bool
    where: str


@dataclass
class World:
    """Global state shared by every scope: cache, commands, properties, include-once files."""

    cache: Layered[CacheEntry] = field(default_factory=Layered)
    commands: Layered[Definition] = field(default_factory=Layered)
    properties: Layered[str] = field(default_factory=Layered)

    def fork(self) -> World:
        """A throw-away layer over this world (shadow evaluation)."""
        return World(Layered(self.cache), Layered(self.commands), Layered(self.properties))
