"""The application factories; importing this module starts nothing."""

from __future__ import annotations

from flask import Flask

from config import Settings, load_settings
from web.buffered import Buffered

CALLBACKS_MAX_BODY = 64 * 1024  # AT's forms are small; anything larger is not from AT


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web application from settings (the environment's when none are given).

    `WEB_SURFACE` chooses the routes: AT's callbacks, the console with the agency API, or all.
    """
    import staff
    import ussd.views
    from api import cli as api_cli
    from api import feed
    from demo.cli import seed_cli
    from jobs.cli import retention_cli, slots_cli
    from jobs.sends import dispatcher
    from menus import keywords, registry
    from ops.logs import configure_logging
    from ops.runtime import Role, build_runtime
    from services.visit_ratings import reply_hook
    from sms import callbacks
    from sms.keywords import REPLY_HOOK
    from ussd.cli import ussd_cli
    from web import errors, headers, health, metrics, proxy, requests, sessionless
    from web.access import log_requests
    from web.cli import db_cli

    settings = settings or load_settings()
    configure_logging(settings)
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key)
    if settings.web_surface != "callbacks":  # AT reads no headers: its hops skip the work
        headers.install(app, production=settings.is_production)
    found = app.extensions[requests.EXTENSION] = build_runtime(settings, Role.WEB, dispatcher)
    app.teardown_appcontext(requests.close)
    metrics.instrument(app)
    errors.register(app)
    app.register_blueprint(health.bp)
    ussd.views.install(app, registry.build(found))  # the console's simulator plays it too
    if settings.web_surface in ("all", "callbacks"):
        callbacks.install(app, keywords.respond)
        app.extensions[REPLY_HOOK] = reply_hook(settings)
    if settings.web_surface == "callbacks":
        app.config.update(MAX_CONTENT_LENGTH=CALLBACKS_MAX_BODY)
        sessionless.install(app)
    if settings.web_surface in ("all", "console"):
        app.register_blueprint(feed.bp)
        staff.register(app)
    for group in (db_cli, seed_cli, slots_cli, retention_cli, ussd_cli, api_cli.agency_cli,
                  api_cli.documents_cli):  # fmt: skip
        app.cli.add_command(group)
    log_requests(app, settings)
    proxy.install(app, settings.trusted_proxies)  # outermost: the request log sees the client
    return app


def create_console(settings: Settings | None = None) -> Buffered:
    """The console and the agency API, served so that slow clients cannot hold its threads."""
    settings = (settings or load_settings()).with_overrides(web_surface="console")
    app = create_app(settings)
    return Buffered(app, settings.web_threads, settings.web_body_seconds, settings.web_max_body)
