"""Load demo data; every step inserts only what is missing, so running twice changes nothing."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from kenya_data import Kenya
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import PROJECT_ROOT
from demo.catalogue import AGENCIES, HOLIDAYS, SERVICES
from demo.documents import SampleDocument, seed_documents
from models import (
    Agency,
    Centre,
    CentreService,
    Constituency,
    County,
    Holiday,
    OpeningHours,
    Service,
)
from services.slots import extend_slots

CENTRES_CSV = PROJECT_ROOT / "data" / "huduma_centres.csv"
WEEKDAYS = range(5)  # Monday to Friday; no Saturday service was found


@dataclass(slots=True)
class SeedSummary:
    """What a seed run added, and references a new user can try."""

    added: dict[str, int] = field(default_factory=dict)
    samples: list[SampleDocument] = field(default_factory=list)


def has_centres(session: Session) -> bool:
    """Return True once any centre exists."""
    return session.scalar(select(func.count(Centre.id))) != 0


def seed_geography(session: Session) -> int:
    """Insert the 47 counties and 290 constituencies shipped by kenya-data."""
    known = set(session.scalars(select(County.code)))
    known_cons = set(session.scalars(select(Constituency.code)))
    added = 0
    with Kenya() as kenya:
        for county in kenya.counties.list():
            if county.id not in known:
                session.add(County(id=county.id, code=county.id, name=county.name))
                added += 1
        session.flush()
        for cons in kenya.constituencies.list():
            if cons.id not in known_cons:
                session.add(
                    Constituency(id=cons.id, code=cons.id, name=cons.name, county_id=cons.county_id)
                )
                added += 1
    session.flush()
    return added


def seed_services(session: Session) -> int:
    """Insert the agencies and the services citizens book."""
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    for code, name in AGENCIES.items():
        if code not in agencies:
            agencies[code] = Agency(code=code, name=name)
            session.add(agencies[code])
    known = set(session.scalars(select(Service.code)))
    added = 0
    for rank, spec in enumerate(SERVICES, start=1):
        if spec.code in known:
            continue
        session.add(
            Service(
                code=spec.code,
                name_en=spec.name_en,
                name_sw=spec.name_sw,
                agency=agencies[spec.agency],
                slot_minutes=spec.slot_minutes,
                demand_rank=rank,
                needs_smart_dl_desk=spec.needs_smart_dl_desk,
            )
        )
        added += 1
    session.flush()
    return added


def read_centres(path: Path = CENTRES_CSV) -> list[dict[str, str]]:
    """Return the centre rows of the demo CSV."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _hours(span: str) -> tuple[time, time]:
    opens, closes = span.split("-")
    return time.fromisoformat(opens), time.fromisoformat(closes)


def _new_centre(session: Session, row: dict[str, str]) -> Centre:
    county = session.scalars(select(County).where(County.name == row["county"])).one()
    constituency = session.scalars(
        select(Constituency).where(
            Constituency.name == row["constituency"], Constituency.county_id == county.id
        )
    ).one_or_none()
    opens, closes = _hours(row["hours"])
    return Centre(
        code=row["code"],
        name=row["name"],
        county=county,
        constituency=constituency,
        town=row["town"],
        smart_dl_desk=row["smart_dl_desk"] == "yes",
        hours=[OpeningHours(weekday=day, opens=opens, closes=closes) for day in WEEKDAYS],
    )


def seed_centres(session: Session) -> int:
    """Insert the centres of the CSV and the services each offers."""
    known = set(session.scalars(select(Centre.code)))
    services = list(session.scalars(select(Service)))
    capacities = {spec.code: spec.capacity for spec in SERVICES}
    added = 0
    for row in read_centres():
        if row["code"] in known:
            continue
        centre = _new_centre(session, row)
        session.add(centre)
        for service in services:
            if service.needs_smart_dl_desk and not centre.smart_dl_desk:
                continue
            session.add(
                CentreService(
                    centre=centre,
                    service=service,
                    capacity_per_slot=capacities.get(service.code, 4),
                )
            )
        added += 1
    session.flush()
    return added


def seed_holidays(session: Session) -> int:
    """Insert national public holidays."""
    known = set(session.scalars(select(Holiday.day).where(Holiday.centre_id.is_(None))))
    missing = [Holiday(day=day, name=name) for day, name in HOLIDAYS.items() if day not in known]
    session.add_all(missing)
    session.flush()
    return len(missing)


def seed_all(
    session: Session, *, today: date, days: int, documents: int, hash_key: str, tz: ZoneInfo
) -> SeedSummary:
    """Run every step inside the caller's transaction."""
    summary = SeedSummary()
    summary.added["counties and constituencies"] = seed_geography(session)
    summary.added["services"] = seed_services(session)
    summary.added["centres"] = seed_centres(session)
    summary.added["holidays"] = seed_holidays(session)
    summary.added["slots"] = extend_slots(session, start=today, count=days, tz=tz)
    added, samples = seed_documents(session, count=documents, today=today, hash_key=hash_key)
    summary.added["document applications"] = added
    summary.samples = samples
    return summary


def print_summary(summary: SeedSummary) -> None:
    """Show what was added and references to try."""
    for name, count in summary.added.items():
        click.echo(f"  {name}: {count} added")
    click.echo("Try these synthetic applications (reference, status, owner phone):")
    for sample in summary.samples:
        click.echo(f"  {sample.reference:<14} {sample.status:<22} {sample.phone}")
