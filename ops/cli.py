"""Flask CLI commands: migrations and demo data."""

from __future__ import annotations

from datetime import date

import click
from alembic import command
from alembic.config import Config
from flask import Flask
from flask.cli import AppGroup

from config import PROJECT_ROOT
from ops.wiring import services

db_cli = AppGroup("db", help="Database schema.")
seed_cli = AppGroup("seed", help="Demo and reference data.")
slots_cli = AppGroup("slots", help="Appointment slots.")


def alembic_config(database_url: str) -> Config:
    """Return an Alembic config pointed at `database_url`."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Migrate the database to REVISION (head by default)."""
    settings = services().settings
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings.database_url), revision)
    click.echo(f"database at {revision}")


@seed_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when centres already exist.")
@click.option("--days", default=14, show_default=True, help="Working days of slots.")
@click.option("--documents", default=5000, show_default=True, help="Synthetic applications.")
def seed_demo(if_empty: bool, days: int, documents: int) -> None:
    """Load counties, centres, services, slots and synthetic applications."""
    from demo.seed import has_centres, print_summary, seed_all

    found = services()
    with found.session_factory.begin() as session:
        if if_empty and has_centres(session):
            click.echo("demo data already present; nothing to do")
            return
        summary = seed_all(
            session,
            today=date.today(),
            days=days,
            documents=documents,
            hash_key=found.settings.secret_key or "development-only-key",
        )
    print_summary(summary)


@slots_cli.command("extend")
@click.option("--days", default=14, show_default=True, help="Working days ahead to cover.")
def extend(days: int) -> None:
    """Open the missing slots of the coming working days at every active centre."""
    from services.slots import extend_slots

    with services().session_factory.begin() as session:
        added = extend_slots(session, start=date.today(), count=days)
    click.echo(f"{added} slots added")


def register(app: Flask) -> None:
    """Attach the CLI groups to `app`."""
    for group in (db_cli, seed_cli, slots_cli):
        app.cli.add_command(group)
