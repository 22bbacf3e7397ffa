"""Every chart carries its figures as a table, for screen readers and for copying."""

from __future__ import annotations

import re

from models import Role, Ticket
from staff.charts import bar_chart, series_chart
from tests.dates import TUESDAY
from tests.staff.conftest import post


def _cells(html: str) -> list[list[str]]:
    table = html[html.index("<table>") : html.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table)
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in rows]


def test_a_bar_chart_lists_its_figures():
    html = str(bar_chart("SMS by status", [("sent", 12.0), ("failed", 3.0)]))
    assert "<details" in html and "<summary>Figures: SMS by status</summary>" in html
    assert _cells(html) == [["Name", "Value"], ["sent", "12"], ["failed", "3"]]


def test_a_series_chart_lists_a_row_per_centre_and_a_column_per_day():
    rows = [("GPO", [50.0, None]), ("Kibra & co", [12.5, 0.0])]
    html = str(series_chart("Seat use", ["Tue 24", "Wed 25"], rows, "%"))
    assert _cells(html) == [
        ["Name", "Tue 24", "Wed 25"],
        ["GPO", "50%", "-"],
        ["Kibra &amp; co", "12.5%", "0%"],
    ]


def test_every_chart_on_the_dashboard_has_a_table(seeded, as_role):
    page = as_role(Role.AGENT).get(f"/staff/dashboard?day={TUESDAY}").get_data(as_text=True)
    assert page.count("<svg") >= 2
    assert page.count("<svg") == page.count('<details class="figures">')


def test_row_buttons_name_their_row(seeded, as_role, db_session):
    db_session.add(Ticket(reason="help", phone="+254712000001"))
    db_session.commit()
    client = as_role(Role.ADMIN)
    post(client, "/staff/admin/holidays", day="2026-12-24", name="Christmas Eve")
    post(client, "/staff/admin/keys", agency=1, label="feed")
    pages = {path: client.get(path).get_data(as_text=True) for path in
             ("/staff/admin/holidays", "/staff/admin/keys", "/staff/admin/staff",
              "/staff/tickets")}  # fmt: skip
    assert (
        'aria-label="Remove holiday Christmas Eve on 24/12/2026"' in pages["/staff/admin/holidays"]
    )
    assert re.search(r'aria-label="Revoke key hk_\S+… of NRB"', pages["/staff/admin/keys"])
    assert 'aria-label="Update admin-user"' in pages["/staff/admin/staff"]
    assert 'aria-label="Close ticket 1"' in pages["/staff/tickets"]
    assert 'aria-label="Send reply to ticket 1"' in pages["/staff/tickets"]
