"""Behind a reverse proxy: take the client's address and scheme from the hops we trust."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Settings


def trust_proxies(app: Flask, settings: Settings) -> None:
    """Read X-Forwarded-For, -Proto and -Host as set by the last `TRUSTED_PROXIES` hops.

    Only headers the documented proxy overwrites are trusted: any other a client sends would
    pass through it untouched.
    """
    hops = settings.trusted_proxies
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
