"""Short codes: booking references people read aloud, and verification codes they key in.

Booking references avoid look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B). Verification codes are
digits only: they are typed on a keypad, often inside a dial string (*384*1919*5*482913#).
"""

from __future__ import annotations

import secrets

ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
DIGITS = "0123456789"
CHECK_LENGTH = 6


def new_code(length: int = 6, alphabet: str = ALPHABET) -> str:
    """Return a random code such as K7Q4M9."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


def booking_reference() -> str:
    """Return a booking reference such as HKA-7Q4M2."""
    return "HKA-" + new_code(5)


def verification_code() -> str:
    """Return the code an SMS carries to prove it is genuine, such as 482913."""
    return new_code(CHECK_LENGTH, DIGITS)


def verification_codes(count: int, alphabet: str = DIGITS) -> list[str]:
    """`count` codes like verification_code's, from one read of the OS's randomness.

    A feed batch needs a thousand at once; one system call per character was a tenth of it.
    """
    codes: list[str] = []
    size = len(alphabet)
    usable = 256 - 256 % size  # bytes past this would favour the first characters
    while len(codes) < count:
        wanted = 2 * CHECK_LENGTH * (count - len(codes))
        pool = [b for b in secrets.token_bytes(wanted) if b < usable]
        for start in range(0, len(pool) - CHECK_LENGTH + 1, CHECK_LENGTH):
            chosen = pool[start : start + CHECK_LENGTH]
            codes.append("".join(alphabet[b % size] for b in chosen))
            if len(codes) == count:
                break
    return codes


def normalise_code(raw: str) -> str:
    """Uppercase and strip what a person may have typed around a code."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())
