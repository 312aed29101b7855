"""Containers: source and IR container images, specialised at deployment (docs/containers.md).

``runtime`` holds one small abstract base (``runtime.base.ContainerRuntime``) and one module per
container runtime (Docker, Podman, Apptainer, Sarus, the CSCS Container Engine, native).
"""
