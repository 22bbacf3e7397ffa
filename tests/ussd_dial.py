"""Drive the USSD callback the way AT does: one POST per hop, `text` growing with `*`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Document, DocumentStatus
from tests.conftest import TEST_TOKEN

PHONE = "+254711000001"


@dataclass
class Dial:
    """One USSD session against a Flask test client."""

    client: Any
    session_id: str = "sess-1"
    phone: str = PHONE
    inputs: list[str] = field(default_factory=list)
    last: str = ""

    def post(self, text: str) -> str:
        form = {"sessionId": self.session_id, "serviceCode": "*384*1919#",
                "phoneNumber": self.phone, "networkCode": "63902", "text": text}  # fmt: skip
        response = self.client.post(f"/ussd?token={TEST_TOKEN}", data=form)
        assert response.status_code == 200
        assert response.mimetype == "text/plain"
        self.last = response.get_data(as_text=True)
        assert self.last[:4] in ("CON ", "END ") and len(self.last) <= 164
        return self.last

    def start(self) -> str:
        return self.post("")

    def send(self, *inputs: str) -> str:
        for value in inputs:
            self.inputs.append(value)
            self.post("*".join(self.inputs))
        return self.last


def ready_id_number(db_session: Session) -> str:
    """Return the number of a demo ID card that is ready for collection (without HK-ID-)."""
    query = select(Document.reference).where(
        Document.status == DocumentStatus.READY_FOR_COLLECTION, Document.kind == "ID_CARD"
    )
    return str(db_session.scalars(query).first()).removeprefix("HK-ID-")
