"""Send SMS through the africastalking SDK and map every answer to our outcomes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import requests
from africastalking.Service import AfricasTalkingException
from africastalking.SMS import SMSService

from config import Settings

log = logging.getLogger(__name__)

SENT = "sent"
FAILED = "failed"
RETRY = "retry"
ACCEPTED = {100: "Processed", 101: "Sent", 102: "Queued"}
PERMANENT = {
    401: "RiskHold",
    402: "InvalidSenderId",
    403: "InvalidPhoneNumber",
    404: "UnsupportedNumberType",
    405: "InsufficientBalance",
    406: "UserInBlacklist",
    407: "CouldNotRoute",
    409: "DoNotDisturbRejection",
}
TRANSIENT = {500: "InternalServerError", 501: "GatewayError", 502: "RejectedByGateway"}
BLACKLISTED = 406


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one recipient of one API call."""

    result: str
    reason: str | None = None
    at_message_id: str | None = None
    cost: Decimal | None = None
    error: str | None = None
    status_code: int | None = None


class Sender(Protocol):
    """Anything that sends one text to several numbers and reports per number."""

    def send(self, text: str, recipients: list[str]) -> dict[str, Outcome]: ...


def sdk_service(settings: Settings) -> SMSService:
    """Build our own SMSService, pointed at AT_API_BASE_URL when it is set."""
    service = SMSService(settings.at_username, settings.at_api_key or "missing-key")
    if settings.at_api_base_url:
        # The SDK has no public override; it reads both attributes on every call.
        service._baseUrl = settings.at_api_base_url
        service._contentUrl = settings.at_api_base_url
    return service


def parse_cost(raw: object) -> Decimal | None:
    """Turn AT's 'KES 0.8000' into a Decimal (None when absent or odd)."""
    text = str(raw or "").split()[-1:] or [""]
    try:
        return Decimal(text[0])
    except InvalidOperation:
        return None


def recipient_outcome(entry: dict[str, Any]) -> Outcome:
    """Map one entry of SMSMessageData.Recipients to an outcome."""
    code = int(entry.get("statusCode", 0))
    message_id = entry.get("messageId") or None
    if message_id == "None":
        message_id = None
    if code in ACCEPTED:
        return Outcome(SENT, None, message_id, parse_cost(entry.get("cost")), None, code)
    if code in PERMANENT:
        return Outcome(FAILED, PERMANENT[code], message_id, None, entry.get("status"), code)
    reason = TRANSIENT.get(code, f"UnknownStatus{code}")
    return Outcome(RETRY, reason, message_id, None, entry.get("status"), code)


def map_response(response: object, recipients: list[str]) -> dict[str, Outcome]:
    """Map a whole SDK answer; recipients AT did not mention are retried."""
    if not isinstance(response, dict):
        return _all(recipients, Outcome(RETRY, "BadResponse", error=str(response)[:200]))
    data = response.get("SMSMessageData") or {}
    entries = data.get("Recipients") or []
    if not entries:
        note = str(data.get("Message", ""))[:200]
        reason = "InvalidSenderId" if "InvalidSenderId" in note else "NoRecipients"
        return _all(recipients, Outcome(FAILED, reason, error=note))
    found = {str(e.get("number")): recipient_outcome(e) for e in entries}
    missing = Outcome(RETRY, "NotInResponse")
    return {number: found.get(number, missing) for number in recipients}


def _all(recipients: list[str], outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(recipients, outcome)


class ATSender:
    """The production sender: synchronous SDK calls with a timeout."""

    def __init__(self, settings: Settings) -> None:
        self.service = sdk_service(settings)
        self.sender_id = settings.at_sender_id or None
        self.timeout = (3.05, settings.sms_send_timeout)

    def send(self, text: str, recipients: list[str]) -> dict[str, Outcome]:
        """Send `text` to `recipients` in one API call."""
        try:
            response = self.service.send(
                text, recipients, sender_id=self.sender_id, timeout=self.timeout
            )
        except AfricasTalkingException as exc:
            return _all(recipients, Outcome(RETRY, "HttpError", error=str(exc)[:200]))
        except requests.Timeout as exc:
            return _all(recipients, Outcome(RETRY, "Timeout", error=str(exc)[:200]))
        except requests.RequestException as exc:
            return _all(recipients, Outcome(RETRY, "NetworkError", error=str(exc)[:200]))
        except ValueError as exc:
            return _all(recipients, Outcome(FAILED, "InvalidPhoneNumber", error=str(exc)[:200]))
        return map_response(response, recipients)
