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
from sqlalchemy.exc import DBAPIError

from models import Agency
from services.agency_keys import UnknownAgency, create_key
from services.documents import MAX_BATCH, FeedBusy, FeedResult, apply_and_commit
from sms.templates import public_code
from web.requests import runtime

agency_cli = AppGroup("agency", help="Agencies and their status-feed keys.")
documents_cli = AppGroup("documents", help="Document status updates.")


@agency_cli.command("create-key")
@click.argument("agency_code")
@click.option("--label", default="", help="Who or what uses the key.")
def create_key_command(agency_code: str, label: str) -> None:
    """Create an API key for AGENCY_CODE and print it once."""
    with runtime().session_factory.begin() as session:
        try:
            raw = create_key(session, agency_code, label)
        except UnknownAgency:
            raise click.ClickException(f"no agency with code {agency_code}") from None
    click.echo(raw)
    click.echo("Store it now: only its hash is kept.", err=True)


def _rows(path: Path) -> Iterator[tuple[int, object]]:
    """Yield (line number, row dict or the reason it cannot be read) for each CSV row."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.DictReader(handle)
        while True:
            first_line = reader.line_num + 1  # a quoted field may span lines: name the first
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield first_line, f"unreadable CSV: {exc}"
                continue
            yield first_line, _clean(row)


def _clean(row: dict[str | None, Any]) -> dict[str, Any] | str:
    if None in row:
        return "more fields than the header names"
    if "\ufffd" in "".join(str(v) for v in row.values()):
        return "not valid UTF-8"
    return {str(k): v for k, v in row.items()}


def _chunks(rows: Iterator[tuple[int, object]], size: int) -> Iterator[list[tuple[int, object]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


@documents_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--agency", "agency_code", default=None, help="Agency code the rows belong to.")
def import_command(file: Path, agency_code: str | None) -> None:
    """Apply status updates from a CSV (reference,kind,status,phone,centre,id_number,changed_at)."""
    from tqdm import tqdm  # imported here: the web server never needs it

    total = FeedResult()
    agency_id = _agency_id(agency_code)
    with tqdm(desc="updates", unit="row") as progress:
        for chunk in _chunks(_rows(file), MAX_BATCH):
            _import_chunk(chunk, agency_id, total)
            progress.update(len(chunk))
    for error in total.errors[:20]:
        click.echo(f"line {error['index']}: {error['reason']}", err=True)
    if len(total.errors) > 20:
        click.echo(f"... and {len(total.errors) - 20} more bad rows", err=True)
    click.echo(f"accepted {total.accepted}, unchanged {total.unchanged}, rejected {total.rejected}")


def _import_chunk(
    chunk: list[tuple[int, object]], agency_id: int | None, total: FeedResult
) -> None:
    """Apply one chunk in its own transaction (retried on collisions); errors by line number."""
    found = runtime()
    lines = [line for line, _ in chunk]
    # Unreadable rows become items the feed rejects with the reason, keeping line numbers.
    items = [row if isinstance(row, dict) else {"unreadable": row} for _, row in chunk]
    work = found.work()
    try:
        result = apply_and_commit(
            work, items, agency_id=agency_id, source="csv", hash_key=found.settings.secret_key,
            default_language=found.settings.default_language, dial=public_code(found.settings),
        )  # fmt: skip
    except (FeedBusy, DBAPIError) as exc:
        for line in lines:
            total.reject(line, f"not applied, import these lines again: {type(exc).__name__}")
        return
    finally:
        work.close()
    total.accepted += result.accepted
    total.unchanged += result.unchanged
    for error in result.errors:
        reason = error["reason"]
        row = chunk[error["index"]][1]
        total.reject(lines[error["index"]], row if isinstance(row, str) else reason)


def _agency_id(code: str | None) -> int | None:
    if code is None:
        return None
    with runtime().session_factory() as session:
        agency_id = session.scalar(select(Agency.id).where(Agency.code == code.upper()))
    if agency_id is None:
        raise click.ClickException(f"no agency with code {code}")
    return agency_id
