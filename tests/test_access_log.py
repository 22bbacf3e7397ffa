"""Access lines in JSON with a request id that the app's own lines carry too; ids stay whole."""

from __future__ import annotations

import json
import logging

import pytest

from app import create_app
from config import Settings
from jobs.sends import batch_job_id
from ops.logs import bound, configure_logging, mask_text
from tests.conftest import TEST_TOKEN

HOP = {"sessionId": "s-1", "serviceCode": "*384*1919#", "phoneNumber": "not a phone", "text": ""}


@pytest.fixture()
def json_logs(capsys):
    """Switch to JSON log lines on stderr (in the test's own phase); read them back parsed."""

    def lines() -> list[dict[str, object]]:
        return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]

    yield lambda: configure_logging(Settings(app_env="test", log_json=True)) or lines
    configure_logging(Settings(app_env="test"))


@pytest.mark.parametrize(
    "job_id",
    [
        "7f3c9a2e-1b4d-4e8a-9c01-123456789012",  # RQ's own job ids
        "0b1d2c3e4f5a67890123456789abcdef",  # RQ worker and scheduler names
        batch_job_id("transactional", [12345678, 23456789]),
        "periodic-sweep-59183745",
        "periodic-fan-outs-59183745",
        "promise-12345678",
        "fan-out-12345678",
    ],
)
def test_job_ids_are_left_whole(job_id):
    assert mask_text(f"job {job_id} done") == f"job {job_id} done"


def test_numbers_beside_a_job_id_are_still_masked():
    line = mask_text("periodic-sweep-59183745 sent to +254712345678, id 12345678")
    assert line == "periodic-sweep-59183745 sent to +254712***678, id ****5678"


def test_bound_fields_reach_every_line_written_inside_the_block(json_logs):
    read = json_logs()
    with bound(job_id="promise-42"):
        logging.getLogger("huduma.test").warning("inside")
    logging.getLogger("huduma.test").warning("outside")
    inside, outside = read()
    assert inside["job_id"] == "promise-42" and "job_id" not in outside


def test_a_request_logs_one_access_line_whose_id_its_own_lines_share(client, json_logs):
    read = json_logs()
    response = client.post(f"/ussd?token={TEST_TOKEN}", data=HOP)
    lines = read()
    access = [line for line in lines if line["name"] == "web.access"]
    own = [line for line in lines if line["message"] == "ussd: unusable hop"]
    rid = response.headers["X-Request-ID"]
    assert len(access) == 1 and own[0]["request_id"] == access[0]["request_id"] == rid
    assert access[0]["path"] == "/ussd" and access[0]["status"] == 200
    assert TEST_TOKEN not in json.dumps(lines)


@pytest.mark.parametrize(
    ("hops", "given", "kept"),
    [(1, "abc-123.proxy_id", True), (0, "abc-123.proxy_id", False), (1, "bad id; drop", False)],
)
def test_an_incoming_request_id_is_kept_only_from_a_trusted_proxy(settings, hops, given, kept):
    app = create_app(settings.with_overrides(trusted_proxies=hops))
    answer = app.test_client().get("/healthz", headers={"X-Request-ID": given}).headers
    app.extensions["huduma"].dispose()
    assert (answer["X-Request-ID"] == given) is kept
    assert len(answer["X-Request-ID"]) in ((len(given),) if kept else (32,))


def test_the_access_line_names_the_client_behind_a_trusted_proxy(settings, json_logs):
    app = create_app(settings.with_overrides(trusted_proxies=1))
    read = json_logs()
    app.test_client().get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"},
                          environ_base={"REMOTE_ADDR": "10.0.0.1"})  # fmt: skip
    app.extensions["huduma"].dispose()
    access = [line for line in read() if line["name"] == "web.access"]
    assert access[0]["client"] == "203.0.113.9"


def test_the_access_log_can_be_switched_off(settings, json_logs):
    app = create_app(settings.with_overrides(access_log=False))
    read = json_logs()
    assert "X-Request-ID" in app.test_client().get("/healthz").headers
    app.extensions["huduma"].dispose()
    assert [line for line in read() if line["name"] == "web.access"] == []
