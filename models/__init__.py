"""SQLAlchemy models: importing this package registers every table."""

from models.base import Base, UTCDateTime, utcnow
from models.bookings import Booking, BookingStatus
from models.centres import Agency, Centre, CentreService, Holiday, OpeningHours, Service, Slot
from models.documents import Document, DocumentEvent, DocumentKind, DocumentStatus
from models.feedback import Feedback
from models.geo import Constituency, County
from models.messaging import (
    Broadcast,
    BroadcastStatus,
    InboundMessage,
    LanguagePreference,
    Message,
    MessageClass,
    MessageStatus,
    OptOut,
)
from models.promises import Promise, PromiseStatus
from models.retention import RetentionMark
from models.sessions import RecoveryCode, StaffSession
from models.staff import AgencyKey, AuditEvent, Role, StaffUser, Ticket
from models.ussd import UssdSessionEvent
from models.visits import Outcome, Visit, VisitStatus

__all__ = [
    "Agency",
    "AgencyKey",
    "AuditEvent",
    "Base",
    "Booking",
    "BookingStatus",
    "Broadcast",
    "BroadcastStatus",
    "Centre",
    "CentreService",
    "Constituency",
    "County",
    "Document",
    "DocumentEvent",
    "DocumentKind",
    "DocumentStatus",
    "Feedback",
    "Holiday",
    "InboundMessage",
    "LanguagePreference",
    "Message",
    "MessageClass",
    "MessageStatus",
    "OpeningHours",
    "OptOut",
    "Outcome",
    "Promise",
    "PromiseStatus",
    "RecoveryCode",
    "RetentionMark",
    "Role",
    "Service",
    "Slot",
    "StaffSession",
    "StaffUser",
    "Ticket",
    "UTCDateTime",
    "UssdSessionEvent",
    "Visit",
    "VisitStatus",
    "utcnow",
]
