"""Every screen of every journey, gathered into the content the USSD machinery serves."""

from __future__ import annotations

from menus import booking, booking_confirm, booking_when, feedback, main, mine, status, verify
from menus.context import HopContext, context_for
from ops.runtime import Runtime
from ussd.engine import Menus, Node
from ussd.hop import Content
from words.i18n import gettext_for


def nodes() -> dict[str, Node[HopContext]]:
    """Return every screen by id."""
    found: dict[str, Node[HopContext]] = {}
    for module in (main, status, booking, booking_when, booking_confirm, mine, feedback, verify):
        for node in module.NODES:
            if node.id in found:
                raise ValueError(f"duplicate screen id {node.id}")
            found[node.id] = node
    return found


def build(found: Runtime) -> Content[HopContext]:
    """The menus, with how to build their context on `found` and how to find a phone's language."""
    menus = Menus(nodes=nodes(), root=main.ROOT, translator=gettext_for, journeys=main.JOURNEYS)
    return Content(menus=menus, context=context_for(found), language=main.chosen_or_ask)
