"""Kenyan phone and ID numbers: normalise, mask and hash them."""

from __future__ import annotations

import hashlib
import hmac
import re

import phonenumbers

ID_NUMBER = re.compile(r"[0-9]{6,14}")  # not \d: it matches Arabic-Indic digits too
BIRTH_CERTIFICATE = re.compile(r"[A-Z0-9]{5,14}")


class InvalidPhone(ValueError):
    """Not a Kenyan mobile number."""


class InvalidIdNumber(ValueError):
    """Not a national ID number (or birth certificate number)."""


def normalise_phone(raw: str) -> str:
    """Return the E.164 form of a Kenyan mobile number typed as 07.., 7.., 2547.. or +2547..."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("254"):
        digits = "+" + digits
    try:
        number = phonenumbers.parse(digits, "KE")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {exc}") from None
    if number.country_code != 254 or not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid Kenyan number")
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise InvalidPhone("not a Kenyan mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(phone: str) -> str:
    """Keep the country prefix and the last three digits: +2547*****123."""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:5] + "*" * (len(phone) - 8) + phone[-3:]


def validate_id_number(raw: str) -> str:
    """Return the digits of a national ID number (Maisha Namba may be up to 14 digits)."""
    digits = (raw or "").strip()
    if not ID_NUMBER.fullmatch(digits):
        raise InvalidIdNumber("an ID number is 6 to 14 digits")
    return digits


def validate_birth_certificate(raw: str) -> str:
    """Return a birth certificate number: 5 to 14 letters and digits, spaces ignored."""
    cleaned = "".join((raw or "").split()).upper()
    if not BIRTH_CERTIFICATE.fullmatch(cleaned):
        raise InvalidIdNumber("a birth certificate number is 5 to 14 letters and digits")
    return cleaned


def mask_id_number(id_number: str) -> str:
    """Show only the last four digits: ****2913."""
    return "****" + id_number[-4:]


def keyed_hash(value: str, key: str) -> str:
    """Hash a phone or ID number with the deployment's secret so it cannot be reversed by lookup."""
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
