"""The documented reverse proxy, run for real: TLS in front, each path to its own web unit."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import urllib3

from config import PROJECT_ROOT
from tests.faults.processes import HOST, free_port, spawn, stop, wait_until
from tests.faults.service import TOKEN
from tests.test_serve import WebUnits

pytestmark = pytest.mark.slow
CONFIG = PROJECT_ROOT / "deploy" / "nginx" / "huduma.conf"


def _nginx() -> str:
    found = shutil.which("nginx")
    if found is None:
        pytest.skip("nginx is not installed")
    return found


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=huduma.test", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    return cert, key


def local_config(folder: Path, callbacks: int, console: int, ports: tuple[int, int]) -> Path:
    """The documented config on this machine: local units and ports, a throwaway certificate."""
    cert, key = _certificate(folder)
    text = CONFIG.read_text()
    text = re.sub(r"server 10\.0\.1\.\d+:8000", f"server {HOST}:{callbacks}", text)
    text = re.sub(r"server 10\.0\.1\.\d+:8002", f"server {HOST}:{console}", text)
    text = re.sub(r"listen \[::\]:\d+[^;]*;", "", text)
    text = text.replace("listen 80;", f"listen {HOST}:{ports[0]};")
    text = text.replace("listen 443 ssl http2;", f"listen {HOST}:{ports[1]} ssl http2;")
    text = text.replace("/etc/ssl/huduma/fullchain.pem", str(cert))
    text = text.replace("/etc/ssl/huduma/privkey.pem", str(key))
    text = text.replace("/var/log/nginx/huduma.access.log", str(folder / "access.log"))
    (folder / "huduma.conf").write_text(text)
    main = folder / "nginx.conf"
    main.write_text(
        f"daemon off;\nmaster_process off;\npid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log;\n"
        f"events {{}}\nhttp {{\n  client_body_temp_path {folder};\n  proxy_temp_path {folder};\n"
        f"  include {folder}/huduma.conf;\n}}\n"
    )
    return main


def test_the_documented_config_passes_nginx_t(tmp_path):
    config = local_config(tmp_path, free_port(), free_port(), (free_port(), free_port()))
    checked = subprocess.run([_nginx(), "-t", "-c", str(config), "-p", str(tmp_path)],
                             capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stderr


@pytest.fixture()
def proxied(app, database_url, redis_url, tmp_path) -> Iterator[tuple[WebUnits, int]]:
    """Both web units behind nginx on 127.0.0.1; yields them and nginx's TLS port."""
    binary = _nginx()
    units = WebUnits(database_url, redis_url, tmp_path, env={"TRUSTED_PROXIES": "1"})
    _, callbacks = units.start_unit("callbacks", LOG_JSON="1", LOG_LEVEL="INFO")
    _, console = units.start_unit("console")
    ports = (free_port(), free_port())
    config = local_config(tmp_path, callbacks, console, ports)
    proxy = spawn([binary, "-c", str(config), "-p", str(tmp_path)], tmp_path / "nginx.out")
    try:
        wait_until(lambda: _answers(ports[1]), 20, "nginx", every=0.2)
        yield units, ports[1]
    finally:
        stop(proxy)
        units.stop_all()


def _answers(port: int) -> bool:
    try:
        return _get(port, "/").status_code == 404
    except requests.RequestException:
        return False


def _get(port: int, path: str) -> requests.Response:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        return requests.get(f"https://{HOST}:{port}{path}", verify=False, timeout=10)


def test_nginx_routes_each_path_to_its_unit_and_hides_the_rest(proxied):
    _, port = proxied
    assert _get(port, "/staff/login").status_code == 200  # the console unit
    for private in ("/metrics", "/readyz", "/healthz"):
        assert _get(port, private).status_code == 404


def test_a_hop_through_nginx_carries_nginx_request_id_into_the_units_log(proxied):
    units, port = proxied
    form = {"sessionId": "tls-1", "serviceCode": "*384*1919#", "phoneNumber": "+254711000077",
            "networkCode": "63902", "text": ""}  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        hop = requests.post(f"https://{HOST}:{port}/ussd?token={TOKEN}", data=form, verify=False,
                            timeout=10)  # fmt: skip
    assert hop.status_code == 200 and hop.text.startswith("CON ")
    rid = hop.headers["X-Request-ID"]
    time.sleep(0.5)
    logged = [json.loads(line) for line in units.log("callbacks").splitlines() if line.strip()]
    assert [line["path"] for line in logged if line.get("request_id") == rid] == ["/ussd"]
    proxy_log = (units.folder / "access.log").read_text()
    assert f'"request_id":"{rid}"' in proxy_log and TOKEN not in proxy_log
