"""CLI: `flask agency create-key NRB` and `flask documents import FILE`."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import select

from models import Agency
from ops.wiring import services
from services.agency_keys import UnknownAgency, create_key
from services.documents import MAX_BATCH, FeedResult, apply_updates

agency_cli = AppGroup("agency", help="Agencies and their status-feed keys.")
documents_cli = AppGroup("documents", help="Document status updates.")


@agency_cli.command("create-key")
@click.argument("agency_code")
@click.option("--label", default="", help="Who or what uses the key.")
def create_key_command(agency_code: str, label: str) -> None:
    """Create an API key for AGENCY_CODE and print it once."""
    with services().session_factory.begin() as session:
        try:
            raw = create_key(session, agency_code, label)
        except UnknownAgency:
            raise click.ClickException(f"no agency with code {agency_code}") from None
    click.echo(raw)
    click.echo("Store it now: only its hash is kept.", err=True)


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        yield from csv.DictReader(handle)


def _chunks(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


@documents_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--agency", "agency_code", default=None, help="Agency code the rows belong to.")
def import_command(file: Path, agency_code: str | None) -> None:
    """Apply status updates from a CSV (reference,kind,status,phone,centre,id_number,changed_at)."""
    from tqdm import tqdm  # imported here: the web server never needs it

    found = services()
    total = FeedResult()
    agency_id = _agency_id(agency_code)
    with tqdm(desc="updates", unit="row") as progress:
        for offset, chunk in enumerate(_chunks(_rows(file), MAX_BATCH)):
            with found.session_factory.begin() as session:
                result = apply_updates(
                    session, chunk, agency_id=agency_id, source="csv",
                    hash_key=found.settings.secret_key or "development-only-key",
                    default_language=found.settings.default_language,
                )  # fmt: skip
            _add(total, result, offset * MAX_BATCH)
            progress.update(len(chunk))
    for error in total.errors[:20]:
        click.echo(f"row {error['index'] + 2}: {error['reason']}", err=True)
    click.echo(f"accepted {total.accepted}, unchanged {total.unchanged}, rejected {total.rejected}")


def _agency_id(code: str | None) -> int | None:
    if code is None:
        return None
    with services().session_factory() as session:
        agency_id = session.scalar(select(Agency.id).where(Agency.code == code.upper()))
    if agency_id is None:
        raise click.ClickException(f"no agency with code {code}")
    return agency_id


def _add(total: FeedResult, result: FeedResult, offset: int) -> None:
    total.accepted += result.accepted
    total.unchanged += result.unchanged
    total.rejected += result.rejected
    total.errors += [{"index": e["index"] + offset, "reason": e["reason"]} for e in result.errors]
