"""Site configurations: facts (``site.yaml``), Parsl configs, Globus Compute endpoint templates.

``config`` and ``MissingAccountError`` are imported on first use: they pull in Parsl (about a
second), which commands that only read site facts should not pay for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xaas_parsl.sites.facts import SiteFacts, known_sites, load_site

if TYPE_CHECKING:
    from xaas_parsl.sites.parsl_config import MissingAccountError, config

__all__ = ["MissingAccountError", "SiteFacts", "config", "known_sites", "load_site"]


def __getattr__(name: str) -> Any:
    if name in {"config", "MissingAccountError"}:
        from xaas_parsl.sites import parsl_config

        return getattr(parsl_config, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
