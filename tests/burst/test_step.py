"""The step driver's reading of a failed launcher step: which task died first, where, how;
which packs stayed silent. (The driver itself runs on the Slurm cluster: tests/slurm.)"""

from __future__ import annotations

from pathlib import Path

import psutil  # type: ignore[import-untyped, unused-ignore]
import pytest
from click.testing import CliRunner

from tests.cli.test_cli import xaas
from xaas_parsl.burst.context import Placement
from xaas_parsl.burst.errors import FlareError
from xaas_parsl.burst.step import (
    _silent_packs,
    _step_failure,
    first_dead_task,
    flare_failure,
    run_step,
)
from xaas_parsl.cli.main import cli
from xaas_parsl.errors import InputError

SRUN = """srun: error: nid001002: task 2: Killed
srun: launch/slurm: _step_signal: Terminating StepId=72.0
slurmstepd-nid001001: error: *** STEP 72.0 ON nid001001 CANCELLED AT 2026-12-07T00:56:47 ***
srun: error: nid001002: task 3: Terminated
srun: error: nid001001: tasks 0-1: Terminated
"""


def test_the_first_task_srun_saw_die_is_the_cause() -> None:
    assert first_dead_task(SRUN) == ("nid001002", [2], "Killed")
    assert first_dead_task("srun: error: nid001001: tasks 0-1,3: Exited with exit code 1") == (
        "nid001001", [0, 1, 3], "Exited with exit code 1")
    assert first_dead_task("srun: Force Terminated StepId=72.0\n") is None


def test_step_failure_names_pack_ranks_and_node() -> None:
    placement = Placement(8, 2)
    error = _step_failure("f1", "srun", 143, SRUN, [0, 1, 2, 3], placement)
    assert error.problem == ("flare f1: pack 2 (ranks 4-5) on nid001002 died first (Killed); "
                             "srun step exited 143, 4 of 4 pack(s) left no result")
    assert error.rank == 4
    plain = _step_failure("f1", "srun", 1, "srun: something else\n", [3], placement)
    assert plain.problem == ("flare f1: srun step exited 1; pack(s) 3 (ranks 6-7) left no "
                             "result: srun: something else")


def test_a_teardown_reported_by_a_pack_does_not_hide_the_death_that_caused_it() -> None:
    """CI saw it: pack 2 was SIGKILLed, srun SIGTERMed the others, and pack 0 reported its
    worker's SIGTERM death before the step exited. The launcher's first dead task is the cause."""
    placement = Placement(8, 2)
    teardown = FlareError("rank 0 failed: worker process died (killed by SIGTERM) on nid001001",
                          rank=0)
    error = flare_failure("f1", [teardown], "srun", 143, SRUN, [0, 1, 2, 3], placement)
    assert error is not None and "pack 2 (ranks 4-5) on nid001002 died first" in error.problem
    # a real cause reported by a pack (a timeout, an exception) keeps its own words
    cause = FlareError("rank 1 failed: collective allreduce timed out after 5 s", rank=1)
    error = flare_failure("f1", [teardown, cause], "srun", 143, SRUN, [2, 3], placement)
    assert error is not None and error.problem.startswith("flare f1: rank 1 failed: collective")
    assert error.problem.endswith("; no result from pack(s) 2, 3 (ranks 4-5, 6-7)")
    # a teardown with every pack's result written, or a clean step: no launcher word to prefer
    only = flare_failure("f1", [teardown], "srun", 0, "", [], placement)
    assert only is not None and "killed by SIGTERM" in only.problem
    assert flare_failure("f1", [], "srun", 0, "", [], placement) is None


def test_silent_packs_are_named_only_when_some_packs_answered() -> None:
    placement = Placement(8, 2)
    assert _silent_packs(placement, [2, 3]) == "; no result from pack(s) 2, 3 (ranks 4-5, 6-7)"
    assert _silent_packs(placement, []) == ""
    assert _silent_packs(placement, [0, 1, 2, 3]) == ""


def test_step_command_spreads_over_nodes_and_refuses_too_many() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["burst", "step", "alps", "--size", "8", "--granularity", "2",
                                 "--function", "xaas_parsl.burst.apps.probe:rank",
                                 "--nodes", "2"])
    assert result.exit_code == 0, result.output
    assert "# 4 packs, 2 per node, 2 node(s)" in result.output
    assert "--nodes=2 --ntasks=4 --ntasks-per-node=2" in result.output
    bad = xaas("burst", "step", "alps", "--size", "8", "--granularity", "2", "--function",
               "m:f", "--nodes", "5")
    assert bad.returncode == 1 and not bad.stdout
    assert bad.stderr.strip().splitlines() == [
        "xaas: error: a flare of 4 pack(s) cannot spread over 5 node(s)"]


def test_a_refused_step_leaves_no_rendezvous_port_open(tmp_path: Path) -> None:
    """The driver opens its rendezvous before the launcher command is checked; a refused
    function name must still close the port (it stayed open until the process exited)."""
    before = {c.laddr.port for c in psutil.Process().net_connections("tcp")
              if c.status == psutil.CONN_LISTEN}
    with pytest.raises(InputError, match="module:function"):
        run_step("alps", size=2, granularity=1, function="no-colon", host="127.0.0.1",
                 out_dir=tmp_path)
    after = {c.laddr.port for c in psutil.Process().net_connections("tcp")
             if c.status == psutil.CONN_LISTEN}
    assert after <= before
