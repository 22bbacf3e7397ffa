"""The application factory; importing this module starts nothing."""

from __future__ import annotations

from flask import Flask

from config import Settings, load_settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web application from settings (the environment's when none are given)."""
    import staff
    import ussd.views
    from api import cli as api_cli
    from api import feed
    from demo.cli import seed_cli
    from jobs.cli import slots_cli
    from jobs.sends import dispatcher
    from menus import keywords, registry
    from ops.logs import configure_logging
    from ops.runtime import Role, build_runtime
    from sms import callbacks
    from ussd.cli import ussd_cli
    from web import errors, health, metrics, requests
    from web.cli import db_cli

    settings = settings or load_settings()
    configure_logging(settings)
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key)
    found = app.extensions[requests.EXTENSION] = build_runtime(settings, Role.WEB, dispatcher)
    app.teardown_appcontext(requests.close)
    metrics.instrument(app)
    errors.register(app)
    app.register_blueprint(health.bp)
    ussd.views.install(app, registry.build(found))
    callbacks.install(app, keywords.respond)
    app.register_blueprint(feed.bp)
    for group in (db_cli, seed_cli, slots_cli, ussd_cli, api_cli.agency_cli, api_cli.documents_cli):
        app.cli.add_command(group)
    staff.register(app)
    return app
