"""Citizens' data rights for administrators: a copy of what is held about one, and its erasure."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for

from models import Role, utcnow
from services import privacy
from staff.access import record, requires
from staff.admin import bp
from web.requests import commit, db, runtime

CONFIRM = "ERASE"


def _subject() -> privacy.Subject | None:
    try:
        return privacy.subject(request.form.get("number", "")[:40], runtime().settings.secret_key)
    except privacy.PrivacyError as exc:
        flash(f"{exc}.", "error")
        return None


@bp.get("/citizen")
@requires(Role.ADMIN)
def citizen() -> str:
    """Show the forms of a citizen's access and erasure requests, and what an erasure keeps."""
    return render_template("staff/admin_citizen.html", kept=privacy.KEPT, erased=None)


@bp.post("/citizen/export")
@requires(Role.ADMIN)
def citizen_export() -> Any:
    """Download everything held about one phone or ID number, as readable JSON (audited)."""
    who = _subject()
    if who is None:
        return redirect(url_for("staff_admin.citizen"))
    copy = privacy.copy_of(db(), who, utcnow())
    rows = {name: len(found) for name, found in copy["sections"].items() if found}
    record("citizen_export", f"citizen:{who.label}", **rows)
    commit()
    name = f"huduma-data-{who.label.replace('*', 'x').replace('+', '')}.json"
    return Response(privacy.copy_text(copy), mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename={name}"})  # fmt: skip


@bp.post("/citizen/erase")
@requires(Role.ADMIN)
def citizen_erase() -> Any:
    """Erase or anonymise what is held about one phone or ID number, but what the law keeps."""
    if request.form.get("confirm", "").strip().upper() != CONFIRM:
        flash(f"Type {CONFIRM} to confirm the erasure: nothing was changed.", "error")
        return redirect(url_for("staff_admin.citizen"))
    who = _subject()
    if who is None:
        return redirect(url_for("staff_admin.citizen"))
    erased = privacy.erase(db(), who, utcnow())
    record("citizen_erase", f"citizen:{who.label}", **erased)
    commit()
    flash(f"Data about {who.label} erased: {sum(erased.values())} records changed.", "ok")
    return render_template("staff/admin_citizen.html", kept=privacy.KEPT, erased=erased)
