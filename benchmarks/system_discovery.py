"""Benchmark: wall time of ``discover_local()`` cold (empty cache) vs cached.

Run: ``python benchmarks/system_discovery.py [--repeat N]``. The cold run uses a fresh cache
directory, so every compiler/tool banner is asked for; the cached runs reuse it. The target is
well under 2 s cold on a developer machine; this is a benchmark, not a test, because wall time
depends on the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from xaas_parsl.discovery.probe import discover_local


def _timed(*, cache_dir: Path, use_cache: bool = True) -> float:
    start = time.perf_counter()
    discover_local(use_cache=use_cache, cache_dir=cache_dir)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="cached/uncached runs (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xaas-discovery-bench-") as tmp:
        cache_dir = Path(tmp)
        cold = _timed(cache_dir=cache_dir)
        cached = statistics.median(_timed(cache_dir=cache_dir) for _ in range(args.repeat))
        uncached = statistics.median(
            _timed(use_cache=False, cache_dir=cache_dir) for _ in range(args.repeat)
        )
    print(f"cold (empty cache):  {cold:.3f} s")
    print(f"cached (median {args.repeat}):  {cached:.3f} s")
    print(f"no cache (median {args.repeat}): {uncached:.3f} s")
    print(f"cold / cached ratio: {cold / cached:.1f}x")


if __name__ == "__main__":
    main()
