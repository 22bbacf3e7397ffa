"""Security headers on every response; pages of the console are never stored by any cache."""

from __future__ import annotations

from flask import Flask, Response, request

# No inline script or style anywhere: the console loads its own files only.
POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
    "connect-src 'self'", "font-src 'self'", "object-src 'none'", "base-uri 'none'",
    "form-action 'self'", "frame-ancestors 'none'",
])  # fmt: skip
COMMON = {
    "Content-Security-Policy": POLICY,
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
PRIVATE_PREFIX = "/staff"


def _private() -> bool:
    """True for console pages and downloads, which show personal data; not for static files."""
    endpoint = request.endpoint or ""
    return request.path.startswith(PRIVATE_PREFIX) and not endpoint.endswith(".static")


def install(app: Flask, *, production: bool) -> None:
    """Add the security headers to every response of `app` (HSTS in production only)."""
    headers = {**COMMON, "Strict-Transport-Security": HSTS} if production else dict(COMMON)

    def add(response: Response) -> Response:
        response.headers.update(headers)
        if _private():
            response.headers["Cache-Control"] = "no-store"
        return response

    app.after_request(add)
