"""Transports that carry messages between packs of a flare.

``base`` holds the abstract interface and the in-process mailbox; each concrete transport is one
module (``zmq`` now; a Redis transport would be another module implementing ``PackTransport``
and ``Rendezvous``).
"""

from xaas_parsl.burst.transport.base import Mailbox, PackTransport, Rendezvous

__all__ = ["Mailbox", "PackTransport", "Rendezvous"]
