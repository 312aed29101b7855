"""Application descriptors (``app.yaml``) and the bundled example applications.

(``xaas_parsl.apps`` holds the Parsl apps; this package describes applications.)
"""

from xaas_parsl.descriptor.app import AppDescriptor, Configuration, bundled_app, load_app

__all__ = ["AppDescriptor", "Configuration", "bundled_app", "load_app"]
