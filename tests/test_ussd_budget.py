"""Every screen fits 160 characters before any cut, in both languages, with the longest values."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from menus.booking import NO_COUNTY
from menus.booking_confirm import REFUSALS
from menus.booking_when import TIME_GONE
from menus.common import GONE
from menus.context import HopContext
from menus.registry import build, nodes
from models import (
    Booking,
    Centre,
    CentreService,
    Document,
    DocumentKind,
    DocumentStatus,
    Message,
    Service,
    Slot,
    utcnow,
)
from models.work import Work
from services import bookings
from services.status import PREFIX
from sms.receipts import Receipt, receipt_text
from ussd.engine import BUDGET, State, enter, show
from ussd.hop import Caller
from words.dates import WEEKDAYS
from words.i18n import N_, gettext_for

NAIROBI = ZoneInfo("Africa/Nairobi")
PHONE = "+254711000009"
LONG_REF = 18  # characters of the longest document reference filled in
MENUS = Path(__file__).resolve().parent.parent / "menus"
INVALID = N_("Invalid choice.")
# The lines each screen can show above its title (after a refused input, or arriving with news).
SCREEN_FLASHES = {
    "main": [INVALID, N_("Language saved.")],
    "book.time": [INVALID, TIME_GONE],
    "book.day": [INVALID, GONE, TIME_GONE, N_("That time was just taken. Choose another.")],
    "book.county": [INVALID, NO_COUNTY, GONE],
    "book.match": [INVALID, GONE],
    "book.centre": [INVALID, GONE],
    "book.id": [N_("An ID number is 6 to 14 digits.")],
    "book.birth": [N_("A birth certificate number is 5 to 14 letters and digits.")],
    "status.ref": [N_("Not found. Check the reference.")],
    "verify.code": [N_("Type the code or the reference printed on the SMS.")],
    "feedback.comment": [N_("Type a comment, or 1 to skip.")],
}
FLASH = re.compile(r'(?:Invalid\(|flash=)N_\(\s*"([^"]+)"\s*\)')


def _longest(items: list[str], lang: str) -> str:
    """Return the msgid whose translation is longest in `lang`."""
    translate = gettext_for(lang)
    return max(items, key=lambda msgid: len(translate(msgid)))


def _starts_on_longest_weekday(lang: str, after: datetime) -> datetime:
    """Return 10:30 local on the first day after `after` whose weekday name is longest."""
    weekday = WEEKDAYS.index(_longest(list(WEEKDAYS), lang))
    day = after.astimezone(NAIROBI).date() + timedelta(days=1)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    return datetime.combine(day, time(10, 30), NAIROBI)


def _longest_service(db, lang: str):
    name = Service.name_sw if lang == "sw" else Service.name_en
    return db.scalars(select(Service).order_by(func.length(name).desc(), Service.id)).first()


def _documents(db, centre: Centre) -> list[Document]:
    """Add a document of every kind in every status, with a long reference."""
    pairs = [(kind, status) for kind in DocumentKind for status in DocumentStatus]
    documents = [
        Document(reference=f"{PREFIX[kind]}{n:0{LONG_REF - len(PREFIX[kind])}d}", kind=kind,
                 status=status, centre=centre, owner_phone=PHONE, status_changed_at=utcnow())
        for n, (kind, status) in enumerate(pairs)
    ]  # fmt: skip
    db.add_all(documents)
    return documents


def _slot(db, centre: Centre, service, starts_at: datetime) -> Slot:
    capacity = db.scalar(select(func.max(CentreService.capacity_per_slot)))
    slot = Slot(centre=centre, service=service, starts_at=starts_at, capacity=capacity)
    db.add(slot)
    db.flush()
    return slot


def _values(db, lang: str) -> tuple[dict[str, str], dict[str, list[dict[str, str]]]]:
    """Fill the database with the longest values of `lang`; return screen data and variants."""
    now = utcnow()
    centre = db.scalars(select(Centre).order_by(func.length(Centre.name).desc())).first()
    service = _longest_service(db, lang)
    slot = _slot(db, centre, service, _starts_on_longest_weekday(lang, now))
    past = _slot(db, centre, service, _starts_on_longest_weekday(lang, now - timedelta(days=9)))
    request = bookings.Request(PHONE, slot.id, "****9999", "h", lang, "k")
    booking = bookings.book(db, request, now=now, limit=2, tz=NAIROBI)
    db.add(Booking(reference="HKA-PAST9", phone=PHONE, slot=past, language=lang))
    documents = _documents(db, centre)
    message = Message(recipient=PHONE, body="HUDUMA: " + "x" * 150, kind="k", idempotency_key="m",
                      verification_code="AAAAAA", created_at=slot.starts_at)  # fmt: skip
    db.add(message)
    db.flush()
    data = {"service": str(service.id), "county": str(centre.county_id), "centre": str(centre.id),
            "day": slot.starts_at.astimezone(NAIROBI).date().isoformat(), "slot": str(slot.id),
            "idm": "****9999", "idh": "h", "booking": str(booking.id), "kind": "3",
            "ref": booking.reference, "fcounty": str(centre.county_id), "fcentre": str(centre.id),
            "rating": "4", "msg": str(message.id)}  # fmt: skip
    variants = {
        "book.refused": [{"why": why} for why in REFUSALS],
        "status.result": [{"doc": str(document.id)} for document in documents],
        "status.kind": [{"docs": ",".join(str(d.id) for d in documents[:: len(DocumentStatus)])}],
    }
    return data, variants


def _context(app, db_session) -> HopContext:
    found = app.extensions["huduma"]
    caller = Caller(PHONE, "k", "s", "63902", utcnow(), 0.0)
    return HopContext(caller, Work(db_session), db_session, found.redis, found.settings)


def test_the_flash_table_knows_every_refusal_and_notice():
    found = {m for path in MENUS.glob("*.py") for m in FLASH.findall(path.read_text())}
    assert found <= {flash for flashes in SCREEN_FLASHES.values() for flash in flashes}


def _flash(node_id: str, lang: str) -> str:
    if nodes()[node_id].handle is None:
        return ""
    return _longest(SCREEN_FLASHES.get(node_id, [INVALID]), lang)


def _pages(menus, ctx, state: State, flash: str) -> list[str]:
    """Every page of a screen as shown, each with the longest note it can carry."""
    screen = enter(state, menus, ctx)
    if screen.end:
        return [screen.text]
    texts = []
    for page in range(len(state.breaks)):
        state.page, state.flash = page, flash
        texts.append(show(state, menus, ctx).text)
    return texts


@pytest.mark.parametrize("lang", ["en", "sw"])
def test_every_screen_fits_before_any_cut(seeded, db_session, lang, caplog):
    data, variants = _values(db_session, lang)
    ctx, menus = _context(seeded, db_session), build(seeded.extensions["huduma"]).menus
    for node_id in nodes():
        for variant in variants.get(node_id, [{}]):
            state = State(screen=node_id, data=data | variant, stack=["main"], lang=lang,
                          flash=_flash(node_id, lang))  # fmt: skip
            for page in _pages(menus, ctx, state, _flash(node_id, lang)):
                assert len(page) <= BUDGET, (node_id, lang, len(page), page)
    assert [r.getMessage() for r in caplog.records if r.name == "ussd.engine"] == []


@pytest.mark.parametrize("lang", ["en", "sw"])
def test_receipts_fit_one_sms(seeded, db_session, lang):
    _values(db_session, lang)
    booking = db_session.scalars(select(Booking).where(Booking.idempotency_key == "k")).one()
    settings = seeded.extensions["huduma"].settings
    for receipt in Receipt:
        assert len(receipt_text(booking, receipt, lang, settings, "123456", "HKA-OLD99")) <= 160
