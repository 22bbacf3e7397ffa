"""The real client address behind the deployment's own proxies (TRUSTED_PROXIES hops)."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def install(app: Flask, hops: int) -> None:
    """Believe X-Forwarded-For and -Proto from exactly `hops` proxies; none when 0.

    Trusting more hops than there are proxies would let a client name any address it likes
    in the header, and so dodge the per-address login throttle.
    """
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
