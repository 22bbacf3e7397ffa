"""The application factory; importing this module starts nothing."""

from __future__ import annotations

from flask import Flask

from config import Settings, load_settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web application from settings (the environment's when none are given)."""
    from api import cli as api_cli
    from api import feed
    from ops import cli, errors, health, metrics
    from ops.logs import configure_logging
    from ops.wiring import EXTENSION, build_services, close_db
    from sms import callbacks, dispatch

    settings = settings or load_settings()
    configure_logging(settings)
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key or "development-only-key")
    found = app.extensions[EXTENSION] = build_services(settings)
    dispatch.install(found.session_factory, found.queues, settings.sms_batch_size)
    app.teardown_appcontext(close_db)
    metrics.instrument(app)
    errors.register(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(callbacks.bp)
    app.register_blueprint(feed.bp)
    from ussd import views as ussd_views

    app.register_blueprint(ussd_views.bp)
    from ussd.cli import ussd_cli

    app.cli.add_command(ussd_cli)
    cli.register(app)
    app.cli.add_command(api_cli.agency_cli)
    app.cli.add_command(api_cli.documents_cli)
    return app
