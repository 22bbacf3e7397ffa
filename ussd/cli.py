"""`flask ussd dial`: play the menus in a terminal against a running service, as AT calls it."""

from __future__ import annotations

import uuid

import click
from flask.cli import AppGroup

ussd_cli = AppGroup("ussd", help="USSD tools.")


def hop(url: str, session_id: str, phone: str, code: str, text: str) -> str:
    """Post one hop exactly as AT does and return the reply body."""
    import requests  # only the simulator needs it: keep the web worker's start quick

    form = {"sessionId": session_id, "serviceCode": code, "phoneNumber": phone,
            "networkCode": "99999", "text": text}  # fmt: skip
    response = requests.post(url, data=form, timeout=15)
    return (
        f"HTTP {response.status_code}: {response.text}"
        if response.status_code != 200
        else response.text
    )


@ussd_cli.command("dial")
@click.option("--url", default="http://127.0.0.1:8000/ussd", show_default=True,
              help="Callback URL, with ?token=... when AT_CALLBACK_TOKEN is set.")  # fmt: skip
@click.option("--phone", default="+254700000003", show_default=True)
@click.option("--code", default="*384*1919#", show_default=True, help="Service code dialled.")
def dial(url: str, phone: str, code: str) -> None:
    """Dial the service and type answers until the session ends (Ctrl-D hangs up)."""
    session_id, inputs = f"sim-{uuid.uuid4().hex[:12]}", list[str]()
    while True:
        body = hop(url, session_id, phone, code, "*".join(inputs))
        click.echo(f"\n{body[4:] if body[:4] in ('CON ', 'END ') else body}\n")
        if not body.startswith("CON "):
            return
        try:
            inputs.append(click.prompt("reply", default="", show_default=False))
        except click.Abort:
            return
