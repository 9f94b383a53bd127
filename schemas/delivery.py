"""Outcomes of deliveries, and rejected input."""

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel

from schemas.crisis import Channel


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    SKIPPED_CANCELLED = "skipped_cancelled"
    NO_CONTACT = "no_contact"


class DeliveryReport(BaseModel):
    crisis_id: str
    event_identifier: str
    person_id: str
    channel: Channel
    outcome: Outcome
    attempts: int
    post_id: str | None = None
    error: str | None = None
    at: AwareDatetime


class DeadLetter(BaseModel):
    """Input a stage could not accept, with a reason a person can act on."""

    stage: str
    reason: str
    source_topic: str
    partition: int | None = None
    offset: int | None = None
    payload: str
    received_at: AwareDatetime
