"""The contact-centre console: pages for agents, supervisors and administrators."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Install login and CSRF, the console's blueprints and its CLI group."""
    from staff import (
        access,
        account,
        admin,
        admin_accounts,  # noqa: F401 (adds its routes to admin.bp)
        admin_privacy,  # noqa: F401 (adds its routes to admin.bp)
        assisted,
        auth,
        bulk,
        counter,
        desk,
        display,
        scope,
        second_factor,  # noqa: F401 (adds its routes to auth.bp)
        simulator,
        views,
        visit_dashboard,
    )
    from staff.cli import citizen_cli, staff_cli

    access.init(app)
    for blueprint in (auth.bp, account.bp, views.bp, bulk.bp, admin.bp, simulator.bp):
        app.register_blueprint(blueprint)
    for blueprint in (desk.bp, counter.bp, display.bp, assisted.bp, visit_dashboard.bp, scope.bp):
        app.register_blueprint(blueprint)
    app.cli.add_command(staff_cli)
    app.cli.add_command(citizen_cli)
