"""The notebook runs top to bottom, headless, as a user would run it on ``local``."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tests.conftest import REPO

NOTEBOOK = REPO / "workflows" / "notebooks" / "xaas_parsl.ipynb"


def test_notebook_runs_headless(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = "".join(
        out.get("text", "") for cell in nb.cells if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )
    assert "PASSED" in outputs
    assert "#SBATCH --account=myproject" in outputs
    assert (tmp_path / ".xaas-deploy").is_dir()
