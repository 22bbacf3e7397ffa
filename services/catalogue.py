"""What can be booked: services, counties and centres, cached per process for a few seconds.

A cached list is tagged with the catalogue's version in Redis; staff changes (and any process
that finds a list stale) move the version on, so every process drops its copy at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

from redis import Redis
from sqlalchemy import Engine, Select, func, select
from sqlalchemy.orm import Session

from models import Booking, Centre, CentreService, County, Service, Slot
from models.work import Work

CACHE_SECONDS = 30.0  # a backstop: a version change normally drops a list at once
DEMAND_DAYS = 30  # counties are ordered by the bookings of this many days
VERSION_KEY = "catalogue:version"
T = TypeVar("T")
_cache: WeakKeyDictionary[Engine, dict[Hashable, tuple[str, float, Any]]] = WeakKeyDictionary()


@dataclass(frozen=True, slots=True)
class Option:
    """One bookable thing as a list shows it: its id and its name in each language."""

    id: int
    name_en: str
    name_sw: str
    code: str = ""

    def name(self, lang: str) -> str:
        """The name in `lang`."""
        return self.name_sw if lang == "sw" else self.name_en


def version(redis: Redis) -> str:
    """The catalogue's current version (one GET)."""
    return str(redis.get(VERSION_KEY) or "0")


def changed(redis: Redis) -> None:
    """Tell every process that centres or services changed: their cached lists are dropped."""
    redis.incr(VERSION_KEY)


def after_change(work: Work, redis: Redis) -> None:
    """Move the version on once this unit of work has committed its change."""
    work.after_commit(partial(changed, redis))


def _cached(session: Session, tag: str, key: Hashable, load: Callable[[], T]) -> T:
    entries = _cache.setdefault(session.get_bind().engine, {})
    found = entries.get(key)
    if found is not None and found[0] == tag and found[1] > time.monotonic():
        return cast(T, found[2])
    value = load()
    entries[key] = (tag, time.monotonic() + CACHE_SECONDS, value)
    return value


def _offering(service_id: int) -> Select[Centre]:
    return (
        select(Centre)
        .join(CentreService, CentreService.centre_id == Centre.id)
        .where(CentreService.service_id == service_id, CentreService.active, Centre.active)
    )


def services(session: Session, tag: str) -> list[Option]:
    """Bookable services, most demanded first."""
    query = select(Service).where(Service.active).order_by(Service.demand_rank, Service.id)
    return _cached(session, tag, "services", lambda: [
        Option(s.id, s.name_en, s.name_sw, s.code) for s in session.scalars(query)
    ])  # fmt: skip


def counties(session: Session, service_id: int, tag: str, now: datetime) -> list[Option]:
    """Counties with a centre offering the service, most booked first, then most centres."""
    return _cached(
        session, tag, ("counties", service_id), lambda: _counties(session, service_id, now)
    )


def _counties(session: Session, service_id: int, now: datetime) -> list[Option]:
    centres = _offering(service_id).with_only_columns(Centre.id, Centre.county_id).subquery()
    since = now - timedelta(days=DEMAND_DAYS)
    booked = (
        select(Slot.centre_id, func.count(Booking.id).label("n"))
        .join(Booking, Booking.slot_id == Slot.id)
        .where(Booking.created_at >= since)
        .group_by(Slot.centre_id)
        .subquery()
    )
    demand = func.coalesce(func.sum(booked.c.n), 0)
    query = (
        select(County.id, County.name)
        .join(centres, centres.c.county_id == County.id)
        .outerjoin(booked, booked.c.centre_id == centres.c.id)
        .group_by(County.id, County.name)
        .order_by(demand.desc(), func.count(centres.c.id).desc(), County.name)
    )
    return [Option(id_, name, name) for id_, name in session.execute(query)]


def centres(session: Session, service_id: int, county_id: int, tag: str) -> list[Option]:
    """The centres of a county offering the service, by name."""
    query = _offering(service_id).where(Centre.county_id == county_id).order_by(Centre.name)
    return _cached(session, tag, ("centres", service_id, county_id), lambda: [
        Option(c.id, c.name, c.name) for c in session.scalars(query)
    ])  # fmt: skip


def offers(session: Session, centre_id: int, service_id: int) -> bool:
    """True while the centre is open and offers the service (never cached)."""
    query = _offering(service_id).where(Centre.id == centre_id).with_only_columns(Centre.id)
    return session.scalar(query) is not None


def service_open(session: Session, service_id: int) -> bool:
    """True while the service can be booked somewhere (never cached)."""
    query = _offering(service_id).join(Service, Service.id == CentreService.service_id)
    return session.scalar(query.where(Service.active).with_only_columns(Centre.id)) is not None


def county_open(session: Session, service_id: int, county_id: int) -> bool:
    """True while a centre of the county offers the service (never cached)."""
    query = _offering(service_id).where(Centre.county_id == county_id)
    return session.scalar(query.with_only_columns(Centre.id)) is not None
