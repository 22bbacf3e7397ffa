"""Count the parts an SMS costs: GSM-7 (160/153) or UCS-2 (70/67)."""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[]~|€\f")
GSM7_ALL = frozenset(GSM7_BASIC | GSM7_EXTENSION)
GSM7 = "GSM-7"
UCS2 = "UCS-2"


@dataclass(frozen=True, slots=True)
class Segments:
    """How a text is encoded and how many parts AT bills for it."""

    encoding: str
    units: int
    parts: int


def is_gsm7(text: str) -> bool:
    """True when every character fits the GSM-7 alphabet or its extension."""
    return set(text) <= GSM7_ALL


def count(text: str) -> Segments:
    """Return the encoding, length in code units and part count of `text`."""
    if is_gsm7(text):
        units = len(text) + sum(text.count(ch) for ch in GSM7_EXTENSION)
        return Segments(GSM7, units, _parts(units, 160, 153))
    units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
    return Segments(UCS2, units, _parts(units, 70, 67))


def _parts(units: int, single: int, multi: int) -> int:
    if units <= single:
        return 1
    return -(-units // multi)


def normalise(text: str) -> str:
    """Replace the typographic characters that would force UCS-2 with plain ones."""
    table = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."})
    return text.translate(table)
