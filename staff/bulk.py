"""Bulk messages: compose, preview, approve, send, watch, pause, cancel and export."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from identifiers.numbers import mask_phone
from jobs.broadcasts import enqueue_fan_out
from models import Broadcast, Centre, Constituency, MessageClass, Role, StaffUser, utcnow
from models.work import Lane
from services import audiences, broadcasts, exports
from services.broadcasts import count_parts
from staff.access import html_errors, me, protect_forms, record, requires
from web.requests import commit, db, rollback, runtime, work

bp = Blueprint("staff_bulk", __name__, url_prefix="/staff/broadcasts")
bp.before_request(protect_forms)
html_errors(bp)
MAX_UPLOAD = 5 * 1024 * 1024


class FormError(ValueError):
    """The compose form is incomplete or wrong."""


@bp.get("/")
@requires(Role.SUPERVISOR)
def index() -> str:
    """List broadcasts, newest first."""
    rows = db().scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(100)).all()
    return render_template("staff/broadcasts.html", broadcasts=rows)


@bp.get("/new")
@requires(Role.SUPERVISOR)
def new() -> str:
    """Show the compose form."""
    session = db()
    return render_template(
        "staff/compose.html",
        centres=session.scalars(select(Centre).where(Centre.active).order_by(Centre.name)).all(),
        constituencies=session.scalars(select(Constituency).order_by(Constituency.name)).all(),
        settings=runtime().settings,
    )


@bp.get("/parts")
@requires(Role.AGENT)
def parts() -> Response:
    """Count characters and SMS parts of a text as it will be sent, for the live counter."""
    args = request.args
    language = "sw" if args.get("lang") == "sw" else "en"
    message_class = args.get("class", "")
    text = broadcasts.sent_text(args.get("text", "")[:2000], language, message_class)
    found = count_parts(text)
    return jsonify(
        encoding=found.encoding,
        units=found.units,
        parts=found.parts,
        ucs2_chars=list(found.ucs2_chars),
        opt_out=message_class == MessageClass.AWARENESS,
    )


def _local_day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FormError("give a valid date") from None


def _centre_id() -> int:
    raw = request.form.get("centre", "")
    if not raw.isdigit() or db().get(Centre, int(raw)) is None:
        raise FormError("choose a centre")
    return int(raw)


def _audience(tz: ZoneInfo) -> audiences.Audience:
    kind, form = request.form.get("audience", ""), request.form
    if kind == "csv":
        upload = request.files.get("phones")
        data = upload.read(MAX_UPLOAD + 1) if upload else b""
        if upload is None or not data or len(data) > MAX_UPLOAD:
            raise FormError("upload a CSV file of phone numbers (at most 5 MB)")
        return audiences.from_csv(data.decode("utf-8-sig", errors="replace"), upload.filename or "")
    if kind == "uncollected":
        days = int(form.get("days", "0")) if form.get("days", "").isdigit() else 0
        return audiences.uncollected(db(), centre_id=_centre_id(), days=days, now=utcnow())
    if kind == "booked":
        day = _local_day(form.get("day", ""))
        return audiences.booked(db(), centre_id=_centre_id(), day=day, tz=tz)
    if kind == "constituency":
        found = db().get(Constituency, int(form.get("constituency", "0") or 0))
        if found is None:
            raise FormError("choose a constituency")
        return audiences.constituency(db(), constituency_id=found.id, name=found.name)
    raise FormError("choose an audience")


def schedule_time(raw: str, tz: ZoneInfo, now: datetime) -> datetime | None:
    """Read a send time: naive means local (`tz`), an explicit offset is kept; refuse the past."""
    raw = raw.strip()[:40]
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise FormError("give the send time as a date and time") from None
    when = when.replace(tzinfo=tz) if when.tzinfo is None else when
    if when <= now:
        shown = when.astimezone(tz).strftime("%d/%m/%Y %H:%M")
        raise FormError(
            f"the send time {shown} is in the past: choose a later time or leave it empty"
        )
    return when


@bp.post("/")
@requires(Role.SUPERVISOR)
def compose() -> Response | tuple[str, int]:
    """Create a draft from the form and show its preview."""
    tz, form = runtime().settings.tz, request.form
    try:
        audience = _audience(tz)
        audiences.exclude(db(), audience, form.get("message_class", ""))
        broadcast = broadcasts.compose(
            db(),
            title=form.get("title", ""),
            body_en=form.get("body_en", ""),
            body_sw=form.get("body_sw", ""),
            message_class=form.get("message_class", ""),
            audience=audience,
            creator_id=me().id,
            scheduled_for=schedule_time(form.get("scheduled_for", ""), tz, utcnow()),
        )
    except ValueError as exc:  # FormError, BroadcastError, or an unknown message class
        flash(str(exc), "error")
        return new(), 400
    record(
        "compose",
        f"broadcast:{broadcast.id}",
        recipients=broadcast.recipient_count,
        audience=audience.label,
        message_class=broadcast.message_class,
    )
    commit()
    return redirect(url_for("staff_bulk.show", broadcast_id=broadcast.id))


def _broadcast(broadcast_id: int) -> Broadcast:
    return db().get(Broadcast, broadcast_id) or abort(404)


def _locked(broadcast_id: int) -> Broadcast:
    return broadcasts.locked(db(), broadcast_id) or abort(404)


@bp.get("/<int:broadcast_id>")
@requires(Role.SUPERVISOR)
def show(broadcast_id: int) -> str:
    """Show a broadcast: preview, exclusions, approval, progress and failures."""
    broadcast, settings = _broadcast(broadcast_id), runtime().settings
    found = broadcasts.preview(
        db(),
        broadcast,
        default_language=settings.default_language,
        price=settings.sms_price_per_part,
    )
    return render_template(
        "staff/broadcast.html",
        b=broadcast,
        preview=found,
        mask=mask_phone,
        author=db().get(StaffUser, broadcast.created_by_id),
        approver=db().get(StaffUser, broadcast.approved_by_id or 0),
        needs_approval=broadcasts.needs_approval(broadcast, settings.broadcast_approval_threshold),
        failures=broadcasts.failure_reasons(db(), broadcast.id),
        me=me(),
        tz=settings.tz,
    )


def _act(broadcast: Broadcast, action: str, message: str, **detail: object) -> Response:
    record(action, f"broadcast:{broadcast.id}", **detail)
    commit()
    flash(message, "ok")
    return redirect(url_for("staff_bulk.show", broadcast_id=broadcast.id))


@bp.errorhandler(broadcasts.BroadcastError)
def _refused(exc: broadcasts.BroadcastError) -> Response:
    """Show why a step was refused on the broadcast's page; nothing was changed."""
    rollback()
    flash(str(exc), "error")
    broadcast_id = (request.view_args or {}).get("broadcast_id", 0)
    return redirect(url_for("staff_bulk.show", broadcast_id=broadcast_id))


