"""`flask slots extend` and `flask retention ...`: what the periodic jobs do, now, by hand."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from jobs.retention import apply_retention
from jobs.slots import open_slots
from services.retention import CLASSES
from web.requests import runtime

slots_cli = AppGroup("slots", help="Appointment slots.")


@slots_cli.command("extend")
@click.option("--days", default=14, show_default=True, help="Working days ahead to cover.")
def extend(days: int) -> None:
    """Reconcile future slots with the centres' data and open the missing ones."""
    found = runtime()
    settings = found.settings.with_overrides(slot_horizon_days=days)
    click.echo(f"{open_slots(found, settings)} slots added")


retention_cli = AppGroup("retention", help="How long personal data is kept.")


@retention_cli.command("show")
def show() -> None:
    """Print each data class, how many days it is kept and what happens then."""
    settings = runtime().settings
    for data in CLASSES:
        click.echo(f"{data.name:15} {data.days(settings):5} days  {data.what}")


@retention_cli.command("run")
def run() -> None:
    """Anonymise or delete what is kept too long now, as the nightly job does."""
    for name, rows in apply_retention(runtime()).items():
        click.echo(f"{name:15} {rows} rows")
