"""Application descriptors (``app.yaml``) and the bundled example applications."""

from xaas_parsl.apps.descriptor import AppDescriptor, Configuration, bundled_app, load_app

__all__ = ["AppDescriptor", "Configuration", "bundled_app", "load_app"]
