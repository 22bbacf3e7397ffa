"""Logging: JSON in production, and phone and ID numbers masked everywhere."""

from __future__ import annotations

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

from config import Settings

# +2547xxxxxxxx / 2547xxxxxxxx / 07xxxxxxxx / 01xxxxxxxx, then any other run of 7-14 digits
PHONE = re.compile(r"(?<!\d)(\+?254|0)([17]\d{2})\d{3}(\d{3})(?!\d)")
LONG_DIGITS = re.compile(r"(?<![\d.])\d{3,10}(\d{4})(?![\d.])")


def mask_text(text: str) -> str:
    """Mask phone numbers and ID-like digit runs inside free text."""
    text = PHONE.sub(lambda m: f"{m.group(1)}{m.group(2)}***{m.group(3)}", text)
    return LONG_DIGITS.sub(lambda m: "****" + m.group(1), text)


class MaskingFilter(logging.Filter):
    """Rewrite each record's message with numbers masked before any handler sees it."""

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
        return True


def configure_logging(settings: Settings) -> None:
    """Install one stream handler on the root logger, masking and formatted per environment."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(MaskingFilter())
    if settings.log_json:
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_huduma", False):
            root.removeHandler(old)
    handler._huduma = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
