"""`flask staff ...` (first admin, unlock, reset) and `flask citizen ...` (data requests)."""

from __future__ import annotations

from typing import Any, TextIO

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Role, StaffUser, utcnow
from services import audit, privacy, staff_sessions, two_factor
from services.staff_accounts import AccountError, create_user, update_user
from staff import throttle
from web.requests import runtime

staff_cli = AppGroup("staff", help="Staff accounts of the console.")


@staff_cli.command("create-admin")
@click.argument("username")
@click.option("--full-name", default="", help="Shown in the console and the audit log.")
@click.password_option(help="At least 10 characters; prompted when not given.")
def create_admin(username: str, full_name: str, password: str) -> None:
    """Create an administrator account."""
    with runtime().session_factory.begin() as session:
        try:
            user = create_user(
                session, username=username, full_name=full_name, password=password, role=Role.ADMIN
            )
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
        _audit(session, "staff_create", user, role=Role.ADMIN.value)
    click.echo(f"administrator {username} created")


def _account(session: Session, username: str) -> StaffUser:
    found = session.scalar(select(StaffUser).where(StaffUser.username == username.lower()))
    if found is None:
        raise click.ClickException(f"no staff account {username!r}")
    return found


def _audit(session: Session, action: str, user: StaffUser, **detail: Any) -> None:
    audit.record(session, actor_id=None, actor="cli", action=action,
                 target=f"staff:{user.username}", **detail)  # fmt: skip


@staff_cli.command("unlock")
@click.argument("username")
def unlock(username: str) -> None:
    """Lift every login lock of an account (the last admin's way back)."""
    with runtime().session_factory.begin() as session:
        user = _account(session, username)
        update_user(session, user, role=user.role, active=True)
        _audit(session, "staff_unlock", user)
    throttle.forget_account(runtime().redis, username)
    click.echo(f"{username} unlocked")


@staff_cli.command("reset-two-factor")
@click.argument("username")
def reset_two_factor(username: str) -> None:
    """Switch an account's two-factor sign-in off and end its sessions (a lost phone)."""
    with runtime().session_factory.begin() as session:
        user = _account(session, username)
        two_factor.reset(session, user)
        reason = staff_sessions.EndReason.TWO_FACTOR_RESET
        ended = staff_sessions.end_all(session, user.id, reason, utcnow())
        _audit(session, "staff_2fa_reset", user, sessions_ended=ended)
    click.echo(f"two-factor sign-in of {username} reset: it is set up again at the next login")


citizen_cli = AppGroup("citizen", help="Citizens' data requests (Data Protection Act).")


def _citizen(number: str) -> privacy.Subject:
    try:
        return privacy.subject(number, runtime().settings.secret_key)
    except privacy.PrivacyError as exc:
        raise click.ClickException(str(exc)) from None


def _audit_citizen(session: Session, action: str, who: privacy.Subject, **rows: Any) -> None:
    audit.record(session, actor_id=None, actor="cli", action=action,
                 target=f"citizen:{who.label}", **rows)  # fmt: skip


@citizen_cli.command("export")
@click.argument("number")
@click.option("--out", type=click.File("w", encoding="utf-8"), default="-",
              help="Where to write the JSON copy (standard output by default).")  # fmt: skip
def export_citizen(number: str, out: TextIO) -> None:
    """Write everything held about a phone or ID number as readable JSON (audited)."""
    who = _citizen(number)
    with runtime().session_factory.begin() as session:
        copy = privacy.copy_of(session, who, utcnow())
        counts = {name: len(rows) for name, rows in copy["sections"].items() if rows}
        _audit_citizen(session, "citizen_export", who, **counts)
    out.write(privacy.copy_text(copy))


@citizen_cli.command("erase")
@click.argument("number")
@click.confirmation_option(prompt="Erase this citizen's data? It cannot be undone.")
def erase_citizen(number: str) -> None:
    """Erase or anonymise what is held about a phone or ID number, but what the law keeps."""
    who = _citizen(number)
    with runtime().session_factory.begin() as session:
        erased = privacy.erase(session, who, utcnow())
        _audit_citizen(session, "citizen_erase", who, **erased)
    for name, rows in erased.items():
        click.echo(f"{name:24} {rows}")
    click.echo("Kept:\n" + "\n".join(f"- {line}" for line in privacy.KEPT))
