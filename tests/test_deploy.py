"""The deployment files: systemd units, alert rules and the reverse proxy, checked by their tools.

Each check needs its tool (systemd-analyze; promtool from Debian's `prometheus`; `nginx`) and is
skipped where the tool is absent.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
INSTALLED_ROOT = "/opt/huduma"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed")
    return found


def _run(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=cwd, check=False)


def _units_here(folder: Path) -> list[Path]:
    """The unit files, pointed at this checkout, the worker template as one instance of it."""
    written = []
    for unit in UNITS:
        name = unit.name.replace("@.service", "@transactional.service")
        target = folder / name
        target.write_text(unit.read_text().replace(INSTALLED_ROOT, str(PROJECT_ROOT)))
        written.append(target)
    return written


def test_the_systemd_units_verify_without_a_warning(tmp_path):
    tool = _tool("systemd-analyze")
    checked = _run(tool, "verify", "--man=no", *map(str, _units_here(tmp_path)), cwd=tmp_path)
    assert (checked.returncode, checked.stderr.strip()) == (0, "")


def test_every_unit_restarts_and_is_bounded():
    services = [unit for unit in UNITS if unit.suffix == ".service" and "migrate" not in unit.name]
    for unit in services:
        text = unit.read_text()
        assert "Restart=always" in text and "MemoryMax=" in text and "TasksMax=" in text, unit


@pytest.mark.parametrize(
    "argv",
    [
        line.split("=", 1)[1].split()[1:]
        for unit in UNITS
        for line in unit.read_text().splitlines()
        if line.startswith("ExecStart=") and " -m " in line
    ],
)
def test_each_units_command_line_is_understood(argv):
    # --help parses exactly what the unit passes, then exits without starting anything
    answer = _run(sys.executable, *argv, "--help", cwd=PROJECT_ROOT)
    assert answer.returncode == 0, answer.stderr


def test_the_alert_rules_pass_promtool():
    checked = _run(_tool("promtool"), "check", "rules", str(DEPLOY / "prometheus" / "alerts.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert re.search(r"SUCCESS: \d+ rules found", checked.stdout)


def test_the_alerts_fire_on_broken_objectives_and_only_then():
    cases = PROJECT_ROOT / "tests" / "promtool" / "alerts_test.yml"
    checked = _run(_tool("promtool"), "test", "rules", str(cases))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_scrape_config_passes_promtool():
    checked = _run(
        _tool("promtool"), "check", "config", str(DEPLOY / "prometheus" / "prometheus.yml")
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
