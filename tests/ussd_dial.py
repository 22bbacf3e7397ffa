"""Drive the USSD callback the way AT does: one POST per hop, `text` growing with `*`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Document, DocumentStatus, LanguagePreference
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
    lang: str = "en"  # what a first dial answers when asked for a language ("" never asked)

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
        """Dial; a first dial, which asks for a language, is answered with `lang`."""
        first = self.post("")
        if "1. English" in first and "2. Kiswahili" in first and self.lang:
            return self.send("1" if self.lang == "en" else "2")
        return first

    def send(self, *inputs: str) -> str:
        for value in inputs:
            self.inputs.append(value)
            self.post("*".join(self.inputs))
        return self.last

    def options(self) -> dict[str, str]:
        """The options on the current page: label by number."""
        found = {}
        for line in self.last[4:].split("\n"):
            number, dot, label = line.partition(". ")
            if dot and number.isdigit():
                found[number] = label
        return found

    def pick(self, label: str) -> str:
        """Choose the option whose label holds `label`, turning pages until it shows."""
        for _ in range(20):
            for number, text in self.options().items():
                if label in text:
                    return self.send(number)
            if "98." not in self.last:
                break
            self.send("98")
        raise AssertionError(f"no option {label!r} on {self.last!r}")

    def book_rest(self, id_number: str = "12345678") -> str:
        """From a date list on, take the first date and time, give the ID and confirm."""
        for _ in range(6):
            screen = self.last
            if "Booked" in screen or screen.startswith("END "):
                break
            if "ID number" in screen:
                self.send(id_number)
            else:
                self.send("1")  # the first date, the first time, Confirm
        return self.last


def ready_id_number(db_session: Session) -> str:
    """Return the number of a demo ID card that is ready for collection (without HK-ID-)."""
    query = select(Document.reference).where(
        Document.status == DocumentStatus.READY_FOR_COLLECTION, Document.kind == "ID_CARD"
    )
    return str(db_session.scalars(query).first()).removeprefix("HK-ID-")


def known_language(db_session: Session, phone: str = PHONE, lang: str = "en") -> None:
    """Record that `phone` chose `lang`: its dial opens on the main menu."""
    db_session.add(LanguagePreference(phone=phone, language=lang))
    db_session.commit()