@bp.post("/<int:broadcast_id>/submit")
@requires(Role.SUPERVISOR)
def submit(broadcast_id: int) -> Response:
    """Send a small broadcast now, or ask a second supervisor to approve a large one."""
    broadcast, settings = _locked(broadcast_id), runtime().settings
    ready = broadcasts.submit(
        db(),
        broadcast,
        actor_id=me().id,
        now=utcnow(),
        threshold=settings.broadcast_approval_threshold,
    )
    if not ready:
        return _act(broadcast, "submit", "Waiting for a second supervisor to approve.")
    _fan_out_after_commit(broadcast, broadcast.scheduled_for)
    return _act(broadcast, "send", "Approved and sending.", recipients=broadcast.recipient_count)


@bp.post("/<int:broadcast_id>/approve")
@requires(Role.SUPERVISOR)
def approve(broadcast_id: int) -> Response:
    """Approve another supervisor's broadcast and start (or schedule) the send."""
    broadcast = _locked(broadcast_id)
    broadcasts.approve(db(), broadcast, approver_id=me().id, now=utcnow())
    count = broadcast.recipient_count
    record("approve", f"broadcast:{broadcast.id}", recipients=count)
    _fan_out_after_commit(broadcast, broadcast.scheduled_for)
    return _act(broadcast, "send", "Approved: sending.", recipients=count)


