"""Snakemake integration: what the rule file and the site profiles need from the library.

* :mod:`.rules` turns a workflow's ``config`` and the site facts (``site.yaml``) into paths,
  descriptors and per-step resources for the rule file ``xaas.smk``, and checks at submission
  that a site which charges an account got one;
* :mod:`.profiles` generates the per-site Snakemake profiles from ``site.yaml`` (the committed
  files under ``xaas_parsl/site_configs/<site>/snakemake/`` are its output) and installs them where
  ``snakemake --profile NAME`` looks;
* :mod:`.pbs_status` is the PBS job-status command the Aurora profile ships (stdlib only, so it
  runs under any ``python3`` on a login node).

The executor plugin that runs rule jobs through the Parsl layer is the separate top-level
package ``snakemake_executor_plugin_xaas`` (Snakemake finds plugins by that module prefix).

The rule files (``xaas.smk``, ``flow.smk``, ``burst.smk``) ship inside the package, so a workflow
anywhere includes them with ``include: rule_file("xaas.smk")``.
"""

from xaas_parsl.packaged import RULE_FILES


def rule_file(name: str) -> str:
    """The path of a bundled rule file, for a Snakefile's ``include:`` or ``module``."""
    path = RULE_FILES / name
    if not path.is_file():
        known = ", ".join(sorted(p.name for p in RULE_FILES.glob("*.smk")))
        raise FileNotFoundError(f"no rule file {name!r} in xaas_parsl (known: {known})")
    return str(path)
