"""Outcomes of deliveries, and rejected input."""

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel

from schemas.crisis import Channel, MsgType


class Outcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # cancelled, or superseded by an Update, before this send
    NOT_NEEDED = "not_needed"  # a correction to someone the withdrawn alert never reached


class DeliveryOutcome(BaseModel):
    person_id: str
    outcome: Outcome
    attempts: int
    post_id: str | None = None
    error: str | None = None


class DeliveryReport(BaseModel):
    """What became of one channel of one fan-out job, person by person."""

    crisis_id: str
    event_identifier: str
    msg_type: MsgType
    job_id: str
    channel: Channel
    outcomes: list[DeliveryOutcome]
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
