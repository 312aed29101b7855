"""``xaas demo``'s container path: app image → deploy for this node → the app's test inside.

``run_container_job`` is what ``xaas demo --runtime docker`` amounts to, as a library call: the
deployment pipeline (``xaas_parsl.deploy.pipeline.drive``) in container mode. Base images are
bootstrapped once (cached), the app's IR container (or source container) is made, deployed for
this machine and the app's tests run in the deployed image with the site conventions. Every
step is cached by content, so a second run only plans (in a container) and runs the tests.
The install tree is also copied out of the deployed image to ``workdir`` so that callers that
expect a host prefix (reports, further checks) find one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xaas_parsl.deploy import DeployRequest, Mode, Stage, pipeline
from xaas_parsl.descriptor.app import AppDescriptor


def run_container_job(app: AppDescriptor, mode: str, configuration: str | None,
                      workdir: Path) -> dict[str, Any]:
    """Build ``app``'s ``mode`` (ir|source) container, deploy it here, test it inside.

    The IR container holds ``configuration`` (the intersection's choice, computed by the
    caller) and the portable ``None`` configuration, not the whole matrix: the main job stays
    quick, and the deployment still chooses among configurations inside the container.
    Returns ``{"deployment": record, "tests": results}``.
    """
    done = pipeline.drive(DeployRequest(
        app=str(app.path), workdir=str(workdir), mode=Mode.CONTAINER, image_kind=mode,
        configuration=configuration, stages=(Stage.BUILD, Stage.DEPLOY, Stage.TEST)))
    return {"deployment": done.record("deployment"), "tests": done.record("tests")}
