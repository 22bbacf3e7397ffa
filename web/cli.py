"""`flask db upgrade`: the schema, migrated with Alembic."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from web.requests import runtime

db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Migrate the database to REVISION (head by default)."""
    from models.migrate import upgrade  # Alembic only where the schema is migrated

    settings = runtime().settings
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}")
