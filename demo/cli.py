"""`flask seed demo`: counties, centres, services, slots and synthetic applications."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from demo.seed import has_centres, print_summary, seed_all
from web.requests import runtime

seed_cli = AppGroup("seed", help="Demo and reference data.")


@seed_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when centres already exist.")
@click.option("--days", default=14, show_default=True, help="Working days of slots.")
@click.option("--documents", default=5000, show_default=True, help="Synthetic applications.")
def seed_demo(if_empty: bool, days: int, documents: int) -> None:
    """Load counties, centres, services, slots and synthetic applications."""
    found = runtime()
    with found.session_factory.begin() as session:
        if if_empty and has_centres(session):
            click.echo("demo data already present; nothing to do")
            return
        summary = seed_all(
            session,
            today=date.today(),
            days=days,
            documents=documents,
            hash_key=found.settings.secret_key,
            tz=found.settings.tz,
        )
    print_summary(summary)
