"""The error a director connection reports once its host is gone. It has a module of its own,
free of pyverbs, so that code which only handles it imports without
an RDMA stack, as the unit tests do."""


class ConnectionLost(Exception):
    """A completion failed: the host is gone or broke the connection."""
