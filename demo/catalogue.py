"""Reference data the demo loads: agencies, services and public holidays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    code: str
    name_en: str
    name_sw: str
    agency: str
    capacity: int
    slot_minutes: int = 60
    needs_smart_dl_desk: bool = False


AGENCIES = {
    "NRB": "National Registration Bureau",
    "CRS": "Civil Registration Services",
    "DCI": "Directorate of Criminal Investigations",
    "NTSA": "National Transport and Safety Authority",
    "DIS": "Department of Immigration Services",
    "NPS": "National Police Service",
    "KRA": "Kenya Revenue Authority",
    "SHA": "Social Health Authority",
    "NSSF": "National Social Security Fund",
    "HELB": "Higher Education Loans Board",
}

# Most demanded first: the booking menu lists services in this order.
SERVICES = (
    ServiceSpec("ID_REPLACEMENT", "Replacement ID card", "Kitambulisho kilichopotea", "NRB", 8),
    ServiceSpec("ID_FIRST", "First ID card", "Kitambulisho cha kwanza", "NRB", 6),
    ServiceSpec("BIRTH_CERT", "Birth certificate", "Cheti cha kuzaliwa", "CRS", 6),
    ServiceSpec("GOOD_CONDUCT", "Good conduct (fingerprints)", "Cheti cha tabia njema", "DCI", 6),
    ServiceSpec("DEATH_CERT", "Death certificate", "Cheti cha kifo", "CRS", 3),
    ServiceSpec(
        "SMART_DL",
        "Smart driving licence",
        "Leseni ya udereva",
        "NTSA",
        5,
        needs_smart_dl_desk=True,
    ),
    ServiceSpec("POLICE_ABSTRACT", "Police abstract", "Fomu ya polisi (abstract)", "NPS", 4),
    ServiceSpec("PASSPORT", "Passport collection", "Kuchukua pasipoti", "DIS", 6),
    ServiceSpec("SHA", "SHA registration", "Usajili wa SHA", "SHA", 4, slot_minutes=30),
    ServiceSpec("KRA_PIN", "KRA PIN", "PIN ya KRA", "KRA", 4, slot_minutes=30),
    ServiceSpec("NSSF", "NSSF services", "Huduma za NSSF", "NSSF", 3),
    ServiceSpec("HELB", "HELB services", "Huduma za HELB", "HELB", 3),
)

# National public holidays (Public Holidays Act); Idd dates are gazetted yearly: staff add them.
HOLIDAYS = {
    date(2026, 1, 1): "New Year's Day",
    date(2026, 4, 3): "Good Friday",
    date(2026, 4, 6): "Easter Monday",
    date(2026, 5, 1): "Labour Day",
    date(2026, 6, 1): "Madaraka Day",
    date(2026, 10, 10): "Mazingira Day",
    date(2026, 10, 20): "Mashujaa Day",
    date(2026, 12, 12): "Jamhuri Day",
    date(2026, 12, 25): "Christmas Day",
    date(2026, 12, 26): "Boxing Day",
    date(2027, 1, 1): "New Year's Day",
    date(2027, 3, 26): "Good Friday",
    date(2027, 3, 29): "Easter Monday",
    date(2027, 5, 1): "Labour Day",
    date(2027, 6, 1): "Madaraka Day",
    date(2027, 10, 10): "Mazingira Day",
    date(2027, 10, 20): "Mashujaa Day",
    date(2027, 12, 12): "Jamhuri Day",
    date(2027, 12, 25): "Christmas Day",
    date(2027, 12, 26): "Boxing Day",
}
