"""The walk of every screen and every SMS, in both languages, with the longest values.

Names are at the longest the admin forms accept, references as long as real ones, dates on the
weekday with the longest name. Every page of every screen must fit 160 characters before any
cut, with the longest note it can carry; every SMS must be GSM-7, and one part where promised.
One seeded database serves both languages.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path

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
from services.administration import CENTRE_NAME_MAX, NAME_MAX
from services.status import PREFIX
from sms.receipts import Receipt, receipt_text
from sms.reminders import booking_reminder
from sms.segments import GSM7, count
from sms.templates import compose
from tests.dates import NAIROBI
from ussd.engine import BUDGET, State, enter, show
from ussd.hop import Caller
from words.dates import WEEKDAYS
from words.documents import short_reference, status_text, waiting_text
from words.i18n import N_, gettext_for

PHONE = "+254711000009"
LANGS = ("en", "sw")
REF = 14  # characters of the longest document reference (HK-PCC-1000000)
CENTRE = "Huduma Centre Marakwet Kapsowar"[:CENTRE_NAME_MAX]
SERVICE = {"en": "Replacement ID card (lost/worn)"[:NAME_MAX],
           "sw": "Kitambulisho kilichopotea/kuharibika"[:NAME_MAX]}  # fmt: skip
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
    "book.service": [INVALID, GONE],
    "book.id": [N_("An ID number is 6 to 14 digits.")],
    "book.birth": [N_("A birth certificate number is 5 to 14 letters and digits.")],
    "status.ref": [N_("Not found. Check the reference.")],
    "verify.code": [N_("Type the code or the reference printed on the SMS.")],
    "feedback.comment": [N_("Type a comment, or 1 to skip.")],
}
FLASH = re.compile(r'(?:Invalid\(|flash=)N_\(\s*"([^"]+)"\s*\)')


def _longest_weekday(after: datetime) -> datetime:
    """10:30 local on the first day after `after` whose weekday name is longest in any language."""

    def longest(name: str) -> int:
        return max(len(gettext_for(lang)(name)) for lang in LANGS)

    weekday = WEEKDAYS.index(max(WEEKDAYS, key=longest))
    day = after.astimezone(NAIROBI).date() + timedelta(days=1)
    return datetime.combine(day + timedelta(days=(weekday - day.weekday()) % 7), time(10, 30),
                            NAIROBI)  # fmt: skip


def _slot(db, centre: Centre, service: Service, starts_at: datetime) -> Slot:
    capacity = db.scalar(select(func.max(CentreService.capacity_per_slot)))
    slot = Slot(centre=centre, service=service, starts_at=starts_at, capacity=capacity)
    db.add(slot)
    db.flush()
    return slot


def _documents(db, centre: Centre) -> list[Document]:
    """A document of every kind in every status, with a reference as long as real ones."""
    pairs = [(kind, status) for kind in DocumentKind for status in DocumentStatus]
    documents = [
        Document(reference=f"{PREFIX[kind]}{n:0{REF - len(PREFIX[kind])}d}", kind=kind,
                 status=status, centre=centre, owner_phone=PHONE, status_changed_at=utcnow())
        for n, (kind, status) in enumerate(pairs)
    ]  # fmt: skip
    db.add_all(documents)
    return documents


def _longest_names(db) -> tuple[Centre, Service]:
    """Give a centre and the first service names as long as the admin forms accept."""
    centre = db.scalars(select(Centre).order_by(func.length(Centre.name).desc())).first()
    service = db.scalars(select(Service).order_by(Service.demand_rank)).first()
    centre.name, service.name_en, service.name_sw = CENTRE, SERVICE["en"], SERVICE["sw"]
    return centre, service


def _values(db) -> tuple[dict[str, str], dict[str, list[dict[str, str]]]]:
    """Fill the database with the longest values; return screen data and per-screen variants."""
    now = utcnow()
    centre, service = _longest_names(db)
    slot = _slot(db, centre, service, _longest_weekday(now))
    past = _slot(db, centre, service, _longest_weekday(now - timedelta(days=9)))
    request = bookings.Request(PHONE, slot.id, "****9999", "h", "en", "k")
    booking = bookings.book(db, request, now=now, limit=2, tz=NAIROBI)
    db.add(Booking(reference="HKA-PAST9", phone=PHONE, slot=past))
    documents = _documents(db, centre)
    message = Message(recipient=PHONE, body="HUDUMA: " + "x" * 150, kind="k", idempotency_key="m",
                      verification_code="123456", created_at=slot.starts_at)  # fmt: skip
    db.add(message)
    db.flush()
    data = {"service": str(service.id), "county": str(centre.county_id), "centre": str(centre.id),
            "day": slot.starts_at.astimezone(NAIROBI).date().isoformat(), "slot": str(slot.id),
            "idm": "****9999", "idh": "h", "idr": "1", "booking": str(booking.id),
            "ref": booking.reference, "fcounty": str(centre.county_id), "fcentre": str(centre.id),
            "rating": "4", "msg": str(message.id), "match": str(centre.county_id),
            "what": N_("Give feedback")}  # fmt: skip
    variants = {
        "book.refused": [{"why": why} for why in REFUSALS],
        "status.result": [{"doc": str(document.id)} for document in documents],
        "status.kind": [{"docs": ",".join(str(d.id) for d in documents[:: len(DocumentStatus)])}],
        "resume": [{"saved": State(screen="feedback.rate").dumps(), "what": N_("Give feedback")}],
    }
    return data, variants


def _context(app, db_session) -> HopContext:
    found = app.extensions["huduma"]
    caller = Caller(PHONE, "k", "s", "63902", utcnow(), 0.0)
    return HopContext(caller, Work(db_session), lambda: db_session, found.redis, found.settings)


def test_the_flash_table_knows_every_refusal_and_notice():
    found = {m for path in MENUS.glob("*.py") for m in FLASH.findall(path.read_text())}
    assert found <= {flash for flashes in SCREEN_FLASHES.values() for flash in flashes}


def _flash(node_id: str, lang: str) -> str:
    if node_id not in nodes() or nodes()[node_id].handle is None:
        return ""
    translate = gettext_for(lang)
    return max(SCREEN_FLASHES.get(node_id, [INVALID]), key=lambda msgid: len(translate(msgid)))


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


def _screens(app, db_session, lang: str, data, variants) -> list[tuple[str, str]]:
    ctx, menus = _context(app, db_session), build(app.extensions["huduma"]).menus
    found = []
    if lang == "en":  # the first dial of a phone with no language: the same in both
        greeting = State(screen="main", lang="--", flash=INVALID)
        found += [("greeting", page) for page in _pages(menus, ctx, greeting, INVALID)]
    for node_id in [*nodes(), "resume"]:
        for variant in variants.get(node_id, [{}]):
            flash = _flash(node_id, lang)
            state = State(screen=node_id, data=data | variant, stack=["main", "mine.view"],
                          lang=lang, flash=flash)  # fmt: skip
            found += [(node_id, page) for page in _pages(menus, ctx, state, flash)]
    return found


def test_every_screen_fits_in_both_languages(seeded, db_session, caplog):
    data, variants = _values(db_session)
    for lang in LANGS:
        screens = _screens(seeded, db_session, lang, data, variants)
        assert len(screens) > len(nodes())  # every screen, with its variants and pages
        over = [(node_id, len(text), text) for node_id, text in screens if len(text) > BUDGET]
        assert over == [], lang
    assert [r.getMessage() for r in caplog.records if r.name == "ussd.engine"] == []


def _sms(seeded, db_session, lang: str) -> dict[str, list[str]]:
    """Every kind of SMS the service sends, with the longest values, by kind."""
    settings = seeded.extensions["huduma"].settings
    booking = db_session.scalars(select(Booking).where(Booking.idempotency_key == "k")).one()
    booking.language = lang
    receipts = [receipt_text(booking, r, lang, settings, "123456", "HKA-OLD99") for r in Receipt]
    ref = f"HK-PCC-{'1' * (REF - 7)}"
    pairs = [(kind, status) for kind in DocumentKind for status in DocumentStatus]

    def framed(text: str) -> str:
        return compose(lang, text, "123456", "*384*1919#")

    return {
        "receipts": receipts,
        "booking reminder": [booking_reminder(booking, lang, settings, "123456")],
        "uncollected reminders": [
            framed(waiting_text(lang, kind, ref, CENTRE, (2, 2))) for kind in DocumentKind
        ],  # fmt: skip
        "status replies": [
            framed(status_text(lang, k, s, short_reference(ref), CENTRE)) for k, s in pairs
        ],  # fmt: skip
        "notices": [framed(status_text(lang, k, s, ref, CENTRE)) for k, s in pairs],
    }


def test_every_sms_is_gsm7_and_one_part_where_promised(seeded, db_session):
    _values(db_session)
    for lang in LANGS:
        sent = _sms(seeded, db_session, lang)
        for kind, texts in sent.items():
            assert all(count(text).encoding == GSM7 for text in texts), kind
            most = 2 if kind == "notices" else 1  # a notice names the whole reference
            assert max(count(text).parts for text in texts) <= most, (lang, kind, texts)


def test_notices_at_a_usual_centre_are_one_part():
    pairs = [(kind, status) for kind in DocumentKind for status in ("READY_FOR_COLLECTION",)]
    for lang in LANGS:
        for kind, status in pairs:
            body = status_text(lang, kind, status, "HK-PCC-100003", "Huduma Centre Nakuru")
            text = compose(lang, body, "123456", "*384*1919#")
            assert count(text).parts == 1, (lang, len(text), text)
