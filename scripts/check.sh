#!/usr/bin/env bash
# The test command: lint, type-check and run the test suite (slow tests excluded by default;
# pass "-m slow" to run only those, or any other pytest arguments).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check xaas_parsl snakemake_executor_plugin_xaas tests benchmarks
.venv/bin/mypy
# -rs: every skip prints its reason (under CI=true setup-provided infrastructure fails instead);
# --durations: the slowest tests, to keep the default run inside its 30-minute budget
exec .venv/bin/python -m pytest -q -rs --durations=20 "$@"
