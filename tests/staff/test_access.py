"""Every console route against every role: allowed actions really happen, refused ones do not."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    AgencyKey,
    AuditEvent,
    Broadcast,
    Centre,
    Holiday,
    Message,
    RecoveryCode,
    Role,
    Service,
    StaffUser,
    Ticket,
)
from services import agency_keys
from services.audiences import Audience
from services.staff_accounts import create_user
from services.two_factor import pending_secret
from tests.staff import visit_world as vw
from tests.staff.conftest import PASSWORD, csrf, current_code, enable_two_factor

RANK = {Role.AGENT: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}
PUBLIC = {(method, path) for method in ("GET", "POST")
          for path in ("/staff/login", "/staff/login/code", "/staff/login/enrol")} | {
    ("GET", "/staff/display/{id}"),  # the wall display: a key instead
    ("GET", "/staff/display/{id}/board"),
}  # fmt: skip


@dataclass(slots=True)
class World:
    """The app and the people a case needs: the acting user and another supervisor."""

    app: Flask
    me: int
    other: int
    made: int = 0

    def begin(self) -> Any:
        return self.app.extensions["huduma"].session_factory.begin()

    def read(self) -> Session:
        session: Session = self.app.extensions["huduma"].session_factory()
        return session

    def name(self, prefix: str) -> str:
        self.made += 1
        return f"{prefix}{self.made}"


Made = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Case:
    """One route: how to set it up, what an allowed call returns, and what it changes."""

    method: str
    path: str
    needed: Role
    make: Callable[[World], Made] = lambda w: {}
    status: int = 200
    goes_to: str = ""
    shows: str = ""
    effect: Callable[[World, Made], bool] | None = None
    send: Callable[[Made], dict[str, Any]] = field(default=lambda m: {})
    renews_session: bool = False  # a new session: a new CSRF token

    def url(self, made: Made) -> str:
        return self.path.format(**made)


def _get(session: Session, model: Any, id_: int) -> Any:
    return session.get(model, id_)


def _broadcast(world: World, status: str, *, mine: bool = True, recipients: int = 1) -> Made:
    phones = [f"+2547120000{n:02d}" for n in range(recipients)]
    with world.begin() as session:
        broadcast = Broadcast(
            title=world.name("Notice "), body_en="Hello", body_sw="Habari",
            message_class="transactional", status=status, recipient_count=recipients,
            audience=Audience("csv", "list", phones=phones).as_json(),
            created_by_id=world.me if mine else world.other,
        )  # fmt: skip
        session.add(broadcast)
        session.flush()
        return {"id": broadcast.id}


def _status_is(status: str) -> Callable[[World, Made], bool]:
    def check(world: World, made: Made) -> bool:
        with world.read() as session:
            return bool(_get(session, Broadcast, made["id"]).status == status)

    return check


def _ticket(world: World) -> Made:
    with world.begin() as session:
        ticket = Ticket(reason="help", phone="+254712000001", summary="asked for help")
        session.add(ticket)
        session.flush()
        return {"id": ticket.id}


def _audited(action: str) -> Callable[[World, Made], bool]:
    def check(world: World, made: Made) -> bool:
        with world.read() as session:
            query = select(AuditEvent).where(AuditEvent.action == action)
            return session.scalars(query.where(AuditEvent.actor_id == world.me)).first() is not None

    return check


def _exists(model: Any, **where: Any) -> Callable[[World, Made], bool]:
    def check(world: World, made: Made) -> bool:
        with world.read() as session:
            return session.scalars(select(model).filter_by(**where)).first() is not None

    return check


def _sim_session(world: World) -> Made:
    session_id = world.name("sim-roles")
    state = {"staff": world.me, "phone": "+254700000111", "inputs": []}
    world.app.extensions["huduma"].redis.set(f"staff:sim:{session_id}", json.dumps(state))
    return {"id": session_id}


def _centre(world: World) -> Made:
    with world.begin() as session:
        centre = Centre(code=world.name("ROLES"), name="Roles centre", town="Voi", county_id=1)
        session.add(centre)
        session.flush()
        return {"id": centre.id}


def _holiday(world: World) -> Made:
    with world.begin() as session:
        holiday = Holiday(day=date(2027, 2, 2), name="Test day")
        session.add(holiday)
        session.flush()
        return {"id": holiday.id}


def _key(world: World) -> Made:
    with world.begin() as session:
        agency_keys.create_key(session, "NRB", "roles")
        return {"id": session.scalars(select(AgencyKey.id).order_by(AgencyKey.id.desc())).first()}


def _user(world: World) -> Made:
    with world.begin() as session:
        user = create_user(session, username=world.name("target"), full_name="Target",
                           password=PASSWORD, role=Role.AGENT)  # fmt: skip
        return {"id": user.id, "hash": user.password_hash}


def _with_two_factor(world: World) -> Made:
    made = _user(world)
    with world.begin() as session:
        enable_two_factor(session, _get(session, StaffUser, made["id"]))
    return made


def _my_hash(world: World) -> Made:
    with world.read() as session:
        return {"hash": _get(session, StaffUser, world.me).password_hash, "me": world.me}


def _my_code(world: World) -> Made:
    """A code of the actor's authenticator app, enrolment begun if it was not."""
    with world.begin() as session:
        pending_secret(_get(session, StaffUser, world.me))
        username = _get(session, StaffUser, world.me).username
    return {"code": current_code(world.app, username), "me": world.me}


