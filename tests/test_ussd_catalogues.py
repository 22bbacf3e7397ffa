"""The compiled catalogues match their .po files, and every screen text is translated."""

from __future__ import annotations

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from words.i18n import CATALOGUES, DOMAIN


def _pairs(catalog) -> dict[str, str]:
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


def test_mo_files_are_compiled_from_the_po_files():
    for lang in ("en", "sw"):
        folder = CATALOGUES / lang / "LC_MESSAGES"
        with (folder / f"{DOMAIN}.po").open("rb") as po, (folder / f"{DOMAIN}.mo").open("rb") as mo:
            assert _pairs(read_po(po)) == _pairs(read_mo(mo)), lang


def test_kiswahili_translates_every_message():
    with (CATALOGUES / "sw" / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        assert all(m.string for m in read_po(po) if m.id)
