"""CSV exports: no cell a spreadsheet would run as a formula, no more personal data than needed."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select, update

from jobs.broadcasts import fan_out
from models import Message, Role
from tests.staff.conftest import compose_csv, post

INJECTIONS = [
    ('=HYPERLINK("http://203.0.113.5/x","Click")', "'=HYPERLINK(\"http://203.0.113.5/x\",\"Click\")"),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("+2+5+cmd|' /C calc'!A0", "'+2+5+cmd|' /C calc'!A0"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("DeliveryFailure", "DeliveryFailure"),
    ("", ""),
]  # fmt: skip


def _export(app, client, reason: str) -> list[dict[str, str]]:
    with app.extensions["huduma"].session_factory.begin() as session:
        session.execute(update(Message).values(failure_reason=reason[:60], status="failed"))
    answer = client.get("/staff/broadcasts/1/export.csv")
    assert answer.status_code == 200
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True), newline="")))


@pytest.fixture()
def sent(app, as_role):
    """A supervisor's one-number broadcast, fanned out; return the supervisor's client."""
    client = as_role(Role.SUPERVISOR)
    compose_csv(client, ["0712000001"])
    post(client, "/staff/broadcasts/1/submit")
    fan_out(1, app.extensions["huduma"])
    return client


@pytest.mark.parametrize(("reason", "cell"), INJECTIONS)
def test_failure_reasons_are_neutralised_in_the_export(app, sent, reason, cell):
    [row] = _export(app, sent, reason)
    assert row["failure_reason"] == cell


def test_supervisors_get_masked_numbers_that_no_spreadsheet_runs(app, sent):
    [row] = _export(app, sent, "DeliveryFailure")
    assert row["phone"] == "'+2547*****001"


def test_admins_get_the_full_number(app, sent, as_role, db_session):
    admin = as_role(Role.ADMIN, "root")
    [row] = _export(app, admin, "DeliveryFailure")
    assert row["phone"] == "'" + db_session.scalars(select(Message.recipient)).one()
