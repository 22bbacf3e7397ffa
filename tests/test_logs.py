"""Logs never hold a full phone or ID number."""

from __future__ import annotations

import json
import logging

import pytest

from config import Settings
from ops.logs import configure_logging, mask_text


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("sent to +254712345678", "712345"),
        ("from 0712345678 ok", "712345"),
        ("id 12345678 checked", "1234"),
        ("maisha 12345678901234", "12345678"),
    ],
)
def test_numbers_are_masked(text, hidden):
    assert hidden not in mask_text(text)


def test_ordinary_text_is_untouched():
    assert mask_text("slot 2026-11-24 09:00 has 3 seats") == "slot 2026-11-24 09:00 has 3 seats"


def test_production_logs_are_json_and_masked(capsys):
    configure_logging(Settings(app_env="test", log_json=True))
    logging.getLogger("huduma.test").warning("booking for %s", "+254712345678")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["message"] == "booking for +254712***678"
    configure_logging(Settings(app_env="test"))


@pytest.mark.parametrize("as_json", [False, True])
def test_tracebacks_are_masked(capsys, as_json):
    configure_logging(Settings(app_env="test", log_json=as_json))
    try:
        raise ValueError("duplicate key (phone)=(+254712345678), id 12345678")
    except ValueError:
        logging.getLogger("huduma.test").exception("insert failed")
    err = capsys.readouterr().err
    configure_logging(Settings(app_env="test"))
    assert "ValueError" in err
    assert "712345678" not in err
    assert "12345678" not in err.replace("+254712***678", "")
