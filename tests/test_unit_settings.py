"""The settings and command lines of the units: what each reads, and what it refuses."""

from __future__ import annotations

import pytest

from config import ConfigError, Settings, load_settings
from jobs.worker import arguments
from ops.serve import Unit, command, environment


def test_unit_settings_come_from_the_environment():
    found = load_settings({"TRUSTED_PROXIES": "2", "WORKER_QUEUES": "bulk, default",
                           "WORKER_SCHEDULER": "0", "METRICS_PORT": "9111", "HOST": "10.0.0.5",
                           "ACCESS_LOG": "0"})  # fmt: skip
    assert (found.trusted_proxies, found.worker_queues, found.worker_scheduler) == (
        2, ("bulk", "default"), False)  # fmt: skip
    assert (found.metrics_port, found.metrics_host, found.access_log) == (9111, "10.0.0.5", False)


def test_a_negative_proxy_count_is_refused():
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_settings({"TRUSTED_PROXIES": "-1"})


@pytest.mark.parametrize(
    ("argv", "queues", "scheduler"),
    [([], ("bulk",), False), (["--queues", "transactional,default"], ("transactional", "default"),
      False), (["--scheduler"], ("bulk",), True)],
)  # fmt: skip
def test_the_command_line_overrides_the_worker_settings(argv, queues, scheduler):
    chosen = arguments(argv, Settings(worker_queues=("bulk",), worker_scheduler=False))
    assert (chosen.queues, chosen.scheduler) == (queues, scheduler)


def test_each_web_unit_serves_its_own_surface_on_its_own_port():
    settings = Settings(port=8100, console_port=8102, log_json=True)
    callbacks, console = command(settings, Unit.CALLBACKS), command(settings, Unit.CONSOLE)
    assert "8100" in callbacks and "app:create_app" in callbacks and "--no-access-log" in callbacks
    assert "8102" in console and "app:create_console" in console and "--log-config" in console
    assert environment(Unit.CALLBACKS, {})["WEB_SURFACE"] == "callbacks"
    assert "WEB_SURFACE" not in environment(Unit.CONSOLE, {})
