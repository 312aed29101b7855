"""xaas-parsl: XaaS deployment steps and serverless workflows as Parsl apps and Snakemake rules.

The package is organised as one subpackage per concern (``discovery``, ``spec``,
``intersection``, ``apps``, ...). Each has a typed core of pure functions and data classes and a
thin edge that runs external tools; the CLI (``xaas``), Parsl apps and Snakemake rules all call
the same functions.
"""

__version__ = "0.1.0"
