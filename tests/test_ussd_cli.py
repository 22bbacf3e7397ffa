"""`flask ussd dial` plays the menus over real HTTP."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import TEST_TOKEN


@pytest.mark.committed  # a live HTTP server thread
def test_dial_walks_the_menus_over_http(app, runner, seeded, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    server = make_server("127.0.0.1", 8201, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:8201/ussd?token={TEST_TOKEN}"
        result = runner.invoke(
            args=["ussd", "dial", "--url", url, "--phone", "+254711000123"], input="1\n5\nZZZZZZ\n"
        )
    finally:
        server.shutdown()
    assert "Verify an SMS" in result.output and "no SMS with that code" in result.output
