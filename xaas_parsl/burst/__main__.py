"""``python -m xaas_parsl.burst``: one pack of a flare started by a launcher (srun, mpiexec).

A separate entry module so that the sealed, pickled ``PackResult`` refers to
``xaas_parsl.burst.pack.PackResult`` (not to ``__main__``) and the driver can load it.
"""

from __future__ import annotations

import argparse
import os
import sys

from xaas_parsl.burst.context import Placement
from xaas_parsl.burst.files import resolve_function
from xaas_parsl.burst.launch import result_path, seal_result
from xaas_parsl.burst.pack import WORKER_KINDS, PackSpec, run_pack
from xaas_parsl.burst.transport.auth import secret_from_env

# Environment variables giving the process rank under the launchers we generate commands for.
RANK_ENV = ("XAAS_BURST_PACK", "SLURM_PROCID", "PALS_RANKID", "PMI_RANK", "OMPI_COMM_WORLD_RANK")


def main(argv: list[str] | None = None) -> int:
    """Entry point of one pack started by a launcher (``srun``/``mpiexec``): the pack index
    comes from the launcher's rank variable; the result is sealed into ``--out-dir``."""
    parser = argparse.ArgumentParser(prog="python -m xaas_parsl.burst")
    parser.add_argument("--address", required=True)
    parser.add_argument("--flare-id", required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--granularity", type=int, required=True)
    parser.add_argument("--function", required=True, help="module:function run by each worker")
    parser.add_argument("--driver-host", required=True)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--start-timeout", type=float, default=120.0)
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--workers", choices=WORKER_KINDS, default="process",
                        help="run the pack's workers as processes (default) or threads")
    ns = parser.parse_args(argv)
    pack = next((int(os.environ[k]) for k in RANK_ENV if k in os.environ), 0)
    spec = PackSpec(flare_id=ns.flare_id, pack=pack,
                    placement=Placement(ns.size, ns.granularity), address=ns.address,
                    timeout=ns.timeout, start_timeout=ns.start_timeout,
                    driver_host=ns.driver_host, secret=secret_from_env(),
                    worker_kind=ns.workers)
    result = run_pack(spec, resolve_function(ns.function))
    path = result_path(ns.out_dir, ns.flare_id, pack)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_bytes(seal_result(result, spec.secret))
    os.replace(tmp, path)  # whole or absent: the driver never reads half a result
    return 1 if result.error else 0




if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
