#!/usr/bin/env python3
"""The showcase as a Parsl script: the Snakefile's twin (same nodes, same step functions).

    python workflows/showcase/showcase.py                       # site local, ./showcase-report
    python workflows/showcase/showcase.py --site local -o out --set deploy=native flare_size=16

discover (compute) → choose (login) → deploy (compute: IR container of the chosen and the
portable configuration, or native IR without a container engine) → measure (compute) →
flare (packs on the compute executor) → SeBS-Flow experiment → report.json + plots +
summary.md. The DAG itself is ``xaas_parsl.showcase.pipeline.run_parsl`` (``xaas showcase`` runs
it too); settings come from xaas_parsl/showcase/config.yaml (the package's) unless --config.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from xaas_parsl.errors import XaasError
from xaas_parsl.showcase.config import DEFAULT_CONFIG, load_config
from xaas_parsl.showcase.pipeline import run_parsl


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", default=None, help="site config (default: config.yaml's)")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    parser.add_argument("-o", "--output", type=Path, default=Path("showcase-report"))
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help="override settings of config.yaml")
    args = parser.parse_args(argv)
    try:
        overrides = dict(item.split("=", 1) for item in args.set if "=" in item)
        bad = [item for item in args.set if "=" not in item]
        if bad:
            raise XaasError(f"--set takes KEY=VALUE, got {bad[0]!r}")
        cfg = load_config(args.config, site=args.site, **overrides)
        run_parsl(cfg, args.output)
    except XaasError as exc:
        print(f"showcase.py: error: {exc.one_line()}", file=sys.stderr)
        return 1
    print((args.output / "summary.md").read_text(encoding="utf-8"))
    print(f"report: {args.output / 'report.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
