from __future__ import annotations

import json

from tests.cli.test_cli import xaas


def test_site_list_and_show() -> None:
    proc = xaas("site", "list")
    assert proc.returncode == 0
    assert [line.split()[0] for line in proc.stdout.splitlines()] == [
        "alps", "ault", "aurora", "local"]
    facts = json.loads(xaas("site", "show", "aurora").stdout)
    assert facts["scheduler"] == "pbspro" and facts["launcher"] == "mpiexec"


def test_site_script_renders_through_the_provider() -> None:
    proc = xaas("site", "script", "alps", "--account", "g42", "--nodes", "2")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("# submit: sbatch ")
    assert "#SBATCH --account=g42" in proc.stdout and "#SBATCH --nodes=2" in proc.stdout


def test_site_errors_are_one_line() -> None:
    for args, needle in [(("site", "script", "alps"), "needs an account"),
                         (("site", "show", "lumi"), "unknown site 'lumi'")]:
        proc = xaas(*args)
        assert proc.returncode == 1
        assert len(proc.stderr.strip().splitlines()) == 1 and needle in proc.stderr
