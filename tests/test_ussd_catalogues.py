"""One source of citizen wording: every message id in the code is translated in every language."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from config import PROJECT_ROOT
from words.i18n import CATALOGUES, DOMAIN, LANGUAGES

# What `make translations` scans (babel.cfg), and the marker it looks for.
SCANNED = ("ussd", "menus", "words", "sms", "jobs")


def _pairs(catalog) -> dict[str, str]:
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


def _catalogue(lang: str):
    with (CATALOGUES / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        return read_po(po)


def _ids_in_code() -> set[str]:
    found = set()
    for folder in SCANNED:
        for _, _, message, _, _ in extract_from_dir(PROJECT_ROOT / folder, keywords={"N_": None}):
            found.add(str(message))
    return found


def test_mo_files_are_compiled_from_the_po_files():
    for lang in LANGUAGES:
        folder = CATALOGUES / lang / "LC_MESSAGES"
        with (folder / f"{DOMAIN}.po").open("rb") as po, (folder / f"{DOMAIN}.mo").open("rb") as mo:
            assert _pairs(read_po(po)) == _pairs(read_mo(mo)), lang


def test_every_message_in_the_code_is_in_every_catalogue():
    ids = _ids_in_code()
    assert len(ids) > 100  # the scan found the code's texts
    for lang in LANGUAGES:
        known = {str(m.id) for m in _catalogue(lang) if m.id}
        assert sorted(ids - known) == [], lang


def test_kiswahili_translates_every_message():
    assert [m.id for m in _catalogue("sw") if m.id and not m.string] == []


def test_the_babel_config_scans_what_this_test_scans():
    config = (PROJECT_ROOT / "babel.cfg").read_text()
    assert all(f"[python: {folder}/**.py]" in config for folder in SCANNED)
