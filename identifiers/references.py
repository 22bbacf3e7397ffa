"""References people type: application and booking references, however they were typed."""

from __future__ import annotations

import re

# The usual prefix of each kind of application, so a caller may type the digits alone.
PREFIXES = {
    "ID_CARD": "HK-ID-",
    "BIRTH_CERTIFICATE": "HK-BC-",
    "DEATH_CERTIFICATE": "HK-DC-",
    "GOOD_CONDUCT": "HK-PCC-",
    "DRIVING_LICENCE": "HK-DL-",
    "PASSPORT": "HK-PP-",
}
BOOKING = re.compile(r"HKA([A-Z0-9]{5})")
MAX_TYPED = 60  # anything longer is no reference


def compact(raw: str) -> str:
    """A reference without case or separators: ' hk-id/48 2913' -> 'HKID482913'."""
    return "".join(ch for ch in raw[:MAX_TYPED].upper() if ch.isascii() and ch.isalnum())


def document_keys(raw: str) -> list[str]:
    """The compact references `raw` may stand for; bare digits may be any kind's."""
    key = compact(raw)
    if not key:
        return []
    if key.isdigit():
        return [compact(prefix) + key for prefix in PREFIXES.values()]
    return [key]


def booking_of(raw: str) -> str | None:
    """The booking reference `raw` stands for (HKA-7Q4M2), or None."""
    found = BOOKING.fullmatch(compact(raw))
    return f"HKA-{found.group(1)}" if found else None
