"""Send SMS through the africastalking SDK and map every answer to our outcomes."""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Protocol

import requests
from africastalking.Service import AfricasTalkingException, validate_phone
from africastalking.SMS import SMSService

from config import Settings

log = logging.getLogger(__name__)

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
BAD_KEY = {401, 403}
BAD_KEY_LOG_SECONDS = 60.0


class Result(StrEnum):
    """What a call's answer means for one recipient."""

    SENT = "sent"
    FAILED = "failed"
    RETRY = "retry"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one recipient of one API call."""

    result: Result
    reason: str | None = None
    at_message_id: str | None = None
    cost: Decimal | None = None
    error: str | None = None
    status_code: int | None = None


class Sender(Protocol):
    """Anything that sends one text to several numbers and reports per number."""

    def send(self, text: str, recipients: list[str]) -> dict[str, Outcome]: ...


class PooledSMSService(SMSService):  # type: ignore[misc]
    """The SDK's SMS service over keep-alive HTTP sessions, one per concurrent call."""

    def __init__(self, username: str, api_key: str, base_url: str = "") -> None:
        super().__init__(username, api_key)
        if base_url:
            # The SDK has no public override; it reads both attributes on every call.
            self._baseUrl = base_url
            self._contentUrl = base_url
        self._sessions: queue.LifoQueue[requests.Session] = queue.LifoQueue()
        self._local = threading.local()

    def last_status(self) -> int | None:
        """The HTTP status of this thread's last call."""
        return getattr(self._local, "status", None)

    @contextmanager
    def _session(self) -> Iterator[requests.Session]:
        try:
            session = self._sessions.get_nowait()
        except queue.Empty:
            session = self._new_session()
        try:
            yield session
        finally:
            self._sessions.put(session)

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        # Read proxies and CA settings from the environment once, not on every call.
        found = session.merge_environment_settings(self._baseUrl, {}, None, None, None)
        session.proxies, session.verify = found["proxies"], found["verify"]
        session.trust_env = False
        return session

    def _Service__make_post_request(  # noqa: N802 - the name the SDK calls
        self,
        url: str,
        headers: dict[str, str],
        data: dict[str, Any],
        params: Any,
        callback: object = None,
        timeout: tuple[float, float] | float = (3.05, 9.05),
    ) -> requests.Response:
        self._local.status = None
        # A request prepared here skips the session's per-call merging of settings and hooks;
        # AT answers the POST itself, so no redirect is followed (nor should a key be resent).
        request = requests.PreparedRequest()
        request.prepare(method="POST", url=url, headers=headers, data=data, params=params)
        with self._session() as session:
            response = session.send(request, timeout=timeout, allow_redirects=False)
        self._local.status = response.status_code
        return response


def sdk_service(settings: Settings) -> PooledSMSService:
    """Build our own SMSService, pointed at AT_API_BASE_URL when it is set."""
    key = settings.at_api_key or "missing-key"
    return PooledSMSService(settings.at_username, key, settings.at_api_base_url)


def parse_cost(raw: object) -> Decimal | None:
    """Turn AT's 'KES 0.8000' into a Decimal (None when absent or odd)."""
    text = str(raw or "").split()[-1:] or [""]
    try:
        return Decimal(text[0])
    except InvalidOperation:
        return None


def e164(number: str) -> str:
    """Compare numbers by their digits: '+254 700-000001' and '254700000001' are one number."""
    return "+" + re.sub(r"\D", "", number)


def recipient_outcome(entry: dict[str, Any]) -> Outcome:
    """Map one entry of SMSMessageData.Recipients to an outcome."""
    try:
        code = int(entry.get("statusCode", 0))
    except (TypeError, ValueError):
        code = 0
    message_id = entry.get("messageId") or None
    if message_id == "None":
        message_id = None
    status = entry.get("status")
    if code in ACCEPTED:
        return Outcome(Result.SENT, None, message_id, parse_cost(entry.get("cost")), None, code)
    if code in PERMANENT:
        return Outcome(Result.FAILED, PERMANENT[code], message_id, None, status, code)
    if code in TRANSIENT:
        return Outcome(Result.RETRY, TRANSIENT[code], message_id, None, status, code)
    # A code AT never documented: retrying blindly for a day could send it many times.
    return Outcome(Result.FAILED, f"UnknownStatus{code}", message_id, None, status, code)


def map_response(response: object, recipients: list[str]) -> dict[str, Outcome]:
    """Map a whole SDK answer; recipients AT did not mention are retried."""
    if not isinstance(response, dict):
        return _all(recipients, Outcome(Result.RETRY, "BadResponse", error=str(response)[:200]))
    data = response.get("SMSMessageData") or {}
    entries = data.get("Recipients") if isinstance(data, dict) else None
    if not entries or not isinstance(entries, list):
        note = str(data.get("Message", "") if isinstance(data, dict) else data)[:200]
        reason = "InvalidSenderId" if "InvalidSenderId" in note else "NoRecipients"
        return _all(recipients, Outcome(Result.FAILED, reason, error=note))
    found = {e164(str(e.get("number"))): recipient_outcome(e) for e in entries}
    missing = Outcome(Result.RETRY, "NotInResponse")
    return {number: found.get(e164(number), missing) for number in recipients}


def _all(recipients: list[str], outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(recipients, outcome)


class ATSender:
    """The production sender: synchronous SDK calls with a timeout."""

    def __init__(self, settings: Settings) -> None:
        self.service = sdk_service(settings)
        self.sender_id = settings.at_sender_id or None
        self.timeout = (3.05, settings.sms_send_timeout)
        self._bad_key_logged = 0.0

    def send(self, text: str, recipients: list[str]) -> dict[str, Outcome]:
        """Send `text` to `recipients` in one API call; numbers the SDK refuses fail alone."""
        good = [n for n in recipients if validate_phone(n)]
        refused = Outcome(
            Result.FAILED, "InvalidPhoneNumber", error="refused by the SDK before sending"
        )
        outcomes = {n: refused for n in recipients if n not in good}
        if good:
            outcomes.update(self._call(text, good))
        return outcomes

    def _call(self, text: str, recipients: list[str]) -> dict[str, Outcome]:
        try:
            response = self.service.send(
                text, recipients, sender_id=self.sender_id, timeout=self.timeout
            )
        except AfricasTalkingException as exc:
            return _all(recipients, self._http_error(str(exc)))
        except requests.Timeout as exc:
            return _all(recipients, Outcome(Result.RETRY, "Timeout", error=str(exc)[:200]))
        except requests.RequestException as exc:
            return _all(recipients, Outcome(Result.RETRY, "NetworkError", error=str(exc)[:200]))
        except ValueError as exc:
            refused = Outcome(Result.FAILED, "InvalidPhoneNumber", error=str(exc)[:200])
            return _all(recipients, refused)
        return map_response(response, recipients)

    def _http_error(self, body: str) -> Outcome:
        status = self.service.last_status()
        reason = f"HTTP {status}" if status else "HttpError"
        if status in BAD_KEY:
            self._log_bad_key(status)
        return Outcome(Result.RETRY, reason, error=body[:200], status_code=status)

    def _log_bad_key(self, status: int | None) -> None:
        # A wrong key fails every call: say so loudly, but once per burst, not per message.
        now = time.monotonic()
        if now - self._bad_key_logged >= BAD_KEY_LOG_SECONDS or not self._bad_key_logged:
            self._bad_key_logged = now
            log.error("AT refused our credentials (HTTP %s): check AT_USERNAME and AT_API_KEY; "
                      "messages stay queued and are retried", status)  # fmt: skip
