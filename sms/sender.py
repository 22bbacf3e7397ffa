"""Send SMS through the africastalking SDK and map every answer to our outcomes."""

from __future__ import annotations

import json
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
from ops.deadlines import Watchdog
from sms.deadline import watched_session, within

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
CONNECT_TIMEOUT = 3.05
UNREADABLE = "SentUnconfirmed"


class Result(StrEnum):
    """What a call's answer means for one recipient."""

    SENT = "sent"
    FAILED = "failed"
    RETRY = "retry"
    # A 2xx that does not say what AT did: it may have taken the message, so never resend it.
    UNCONFIRMED = "unconfirmed"


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
    """The SDK's SMS service over keep-alive HTTP sessions, one per concurrent call.

    Each call has `deadline` seconds in all, however slowly its answer arrives.
    """

    def __init__(
        self, username: str, api_key: str, base_url: str = "", deadline: float = 10.0
    ) -> None:
        super().__init__(username, api_key)
        if base_url:
            # The SDK has no public override; it reads both attributes on every call.
            self._baseUrl = base_url
            self._contentUrl = base_url
        self.deadline = deadline
        self._watchdog = Watchdog("sms-deadlines")
        self._sessions: queue.LifoQueue[requests.Session] = queue.LifoQueue()
        self._local = threading.local()

    def last_status(self) -> int | None:
        """The HTTP status of this thread's last call."""
        return getattr(self._local, "status", None)

    def last_content_type(self) -> str:
        """The Content-Type of this thread's last answer."""
        return str(getattr(self._local, "content_type", None) or "")

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
        session = watched_session()
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
        timeout: object = None,
    ) -> requests.Response:
        self._local.status = self._local.content_type = None
        # A request prepared here skips the session's per-call merging of settings and hooks;
        # AT answers the POST itself, so no redirect is followed (nor should a key be resent).
        request = requests.PreparedRequest()
        request.prepare(method="POST", url=url, headers=headers, data=data, params=params)
        # The deadline bounds the whole call; the SDK's `timeout` would bound each read only.
        limits = (min(CONNECT_TIMEOUT, self.deadline), self.deadline)
        with self._session() as session, within(self._watchdog, self.deadline):
            response = session.send(request, timeout=limits, allow_redirects=False)
        self._local.status = response.status_code
        self._local.content_type = response.headers.get("content-type", "")
        return response


def sdk_service(settings: Settings) -> PooledSMSService:
    """Build our own SMSService, pointed at AT_API_BASE_URL when it is set."""
    key = settings.at_api_key or "missing-key"
    return PooledSMSService(
        settings.at_username, key, settings.at_api_base_url, settings.sms_send_timeout
    )


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
    raw_id = entry.get("messageId")
    # The column holds 80 characters; AT writes "None" for a number it did not take.
    message_id = str(raw_id)[:80] if raw_id not in (None, "", "None") else None
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
    """Map a whole 2xx answer; AT may have taken any message of it, so none is retried."""
    answer = read_answer(response)
    if answer is None:
        return _all(recipients, Outcome(Result.UNCONFIRMED, UNREADABLE, error=str(response)[:200]))
    entries = answer.get("Recipients")
    if not entries or not isinstance(entries, list):
        note = str(answer.get("Message", ""))[:200]
        reason = "InvalidSenderId" if "InvalidSenderId" in note else "NoRecipients"
        return _all(recipients, Outcome(Result.FAILED, reason, error=note))
    found = {}
    for entry in entries:
        if isinstance(entry, dict):
            found[e164(str(entry.get("number")))] = recipient_outcome(entry)
    missing = Outcome(Result.UNCONFIRMED, "NotInResponse")
    return {number: found.get(e164(number), missing) for number in recipients}


def read_answer(response: object) -> dict[str, Any] | None:
    """AT's SMSMessageData from what the SDK returned: a dict, or the body as text.

    The SDK decodes JSON only under a Content-Type of exactly application/json, so a
    `; charset=utf-8` reaches us as text. None when the answer is not AT's JSON at all.
    """
    if isinstance(response, str):
        try:
            response = json.loads(response)
        except ValueError:
            return None
    data = response.get("SMSMessageData") if isinstance(response, dict) else None
    return data if isinstance(data, dict) else None


def _all(recipients: list[str], outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(recipients, outcome)


class ATSender:
    """The production sender: synchronous SDK calls, each with SMS_SEND_TIMEOUT in all."""

    def __init__(self, settings: Settings) -> None:
        self.service = sdk_service(settings)
        self.sender_id = settings.at_sender_id or None
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
            response = self.service.send(text, recipients, sender_id=self.sender_id)
        except requests.JSONDecodeError as exc:  # a 2xx under the exact JSON type, yet not JSON
            response = exc.doc
        except (AfricasTalkingException, requests.RequestException, ValueError) as exc:
            return _all(recipients, self._failure(exc))
        outcomes = map_response(response, recipients)
        self._warn_unconfirmed(outcomes)
        return outcomes

    def _failure(self, exc: Exception) -> Outcome:
        """The outcome of a call that raised: no 2xx answer came back."""
        error = str(exc)[:200]
        if isinstance(exc, AfricasTalkingException):
            return self._http_error(str(exc))
        if isinstance(exc, requests.Timeout):
            return Outcome(Result.RETRY, "Timeout", error=error)
        if isinstance(exc, requests.RequestException):
            return Outcome(Result.RETRY, "NetworkError", error=error)
        return Outcome(Result.FAILED, "InvalidPhoneNumber", error=error)  # the SDK's ValueError

    def _warn_unconfirmed(self, outcomes: dict[str, Outcome]) -> None:
        unconfirmed = sum(1 for o in outcomes.values() if o.result == Result.UNCONFIRMED)
        if unconfirmed:
            kind = self.service.last_content_type()[:60] or "no Content-Type"
            log.warning("AT answered HTTP %s (%s) without saying what it took: %d numbers are "
                        "recorded as sent, unconfirmed, and not retried",
                        self.service.last_status(), kind, unconfirmed)  # fmt: skip

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
