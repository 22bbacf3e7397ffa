"""`flask slots extend`: open the coming days' slots now, as the hourly job does."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from jobs.slots import open_slots
from web.requests import runtime

slots_cli = AppGroup("slots", help="Appointment slots.")


@slots_cli.command("extend")
@click.option("--days", default=14, show_default=True, help="Working days ahead to cover.")
def extend(days: int) -> None:
    """Reconcile future slots with the centres' data and open the missing ones."""
    found = runtime()
    settings = found.settings.with_overrides(slot_horizon_days=days)
    click.echo(f"{open_slots(found, settings)} slots added")
