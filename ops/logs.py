"""Logging: JSON in production, phone and ID numbers masked everywhere, request and job ids added.

A request's id (or a job's) is bound in a context variable while it runs; every log line written
meanwhile carries it, so one request's lines can be found together.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

from config import Settings

# +2547xxxxxxxx / 2547xxxxxxxx / 07xxxxxxxx / 01xxxxxxxx, then any other run of 7-14 digits
PHONE = re.compile(r"(?<!\d)(\+?254|0)([17]\d{2})\d{3}(\d{3})(?!\d)")
LONG_DIGITS = re.compile(r"(?<![\d.])\d{3,10}(\d{4})(?![\d.])")
# Ids that are no one's number and must stay whole to be found again: UUIDs, long hex digests
# (RQ job and worker names, request ids) and the job ids `jobs/` makes (periodic-sweep-NNNN...).
KEPT_IDS = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|(?=[0-9a-f]*[a-f])[0-9a-f]{20,}"
    r"|(?:periodic-[a-z-]+|promise|fan-out|sms-[a-z]+)-[0-9a-f]+"
    r")(?![0-9A-Za-z])"
)
# Fields bound to what this thread or task is doing now (request_id, job_id)
BOUND: ContextVar[tuple[tuple[str, str], ...]] = ContextVar("huduma_log_fields", default=())
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
LINKED = ("request_id", "job_id")


def _mask_numbers(text: str) -> str:
    text = PHONE.sub(lambda m: f"{m.group(1)}{m.group(2)}***{m.group(3)}", text)
    return LONG_DIGITS.sub(lambda m: "****" + m.group(1), text)


def mask_text(text: str) -> str:
    """Mask phone numbers and ID-like digit runs inside free text, leaving job and request ids."""
    pieces, last = [], 0
    for kept in KEPT_IDS.finditer(text):
        pieces += [_mask_numbers(text[last : kept.start()]), kept.group()]
        last = kept.end()
    pieces.append(_mask_numbers(text[last:]))
    return "".join(pieces)


@contextmanager
def bound(**fields: str) -> Iterator[None]:
    """Add `fields` to every log line written inside the block (this thread or task only)."""
    token = BOUND.set((*BOUND.get(), *fields.items()))
    try:
        yield
    finally:
        BOUND.reset(token)


def bound_value(name: str) -> str:
    """The value bound to `name` now, or ""."""
    return next((value for key, value in reversed(BOUND.get()) if key == name), "")


class MaskingFilter(logging.Filter):
    """Mask numbers in each record and add the bound fields, before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        # Tracebacks quote SQL parameters and values: format them here, masked, once.
        if record.exc_info:
            record.exc_text = mask_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        for key, value in BOUND.get():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class TextFormatter(logging.Formatter):
    """The development format, with the request or job id at the end when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        found = [f"{key}={getattr(record, key)}" for key in LINKED if getattr(record, key, "")]
        return f"{line} [{' '.join(found)}]" if found else line


def formatter(as_json: bool) -> logging.Formatter:
    """The formatter of every log line: JSON objects, or one readable line."""
    return JsonFormatter(JSON_FORMAT) if as_json else TextFormatter(TEXT_FORMAT)


def configure_logging(settings: Settings) -> None:
    """Install one stream handler on the root logger, masking and formatted per environment."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(formatter(settings.log_json))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_huduma", False):
            root.removeHandler(old)
    handler._huduma = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
