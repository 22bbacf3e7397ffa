"""Document applications tracked for citizens, and their status history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Computed, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.centres import Centre

# A reference as people type it: no case, no separators (HK-ID-482913 -> HKID482913).
REFERENCE_KEY = (
    "upper(replace(replace(replace(replace(reference, '-', ''), '/', ''), '.', ''), '_', ''))"
)


class DocumentKind(StrEnum):
    ID_CARD = "ID_CARD"
    BIRTH_CERTIFICATE = "BIRTH_CERTIFICATE"
    DEATH_CERTIFICATE = "DEATH_CERTIFICATE"
    GOOD_CONDUCT = "GOOD_CONDUCT"
    DRIVING_LICENCE = "DRIVING_LICENCE"
    PASSPORT = "PASSPORT"


class DocumentStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    PROCESSING = "PROCESSING"
    NEEDS_ACTION = "NEEDS_ACTION"
    REJECTED = "REJECTED"
    DISPATCHED = "DISPATCHED"
    READY_FOR_COLLECTION = "READY_FOR_COLLECTION"
    AVAILABLE_ON_ECITIZEN = "AVAILABLE_ON_ECITIZEN"
    COLLECTED = "COLLECTED"


class Document(Base):
    """An application whose status an agency feeds us."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_status_centre", "status", "centre_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    reference_key: Mapped[str] = mapped_column(
        String(40), Computed(REFERENCE_KEY, persisted=True), index=True
    )
    kind: Mapped[str] = mapped_column(String(24))
    owner_phone: Mapped[str] = mapped_column(String(16), index=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(20))
    id_number_hash: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    centre_id: Mapped[int | None] = mapped_column(ForeignKey("centres.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    status_changed_at: Mapped[datetime]
    reminders_sent: Mapped[int] = mapped_column(default=0)
    needs_call: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    centre: Mapped[Centre | None] = relationship()


class DocumentEvent(Base):
    """One status transition of a document, as reported by its agency."""

    __tablename__ = "document_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    changed_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(12))
