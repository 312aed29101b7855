"""Site configurations: facts (``site.yaml``), Parsl configs, Globus Compute endpoint templates."""

from xaas_parsl.sites.facts import SiteFacts, known_sites, load_site

__all__ = ["SiteFacts", "known_sites", "load_site"]

from xaas_parsl.sites.parsl_config import MissingAccountError, config

__all__ += ["MissingAccountError", "config"]
