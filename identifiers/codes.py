"""Short codes people read aloud or type on a keypad: no 0/O, 1/I/L, 2/Z, 5/S, 8/B."""

from __future__ import annotations

import secrets

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def new_code(length: int = 6) -> str:
    """Return a random code such as K7Q4M9."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def booking_reference() -> str:
    """Return a booking reference such as HKA-7Q4M2."""
    return "HKA-" + new_code(5)


def normalise_code(raw: str) -> str:
    """Uppercase and strip what a person may have typed around a code."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())
