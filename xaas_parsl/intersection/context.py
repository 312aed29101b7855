"""The working state shared by the per-section choosers of one intersection run."""

from __future__ import annotations

from dataclasses import dataclass, field

from xaas_parsl.discovery.model import SystemInfo
from xaas_parsl.errors import PolicyError
from xaas_parsl.intersection.flags import cmake_args
from xaas_parsl.intersection.policy import Policy
from xaas_parsl.intersection.result import Available, Choice, Excluded
from xaas_parsl.spec.model import SpecPoints


@dataclass
class Context:
    """Inputs plus the accumulating result; each chooser reads and appends."""

    spec: SpecPoints
    system: SystemInfo
    policy: Policy
    available: list[Available] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    choice: Choice = field(default_factory=Choice)

    def keep(self, entry: Available) -> None:
        """Record an available entry."""
        self.available.append(entry)

    def drop(self, section: str, name: str, reason: str) -> None:
        """Record an excluded entry with its reason."""
        self.excluded.append(Excluded(section, name, reason))

    def warn(self, text: str) -> None:
        """Record a warning once."""
        if text not in self.warnings:
            self.warnings.append(text)

    def reason(self, text: str) -> None:
        """Record the sentence explaining one decision."""
        self.choice.reasons.append(text)

    def enable(self, flag: str | None, value: str = "ON") -> None:
        """Append the CMake arguments of a flag (non ``-D`` tokens go to ``extra_flags``)."""
        for arg in cmake_args(flag, value):
            if arg.startswith("-D"):
                self.choice.cmake_args.append(arg)
            elif arg not in self.choice.extra_flags:
                self.choice.extra_flags.append(arg)

    def pick(self, section: str, candidates: list[str], default: str | None) -> str | None:
        """Apply pins and preferences to the ordered ``candidates`` of a section.

        A pin that is not among the candidates is an error; preferences are soft (the first
        available wish wins, else ``default``).
        """
        if section in self.policy.pin:
            pinned = self.policy.pin[section]
            match = next((c for c in candidates if c.casefold() == pinned.casefold()), None)
            if match is None:
                why = next(
                    (e.reason for e in self.excluded
                     if e.name.casefold() == pinned.casefold()),
                    "not offered by the application",
                )
                raise PolicyError(f"pinned {section}={pinned} is not possible here: {why}")
            self.reason(f"{section}: {match} pinned by the policy.")
            return match
        for wish in self.policy.prefer.get(section, ()):
            match = next((c for c in candidates if c.casefold() == wish.casefold()), None)
            if match is not None:
                self.reason(f"{section}: {match} preferred by the policy.")
                return match
        return default