def _compose_form(made: Made) -> dict[str, Any]:
    upload = (io.BytesIO(b"phone\n0712000001\n"), "list.csv")
    return {"title": "Roles notice", "body_en": "Hi", "body_sw": "Habari",
            "message_class": "transactional", "audience": "csv", "phones": upload}  # fmt: skip


def _centre_form(made: Made) -> dict[str, Any]:
    return {"code": "ROLES-NEW", "name": "New roles centre", "town": "Voi", "county": "1",
            "active": "on", "opens_0": "08:00", "closes_0": "12:00"}  # fmt: skip


def _read(check: Callable[[Session, Made], bool]) -> Callable[[World, Made], bool]:
    def run(world: World, made: Made) -> bool:
        with world.read() as session:
            return check(session, made)

    return run


A, S, M = Role.AGENT, Role.SUPERVISOR, Role.ADMIN
CASES = [
    Case("GET", "/staff/", A, status=302, goes_to="/staff/dashboard"),
    Case("GET", "/staff/dashboard", A, shows="<h1>Dashboard</h1>"),
    Case("GET", "/staff/feedback", A, shows="Citizen feedback"),
    Case("GET", "/staff/inbound", A, shows="matched no keyword"),
    Case("GET", "/staff/tickets", A, shows="Citizens who need a call"),
    Case("POST", "/staff/tickets/{id}/close", A, _ticket, 302, "/staff/tickets",
         send=lambda m: {"note": "Called back."},
         effect=_read(lambda s, m: _get(s, Ticket, m["id"]).status == "closed")),
    Case("POST", "/staff/tickets/{id}/reply", A, _ticket, 302, "/staff/tickets",
         send=lambda m: {"body": "We will call you.", "nonce": "roles"},
         effect=_read(lambda s, m: s.scalars(select(Message).where(
             Message.idempotency_key == f"reply:{m['id']}:roles")).first() is not None)),
    Case("GET", "/staff/simulator/", A, shows="USSD simulator"),
    Case("POST", "/staff/simulator/start", A, send=lambda m: {"json": {"phone": "0700000111"}},
         shows='"open":true', effect=_audited("simulator_start")),
    Case("POST", "/staff/simulator/hop", A, _sim_session, shows='"open":true',
         send=lambda m: {"json": {"session": m["id"], "input": "1"}},
         effect=lambda w, m: json.loads(w.app.extensions["huduma"].redis.get(
             f"staff:sim:{m['id']}"))["inputs"] == ["1"]),
    Case("GET", "/staff/broadcasts/parts?text=Habari", A, shows='"parts":1'),
    Case("GET", "/staff/broadcasts/", S, shows="Bulk messages"),
    Case("GET", "/staff/broadcasts/new", S, shows="Compose a bulk message"),
    Case("POST", "/staff/broadcasts/", S, status=302, goes_to="/staff/broadcasts/",
         send=_compose_form, effect=_exists(Broadcast, title="Roles notice")),
    Case("GET", "/staff/broadcasts/{id}", S, lambda w: _broadcast(w, "draft"), shows="Preview"),
    Case("POST", "/staff/broadcasts/{id}/submit", S, lambda w: _broadcast(w, "draft"), 302,
         "/staff/broadcasts/{id}", effect=_status_is("approved")),
    Case("POST", "/staff/broadcasts/{id}/approve", S,
         lambda w: _broadcast(w, "pending_approval", mine=False, recipients=3), 302,
         "/staff/broadcasts/{id}", effect=_status_is("approved")),
    Case("POST", "/staff/broadcasts/{id}/reject", S, lambda w: _broadcast(w, "draft"), 302,
         "/staff/broadcasts/{id}", effect=_status_is("cancelled")),
    Case("POST", "/staff/broadcasts/{id}/pause", S, lambda w: _broadcast(w, "approved"), 302,
         "/staff/broadcasts/{id}", effect=_status_is("paused")),
    Case("POST", "/staff/broadcasts/{id}/resume", S, lambda w: _broadcast(w, "paused"), 302,
         "/staff/broadcasts/{id}", effect=_status_is("sending")),
    Case("POST", "/staff/broadcasts/{id}/cancel", S, lambda w: _broadcast(w, "approved"), 302,
         "/staff/broadcasts/{id}", effect=_status_is("cancelled")),
    Case("GET", "/staff/broadcasts/{id}/progress", S, lambda w: _broadcast(w, "sending"),
         shows='"status":"sending"'),
    Case("GET", "/staff/broadcasts/{id}/export.csv", S, lambda w: _broadcast(w, "sending"),
         shows="phone,language,status", effect=_audited("export")),
    Case("GET", "/staff/admin/centres", M, shows="Add a centre"),
    Case("GET", "/staff/admin/centres/new", M, shows="New centre"),
    Case("GET", "/staff/admin/centres/{id}", M, _centre, shows="Roles centre"),
    Case("POST", "/staff/admin/centres/new", M, status=302, goes_to="/staff/admin/centres/",
         send=_centre_form, effect=_exists(Centre, code="ROLES-NEW")),
    Case("POST", "/staff/admin/centres/{id}", M, _centre, 302, "/staff/admin/centres/{id}",
         send=lambda m: {**_centre_form(m), "code": "ROLES-EDIT"},
         effect=_read(lambda s, m: _get(s, Centre, m["id"]).code == "ROLES-EDIT")),
    Case("GET", "/staff/admin/holidays", M, shows="Add holiday"),
    Case("POST", "/staff/admin/holidays", M, status=302, goes_to="/staff/admin/holidays",
         send=lambda m: {"day": "2027-03-03", "name": "Roles day"},
         effect=_exists(Holiday, name="Roles day")),
    Case("POST", "/staff/admin/holidays/{id}/delete", M, _holiday, 302, "/staff/admin/holidays",
         effect=_read(lambda s, m: _get(s, Holiday, m["id"]) is None)),
    Case("GET", "/staff/admin/keys", M, shows="Agency API keys"),
    Case("POST", "/staff/admin/keys", M, send=lambda m: {"agency": "1", "label": "roles key"},
         shows='id="new-key"', effect=_exists(AgencyKey, label="roles key")),
    Case("POST", "/staff/admin/keys/{id}/revoke", M, _key, 302, "/staff/admin/keys",
         effect=_read(lambda s, m: _get(s, AgencyKey, m["id"]).revoked_at is not None)),
    Case("GET", "/staff/admin/staff", M, shows="Staff accounts"),
    Case("POST", "/staff/admin/staff", M, status=302, goes_to="/staff/admin/staff",
         send=lambda m: {"username": "newbie", "password": "x" * 12, "role": "agent"},
         effect=_exists(StaffUser, username="newbie")),
    Case("POST", "/staff/admin/staff/{id}", M, _user, 302, "/staff/admin/staff",
         send=lambda m: {"role": "supervisor", "active": "on"},
         effect=_read(lambda s, m: _get(s, StaffUser, m["id"]).role == "supervisor")),
    Case("POST", "/staff/admin/staff/{id}/password", M, _user, 302, "/staff/admin/staff",
         send=lambda m: {"password": "a fresh long secret"},
         effect=_read(lambda s, m: _get(s, StaffUser, m["id"]).password_hash != m["hash"])),
    Case("GET", "/staff/admin/services", M, shows="Add a type of service"),
    Case("POST", "/staff/admin/services", M, status=302, goes_to="/staff/admin/services",
         send=lambda m: {"code": "ROLES_SVC", "name_en": "Roles", "name_sw": "Majukumu",
                         "demand_rank": "50", "agency": "1", "slot_minutes": "30"},
         effect=_exists(Service, code="ROLES_SVC")),
    Case("POST", "/staff/admin/services/{id}", M, lambda w: {"id": 1}, 302,
         "/staff/admin/services", send=lambda m: {},
         effect=_read(lambda s, m: not _get(s, Service, m["id"]).active)),
    Case("GET", "/staff/admin/audit", M, shows="Audit log"),
    Case("POST", "/staff/admin/staff/{id}/two-factor", M, _with_two_factor, 302,
         "/staff/admin/staff",
         effect=_read(lambda s, m: _get(s, StaffUser, m["id"]).totp_secret is None)),
    Case("GET", "/staff/admin/citizen", M, shows="Citizens' data requests"),
    Case("POST", "/staff/admin/citizen/export", M, send=lambda m: {"number": "0712000001"},
         shows='"sections"', effect=_audited("citizen_export")),
    Case("POST", "/staff/admin/citizen/erase", M, send=lambda m: {"number": "0712000009",
                                                                   "confirm": "ERASE"},
         shows='id="erased"', effect=_audited("citizen_erase")),
    Case("GET", "/staff/account/", A, shows="Your account"),
    Case("GET", "/staff/account/two-factor", A, shows='name="code"'),
    Case("POST", "/staff/account/two-factor", A, _my_code, send=lambda m: {"code": m["code"]},
         shows='id="recovery-codes"', effect=_read(lambda s, m: s.scalars(
             select(RecoveryCode).where(RecoveryCode.user_id == m["me"])).first() is not None)),
    Case("POST", "/staff/account/password", A, _my_hash, 302, "/staff/account/",
         send=lambda m: {"current": PASSWORD, "new": "another long secret"},
         effect=_read(lambda s, m: _get(s, StaffUser, m["me"]).password_hash != m["hash"]),
         renews_session=True),
    Case("GET", "/staff/desk/?centre={centre}", A, vw.at_centre, shows="Check-in desk"),
    Case("POST", "/staff/desk/check-in", A, vw.booked_today, 302, "/staff/desk/",
         send=lambda m: {"centre": m["centre"], "q": m["ref"]}, effect=vw.exists(vw.checked_in)),
    Case("POST", "/staff/desk/walk-in", A, vw.seat_today, 302, "/staff/desk/",
         send=lambda m: {"centre": m["centre"], "service": m["service"], "nonce": m["nonce"]},
         effect=vw.exists(vw.walked_in)),
    Case("GET", "/staff/counter/?centre={centre}&counter=1", A, vw.at_centre, shows="Counter 1"),
    Case("POST", "/staff/counter/call", A, vw.waiting_visit, 302, "/staff/counter/",
         send=lambda m: {"centre": m["centre"], "counter": m["counter"], "service": vw.QUEUE},
         effect=vw.visit_status("called")),
    Case("POST", "/staff/counter/{id}/finish", A, vw.called_visit, 302, "/staff/counter/",
         send=lambda m: {"centre": m["centre"], "counter": m["counter"], "action": "served",
                         "outcome": "done"}, effect=vw.visit_status("served")),
    Case("GET", "/staff/assisted/", A, shows="Assisted booking"),
    Case("POST", "/staff/assisted/book", A, vw.future_slot, 302, "/staff/assisted/",
         send=lambda m: {"phone": m["phone"], "slot": m["slot"], "id_number": "12345678",
                         "nonce": m["slot"]}, effect=vw.exists(vw.desk_booked)),
    Case("POST", "/staff/assisted/{id}/cancel", A, vw.desk_booking, 302, "/staff/assisted/",
         send=lambda m: {"phone": m["phone"]}, effect=vw.exists(vw.cancelled)),
    Case("GET", "/staff/visits/", A, shows="Visits: queues"),
    Case("GET", "/staff/centre-staff/", M, shows="Centre staff"),
    Case("POST", "/staff/centre-staff/{id}", M, _user, 302, "/staff/centre-staff/",
         send=lambda m: {"centre": vw.CENTRE}, effect=vw.exists(vw.centre_set)),
    # Last: it ends the session the other cases use.
    Case("POST", "/staff/logout", A, status=302, goes_to="/staff/login",
         effect=_audited("logout")),
]  # fmt: skip


