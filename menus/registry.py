"""Every screen of every journey, gathered into the menus the engine runs."""

from __future__ import annotations

from functools import cache
from typing import Any

from menus import booking, feedback, main, mine, status, verify
from ussd.engine import Menus, Node
from ussd.i18n import gettext_for


@cache
def nodes() -> dict[str, Node]:
    """Return every screen by id."""
    found: dict[str, Node] = {}
    for module in (main, status, booking, mine, feedback, verify):
        for node in module.NODES:
            assert node.id not in found, f"duplicate screen id {node.id}"
            found[node.id] = node
    return found


def build(ctx: Any) -> Menus:
    """Return the menus bound to one hop's context."""
    return Menus(nodes=nodes(), root=main.ROOT, translator=gettext_for, ctx=ctx)
