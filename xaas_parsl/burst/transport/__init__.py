"""Transports that carry messages between packs of a flare.

``base`` holds the abstract interface and the in-process mailbox; each concrete transport is one
module implementing ``PackTransport`` and ``Rendezvous``: ``zmq`` (the driver's ROUTER, the
default) and ``redis`` (lists on a shared Redis server; its client is imported lazily).
"""

from xaas_parsl.burst.transport.base import Mailbox, PackTransport, Rendezvous

__all__ = ["Mailbox", "PackTransport", "Rendezvous"]