def _call(client: Any, case: Case, made: Made, token: str) -> Any:
    payload = case.send(made)
    if "json" in payload:
        return client.open(case.url(made), method=case.method, json=payload["json"],
                           headers={"X-CSRFToken": token})  # fmt: skip
    data = {**payload, "csrf_token": token} if case.method == "POST" else None
    return client.open(case.url(made), method=case.method, data=data)


def _world(app: Flask, client_user: str) -> World:
    with app.extensions["huduma"].session_factory() as session:
        ids = {name: id_ for name, id_ in session.execute(select(StaffUser.username, StaffUser.id))}
    return World(app, ids[client_user], ids["other-supervisor"])


@pytest.mark.parametrize("role", list(Role))
def test_each_role_can_do_exactly_what_it_may(seeded, as_role, make_staff, role):
    make_staff("other-supervisor", Role.SUPERVISOR)
    client = as_role(role, "actor")
    world, token = _world(seeded, "actor"), csrf(client, "/staff/simulator/")
    for case in CASES:
        made = case.make(world)
        answer = _call(client, case, made, token)
        where = (role, case.method, case.path)
        if RANK[role] < RANK[case.needed]:
            assert answer.status_code == 403, where
            assert case.effect is None or not case.effect(world, made), where
            continue
        assert answer.status_code == case.status, (*where, answer.status_code)
        if case.goes_to:
            assert answer.headers["Location"].startswith(case.goes_to.format(**made)), where
        if case.shows:
            assert case.shows in answer.get_data(as_text=True), where
        assert case.effect is None or case.effect(world, made), where
        if case.renews_session:
            token = csrf(client, "/staff/simulator/")
    assert client.get("/staff/dashboard").status_code == 302  # logged out at the end


def test_anonymous_callers_are_sent_to_the_login_page(seeded, app, make_staff, client):
    make_staff("actor", Role.AGENT)
    make_staff("other-supervisor", Role.SUPERVISOR)
    world, token = _world(app, "actor"), csrf(client)
    for case in CASES:
        made = case.make(world)
        answer = _call(client, case, made, token)
        where = (case.method, case.path)
        assert answer.status_code == 302, (*where, answer.status_code)
        assert "/staff/login" in answer.headers["Location"], where
        if case.path != "/staff/logout":
            assert case.effect is None or not case.effect(world, made), where


def _template(rule: str) -> str:
    return re.sub(r"<[^>]+>", "{id}", rule)


def test_the_table_covers_every_console_route(app):
    routes = {
        (method, _template(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("staff") and not rule.endpoint.endswith(".static")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    table = {(case.method, case.path.split("?")[0]) for case in CASES}
    assert routes - PUBLIC == table
