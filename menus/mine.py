"""TODO."""

from ussd.engine import Node

NODES: tuple[Node, ...] = ()
