"""Container runtimes: one abstract base, one sibling module per runtime (as Parsl's providers)."""
