"""AT's callbacks carry no cookies: their app opens no cookie session and signs none."""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin


class Sessionless(SessionInterface):
    """Every request gets the read-only null session; nothing is read from or written to cookies."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None


def install(app: Flask) -> None:
    """Serve `app` without cookie sessions (the callbacks surface: no one logs in there)."""
    app.session_interface = Sessionless()