def _fan_out_after_commit(broadcast: Broadcast, when: datetime | None = None) -> None:
    """Start the fan-out once the approval is committed (never before, never on a rollback)."""
    work().after_commit(partial(enqueue_fan_out, runtime(), broadcast.id, when))


@bp.post("/<int:broadcast_id>/reject")
@requires(Role.SUPERVISOR)
def reject(broadcast_id: int) -> Response:
    """Refuse a draft or pending broadcast."""
    broadcast = _locked(broadcast_id)
    broadcasts.reject(db(), broadcast)
    return _act(broadcast, "reject", "Rejected: nothing will be sent.")


@bp.post("/<int:broadcast_id>/pause")
@requires(Role.SUPERVISOR)
def pause(broadcast_id: int) -> Response:
    """Pause a send: nothing more goes out until it is resumed."""
    broadcast = _locked(broadcast_id)
    broadcasts.pause(db(), broadcast)
    return _act(broadcast, "pause", "Paused.")


@bp.post("/<int:broadcast_id>/resume")
@requires(Role.SUPERVISOR)
def resume(broadcast_id: int) -> Response:
    """Resume a paused send: finish the fan-out and enqueue the unsent messages again."""
    broadcast = _locked(broadcast_id)
    unsent = broadcasts.resume(db(), broadcast)
    work().send_after_commit(unsent, Lane.BULK)
    if not broadcast.audience.get("fanned_out"):
        _fan_out_after_commit(broadcast)
    return _act(broadcast, "resume", "Resumed.", unsent=len(unsent))


@bp.post("/<int:broadcast_id>/cancel")
@requires(Role.SUPERVISOR)
def cancel(broadcast_id: int) -> Response:
    """Cancel a broadcast and every message not yet handed to AT."""
    broadcast = _locked(broadcast_id)
    stopped = broadcasts.cancel(db(), broadcast, now=utcnow())
    message = f"Cancelled; {stopped} unsent messages stopped."
    return _act(broadcast, "cancel", message, stopped=stopped)


@bp.get("/<int:broadcast_id>/progress")
@requires(Role.SUPERVISOR)
def progress(broadcast_id: int) -> Response:
    """Counts for the live progress bar; marks the broadcast done once nothing is in flight."""
    broadcast = _broadcast(broadcast_id)
    counts = broadcasts.progress(db(), broadcast)
    if broadcasts.finish(db(), broadcast, counts, utcnow()):
        commit()
        counts["status"] = broadcast.status
    return jsonify(counts)


EXPORT_HEADER = ("phone", "language", "status", "failure_reason", "parts", "cost", "sent_at",
                 "delivered_at")  # fmt: skip


@bp.get("/<int:broadcast_id>/export.csv")
@requires(Role.SUPERVISOR)
def export(broadcast_id: int) -> Response:
    """Download a broadcast's messages and outcomes (audited); only admins see whole numbers."""
    broadcast = _broadcast(broadcast_id)
    full = me().can(Role.ADMIN)
    rows = [
        (m.recipient if full else mask_phone(m.recipient), m.language, m.status,
         m.failure_reason or m.last_error or "", m.parts, m.cost or "", m.sent_at or "",
         m.delivered_at or "")
        for m in broadcasts.report_rows(db(), broadcast.id)
    ]  # fmt: skip
    record("export", f"broadcast:{broadcast.id}", rows=len(rows), full_numbers=full)
    commit()
    return Response(
        exports.csv_text(EXPORT_HEADER, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=broadcast-{broadcast.id}.csv"},
    )
