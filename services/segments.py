"""Count the SMS parts of a text: GSM-7 160/153, UCS-2 70/67, extension characters count two."""

from __future__ import annotations

from dataclasses import dataclass

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "^{}\\[]~|€\f"
TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."})


@dataclass(frozen=True, slots=True)
class PartCount:
    """How a text travels: encoding, length in units, parts, and the characters forcing UCS-2."""

    encoding: str
    units: int
    parts: int
    per_part: int
    ucs2_chars: tuple[str, ...]


def tidy(text: str) -> str:
    """Replace typographic quotes and dashes staff paste in with their GSM-7 equivalents."""
    return text.translate(TYPOGRAPHY).replace("\r\n", "\n")


def count_parts(text: str) -> PartCount:
    """Return the encoding and number of parts AT bills for `text`."""
    forcing = tuple(dict.fromkeys(c for c in text if c not in GSM_BASIC and c not in GSM_EXTENSION))
    if forcing:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    else:
        units = len(text) + sum(1 for c in text if c in GSM_EXTENSION)
        single, multi, encoding = 160, 153, "GSM-7"
    parts = 0 if units == 0 else 1 if units <= single else -(-units // multi)
    return PartCount(encoding, units, parts, single if parts <= 1 else multi, forcing)
