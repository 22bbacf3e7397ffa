"""`flask staff ...`: create the first administrator."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from models import Role
from services import audit
from services.staff_accounts import AccountError, create_user
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
        audit.record(
            session,
            actor_id=None,
            actor="cli",
            action="staff_create",
            target=f"staff:{user.username}",
            role=Role.ADMIN.value,
        )
    click.echo(f"administrator {username} created")
